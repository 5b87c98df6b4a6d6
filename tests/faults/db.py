"""Reading the stack's SQLite database directly, to see what a request changed (or did not)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

Snapshot = dict[str, tuple[int, str]]  # table → (rows, digest of every row)

# Tables that record activity by design: a console session marks its agent present, failed logins
# are counted for the login limit, status lookups are counted for the lookup limit.
ACTIVITY = frozenset({"agent_presence", "console_login_failures", "lookup_attempts", "lookup_client_failures"})


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    if not path.exists():
        raise FileNotFoundError(path)
    connection = sqlite3.connect(str(path), timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def table_names(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return sorted(name for (name,) in rows)


def tables(path: Path) -> set[str]:
    with connect(path) as connection:
        return set(table_names(connection))


def snapshot(path: Path, ignore: Iterable[str] = ()) -> Snapshot:
    """Row count and a digest of the contents of every table not in `ignore`."""
    skipped = set(ignore)
    result: Snapshot = {}
    with connect(path) as connection:
        for name in table_names(connection):
            if name in skipped:
                continue
            digest = hashlib.sha256()
            count = 0
            for row in connection.execute(f'SELECT * FROM "{name}" ORDER BY rowid'):
                digest.update(repr(row).encode("utf-8", "surrogatepass"))
                count += 1
            result[name] = (count, digest.hexdigest()[:16])
    return result


def differences(before: Snapshot, after: Snapshot) -> dict[str, str]:
    """Tables whose rows changed: name → "rows a → b" (or "contents changed")."""
    changed = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, (0, "")), after.get(name, (0, ""))
        if old != new:
            changed[name] = f"rows {old[0]} → {new[0]}" if old[0] != new[0] else "contents changed"
    return changed


def count(path: Path, table: str) -> int:
    with connect(path) as connection:
        return int(connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


def orders_for_phone(path: Path, phone: str) -> list[str]:
    with connect(path) as connection:
        rows = connection.execute("SELECT number FROM work_orders WHERE phone = ? ORDER BY id", (phone,))
        return [number for (number,) in rows]


def order_exists(path: Path, number: str) -> bool:
    with connect(path) as connection:
        return connection.execute("SELECT 1 FROM work_orders WHERE number = ?", (number,)).fetchone() is not None


def any_order(path: Path) -> str | None:
    with connect(path) as connection:
        row = connection.execute("SELECT number FROM work_orders ORDER BY id LIMIT 1").fetchone()
        return row[0] if row else None
