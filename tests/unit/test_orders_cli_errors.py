"""Fixes from fuzzing the staff command line: odd digits, a huge or odd --limit, invalid UTF-8 arguments,
an unwritable --out and an unusable --database-url end in one polite line on stderr and exit code 2 (usage)
or 1 (runtime), never in a traceback, and the database is left as it was."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bot.orders import cli
from bot.orders.cli import MAX_LIMIT, main

ROOT = Path(__file__).resolve().parents[2]
ORDER = "{order}"  # replaced by a real order number of the database


@pytest.fixture()
def database(tmp_path: Path) -> tuple[str, Path, str]:
    """A SQLite file with the demo managers and two orders: its URL, its path and one order number."""
    db = tmp_path / "cli.db"
    url = f"sqlite:///{db}"
    assert main(["--database-url", url, "demo", "--orders", "2"], out=io.StringIO()) == 0
    with contextlib.closing(sqlite3.connect(db)) as connection:
        (number,) = connection.execute("SELECT number FROM work_orders ORDER BY id LIMIT 1").fetchone()
    return url, db, number


def dump(db: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return list(connection.iterdump())


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """main(argv) with SystemExit (argparse's usage errors) turned into its code; (code, stdout, stderr)."""
    try:
        code = main(argv, out=sys.stdout)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_told(code: int, err: str, expected: int) -> None:
    assert code == expected, err
    assert "Traceback" not in err and err.strip(), err
    assert err.strip().splitlines()[-1].startswith(("错误：", "python -m bot.orders")), err


@pytest.mark.parametrize(("args", "expected"), [
    (["show", "፩" * 10], 1),
    (["advance", "²" * 10, "--note", "x"], 1),
    (["note", "١٢٣٤٥٦٧٨٩٠", "x"], 1),
    (["reassign", ORDER, "²"], 1),
    (["reassign", ORDER, "፩"], 1),
    (["reassign", ORDER, "9" * 20], 1),
    (["list", "--manager", "9" * 20], 0),  # no such manager: an empty list
    (["list", "--manager", "²"], 0),
    (["list", "--limit", "9" * 20], 2),
    (["list", "--limit", "-9" + "9" * 20], 2),
    (["list", "--limit", "²"], 2),
    (["list", "--limit", "0"], 2),
    (["export-csv", "--limit", str(MAX_LIMIT + 1)], 2),
    (["list", "--region", "\udcff"], 2),
    (["--actor", "\udcff\udcfe", "note", ORDER, "x"], 2),
], ids=["ethiopic-show", "superscript-advance", "arabic-indic-note", "superscript-manager", "ethiopic-manager",
        "huge-manager-id", "huge-manager-filter", "odd-manager-filter", "huge-limit", "huge-negative-limit",
        "superscript-limit", "zero-limit", "limit-too-large", "invalid-utf8-region", "invalid-utf8-actor"])
def test_mistakes_are_told_in_one_line_and_change_nothing(database, capsys, args, expected):
    url, db, number = database
    before = dump(db)
    code, _out, err = run(["--database-url", url, *(a.replace(ORDER, number) for a in args)], capsys)
    if expected:
        assert_told(code, err, expected)
    else:
        assert code == 0 and not err
    assert dump(db) == before


def test_the_limit_accepts_its_whole_range(database, capsys):
    url, _db, _number = database
    for limit in ("1", str(MAX_LIMIT)):
        code, out, _err = run(["--database-url", url, "list", "--limit", limit], capsys)
        assert code == 0 and "共 " in out
    assert run(["--database-url", url, "list", "--limit", "1"], capsys)[1].endswith("共 1 条\n")


def test_export_to_an_unwritable_place_is_told(database, capsys, tmp_path):
    url, db, _number = database
    a_file = tmp_path / "a-file"
    a_file.write_text("keep")
    for target in ("/", tmp_path, tmp_path / "missing" / "x.csv", a_file / "x.csv"):
        code, out, err = run(["--database-url", url, "export-csv", "--out", str(target)], capsys)
        assert_told(code, err, 1)
        assert f"无法写入 {target}" in err and not out
    assert a_file.read_text() == "keep" and not (tmp_path / "missing").exists()
    assert run(["--database-url", url, "export-csv", "--out", str(tmp_path / "ok.csv")], capsys)[0] == 0


@pytest.mark.parametrize("url", ["not a url", "notadb://", "postgresql://nobody@127.0.0.1:1/x",
                                 "mysql://u:secret@127.0.0.1:1/x", "sqlite:///{tmp}", "sqlite:///{tmp}/a-file/x.db"])
def test_an_unusable_database_url_is_told(capsys, tmp_path, url):
    (tmp_path / "a-file").write_text("")
    code, out, err = run(["--database-url", url.replace("{tmp}", str(tmp_path)), "list"], capsys)
    assert_told(code, err, 1)
    assert "数据库" in err and "secret" not in err and len(err.strip().splitlines()) == 1 and not out


def test_a_database_error_while_running_is_told(database, capsys, monkeypatch):
    url, db, _number = database
    before = dump(db)

    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(cli, "list_orders", broken)
    code, _out, err = run(["--database-url", url, "list"], capsys)
    assert_told(code, err, 1)
    assert err.strip() == "错误：数据库出错：database is locked"
    assert dump(db) == before


def test_invalid_utf8_bytes_on_a_real_command_line_are_told(database):
    url, db, _number = database
    before = dump(db)
    done = subprocess.run([sys.executable, "-m", "bot.orders", "--database-url", url, "list", "--region", b"\xff\xfe"],
                          cwd=ROOT, capture_output=True, timeout=120)
    err = done.stderr.decode("utf-8")
    assert done.returncode == 2 and "Traceback" not in err and "无效的 UTF-8" in err, err
    assert dump(db) == before
