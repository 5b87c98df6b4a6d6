"""The house plan's size rule (docs/architecture.md "The house plan"): a Python file under bot/ or actions/ has
at most MAX_LINES lines and a function (or method) at most MAX_FUNCTION_LINES, read from the syntax trees.
Alembic's migration scripts are left out.

ALLOWED names what is over the limit on purpose, each with why: a file as its path ("bot/qa/planner.py"), a
function as path::name ("bot/settings.py::from_env"; a method by its own name, nested functions too).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "actions")
MAX_LINES = 300
MAX_FUNCTION_LINES = 40

ALLOWED: dict[str, str] = {
    "bot/settings.py::from_env": "a flat list of fields",
}


def python_files() -> list[Path]:
    files = [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]
    return [path for path in files if "__pycache__" not in path.parts and "migrations" not in path.parts]


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def function_lengths(path: Path) -> dict[str, int]:
    """path::name → lines (end_lineno - lineno + 1) of each function and method; the longest of a repeated name."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            key = f"{relative(path)}::{node.name}"
            found[key] = max(found.get(key, 0), (node.end_lineno or node.lineno) - node.lineno + 1)
    return found


def test_python_files_stay_under_the_line_limit():
    too_long = {relative(path): lines for path in python_files()
                if (lines := line_count(path)) > MAX_LINES and relative(path) not in ALLOWED}
    assert too_long == {}, f"over {MAX_LINES} lines: split into cohesive modules, or add to ALLOWED with a reason"


def test_functions_stay_under_the_line_limit():
    too_long = {key: lines for path in python_files() for key, lines in function_lengths(path).items()
                if lines > MAX_FUNCTION_LINES and key not in ALLOWED}
    assert too_long == {}, f"over {MAX_FUNCTION_LINES} lines: extract helpers, or add to ALLOWED with a reason"


def test_every_allowance_names_a_reason_and_is_still_needed():
    assert all(reason.strip() for reason in ALLOWED.values())
    lengths = {key: lines for path in python_files() for key, lines in function_lengths(path).items()}
    stale = [key for key in ALLOWED if (lengths.get(key, 0) <= MAX_FUNCTION_LINES if "::" in key
                                        else line_count(ROOT / key) <= MAX_LINES)]
    assert stale == [], "no longer over the limit: remove from ALLOWED"


def test_the_scan_sees_the_code_and_measures_functions_as_the_rule_says(tmp_path, monkeypatch):
    files = {relative(path) for path in python_files()}
    assert "bot/settings.py" in files and "actions/changes.py" in files
    assert not any("/migrations/" in name for name in files)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    statements = [f"        x{n} = {n}" for n in range(MAX_FUNCTION_LINES - 1)]  # + the def line: the limit
    lines = ["class A:", "    async def long(self):", *statements, "", "", "def short():", "    return 1"]
    (tmp_path / "sample.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert function_lengths(tmp_path / "sample.py") == {"sample.py::long": MAX_FUNCTION_LINES, "sample.py::short": 2}
    assert line_count(tmp_path / "sample.py") == len(lines)
