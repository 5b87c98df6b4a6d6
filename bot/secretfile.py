"""Secrets kept in files under var/: created once, with mode 0600, atomically."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path


def read_or_create_secret(path: Path, make: Callable[[], str] = lambda: secrets.token_hex(32)) -> str:
    """The value in `path`, created once with mode 0600 (atomically: a concurrent reader never sees it empty)."""
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = ""
    else:
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(make())
        with contextlib.suppress(FileExistsError):  # another process got there first: its value wins
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    for _ in range(50):  # a file another writer created empty and is still filling (bot.booking.sealed)
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it to create a new value")


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable by this user only (0600, also when the file existed before)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
