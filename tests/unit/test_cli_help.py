"""Every command-line entry point of the project answers --help with its usage, and does nothing else
(no server started, no database created).

Found by looking for them (an `if __name__ == "__main__":` block or a package's __main__.py), so a
new command is covered without being listed here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("bot", "actions", "deploy", "scripts", "bench", "tests")
MAIN_BLOCK = re.compile(r"^if __name__ == [\"']__main__[\"']:", re.MULTILINE)


def entry_points() -> list[str]:
    """`python -m package.module` names, or script paths for deploy/ and scripts/ (run as files)."""
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if any(part.startswith((".", "__pycache__")) for part in relative.parts):
                continue
            if path.name == "__main__.py":
                found.append(".".join(relative.parent.parts))
            elif MAIN_BLOCK.search(path.read_text(encoding="utf-8")):
                if relative.parts[0] in ("deploy", "scripts"):
                    found.append(str(relative))
                else:
                    found.append(".".join(relative.with_suffix("").parts))
    return found


ENTRY_POINTS = entry_points()


def run_help(entry: str, database: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, entry, "--help"] if entry.endswith(".py") else [sys.executable, "-m", entry, "--help"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BANDIAN_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
           "DATABASE_URL": f"sqlite:///{database}"}
    # a command that starts a server instead never exits: the timeout fails the test
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The database each command is given (DATABASE_URL), one apiece: --help must not create it."""
    folder = tmp_path_factory.mktemp("help-databases")
    return {entry: folder / f"{index}.db" for index, entry in enumerate(ENTRY_POINTS)}


@pytest.fixture(scope="module")
def helps(databases: dict[str, Path]) -> dict[str, subprocess.CompletedProcess[str]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(ENTRY_POINTS, pool.map(run_help, ENTRY_POINTS, databases.values()), strict=True))


def test_the_known_commands_are_found():
    assert {"bot.orders", "bot.nlu.dictionary", "bot.settings", "bot.web.console.users", "bot.knowledge.check",
            "bot.web", "deploy/init_db.py", "scripts/nlu_gate.py", "bench.report"} <= set(ENTRY_POINTS)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_help_prints_the_usage_and_exits_0(entry: str, helps: dict[str, subprocess.CompletedProcess[str]],
                                          databases: dict[str, Path]):
    done = helps[entry]
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage: "), done.stdout[:500]
    assert "--help" in done.stdout
    assert not (ROOT / "--help").exists()  # e.g. not a dictionary written into a folder named --help
    assert not databases[entry].exists(), "--help created the database"
