"""The staff command line (`python -m bot.orders`, bot/orders/cli.py) with 1,000 generated argument lists,
run in-process through `main(argv)` on a database of its own.

Every run ends with exit code 0 or 1 (2 for argparse's usage errors) and a message, never an exception
(a traceback for the staff member); a run that fails, or a read-only command, changes nothing.
"""

from __future__ import annotations

import contextlib
import io
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.orders import numbers
from bot.orders.cli import main
from bot.orders.stages import STAGES
from tests.faults.db import differences, snapshot
from tests.faults.results import record
from tests.fuzz.inputs import SEED, Gen
from tests.fuzz.known_bugs import has_lone_surrogate, odd_digits

TOTAL = 1000
COMMANDS = ("list", "show", "advance", "reassign", "note", "managers", "stages", "demo", "export-csv")
WRITERS = ("advance", "reassign", "note", "demo")  # and show --reveal, which records that it was used
HOSTILE = ("", "-", "--", "../../etc/passwd", "; rm -rf /", "$(reboot)", "`id`", "%s%n", "-1", "--help", "\x00",
           "' OR 1=1 --", "１２３４５-６７８９０", "፩" * 10, "12345-67890", "0000000000",
           "\udcff\udcfe")  # invalid UTF-8 bytes on a command line reach sys.argv as surrogate escapes
LIMITS = ("-1", "0", "1", "10", "1e3", "１０", "²", "0x10", "99999999999999999999", "-99999999999999999999", "")


@dataclass
class Run:
    argv: list[str]
    code: int | None
    output: str
    error: str
    changed: dict[str, str]
    tags: frozenset[str]

    def problems(self) -> list[str]:
        found = []
        if self.error:
            found.append(f"raised {self.error}")
        elif self.code not in (0, 1, 2):
            found.append(f"exit code {self.code}")
        if "Traceback" in self.output:
            found.append("traceback printed")
        command = next((a for a in self.argv if a in COMMANDS), "")
        writes = command in WRITERS or (command == "show" and "--reveal" in self.argv)
        if self.changed and (self.code != 0 or not writes):
            found.append(f"changed {self.changed} (exit {self.code}, command {command!r})")
        return found


def argv_for(gen: Gen, url: str, real: list[str], tmp: Path) -> tuple[list[str], frozenset[str]]:
    """A command line: a command (sometimes a wrong one), arguments and options, all sometimes hostile."""
    def number() -> str:
        if gen.chance(0.04):
            chosen = gen.pick(real)
            return gen.pick((chosen, numbers.display(chosen)))
        return gen.pick((*HOSTILE, numbers.display(numbers.new_number()), gen.text(surrogates=False, huge=0)[:60]))

    command = gen.pick(COMMANDS) if gen.chance(0.9) else gen.pick(("", "lst", "drop", "--version", "help", "demo2"))
    if command == "demo" and gen.chance(0.8):
        command = gen.pick(("list", "managers", "stages"))  # demo loads the knowledge base: kept rare for speed
    args = [command]
    if command in ("show", "advance", "reassign", "note") or gen.chance(0.1):
        args.append(number())
    if command == "reassign" or gen.chance(0.05):
        args.append(gen.pick(("1", "0", "999", "客户经理A-文峰", "²", gen.text(surrogates=False, huge=0)[:30])))
    if command == "note" or gen.chance(0.05):
        args.append(gen.text(surrogates=False, huge=0.01)[:5000])
    for _ in range(gen.rng.randint(0, 3)):
        args += option(gen, tmp, command)
    prefix = ["--database-url", url] if gen.chance(0.97) else ["--database-url", gen.pick(bad_urls(tmp))]
    if gen.chance(0.3):
        prefix += ["--actor", gen.text(surrogates=False, huge=0)[:100]]
    argv = prefix + args
    tags = {"odd-digits"} if any(odd_digits(a) or odd_digits(a, nfkc=True) for a in argv) else set()
    if any(has_lone_surrogate(a) for a in argv):
        tags.add("surrogate-arg")
    if huge_int(value_after(argv, "--limit")):
        tags.add("limit-overflow")
    if value_after(argv, "--database-url") != url:
        tags.add("bad-db-url")
    if "--out" in argv:
        tags.add("bad-out")
    return [a.replace("\x00", "") for a in argv], frozenset(tags)  # a shell cannot pass NUL


OPTIONS = {"list": ("--region", "--district", "--stage", "--manager", "--open", "--limit"),
           "export-csv": ("--region", "--district", "--stage", "--manager", "--open", "--limit", "--out", "--reveal"),
           "show": ("--reveal",), "advance": ("--to", "--note"), "reassign": ("--note",), "managers": ("--region",),
           "demo": ("--orders",)}
ALL_OPTIONS = ("--to", "--note", "--region", "--district", "--stage", "--manager", "--open", "--limit", "--reveal",
               "--orders", "--out", "--bogus", "-x")


def option(gen: Gen, tmp: Path, command: str) -> list[str]:
    """Mostly an option the command has, with a strange value; sometimes any option at all."""
    own = OPTIONS.get(command, ())
    name = gen.pick(own) if own and gen.chance(0.8) else gen.pick(ALL_OPTIONS)
    if name in ("--open", "--reveal"):
        return [name]
    if name == "--to" or name == "--stage":
        return [name, gen.pick((*[s.id for s in STAGES], "nowhere", "", "COMPLETED"))]
    if name == "--limit":
        return [name, gen.pick(LIMITS)]
    if name == "--orders":
        return [name, gen.pick(("0", "1", "-3", "x", "1.5", ""))]  # never a huge count: that is a legitimate slow run
    if name == "--out":
        return [name, gen.pick((str(tmp), str(tmp / "missing" / "x.csv"), str(tmp / "out.csv")))]
    return [name, gen.text(surrogates=False, huge=0)[:80]]


def value_after(argv: list[str], option_name: str) -> str:
    """The value argparse takes for the option (its last occurrence), "" if none."""
    at = len(argv) - 1 - argv[::-1].index(option_name) if option_name in argv else len(argv)
    return argv[at + 1] if at + 1 < len(argv) else ""


def huge_int(text: str) -> bool:
    try:
        return not -(2**63) <= int(text) < 2**63
    except ValueError:
        return False


def bad_urls(tmp: Path) -> tuple[str, ...]:
    return ("", "not a url", f"sqlite:///{tmp}", "postgresql://127.0.0.1:1/x", "sqlite:///:memory:",
            f"sqlite:///{tmp / 'sub' / 'fresh.db'}", "mysql://u:p@127.0.0.1:1/x")


def run(argv: list[str], db: Path, tags: frozenset[str]) -> Run:
    out, err = io.StringIO(), io.StringIO()
    before = snapshot(db)
    code, error = None, ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv, out=out)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except Exception as exception:  # what the staff member would see as a traceback
            error = f"{type(exception).__name__}: {str(exception)[:200]}"
    return Run(argv, code, out.getvalue() + err.getvalue(), error, differences(before, snapshot(db)), tags)


@pytest.fixture()
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path, list[str]]:
    """A database of its own with demo managers and three orders; DATABASE_URL points at it (an empty
    --database-url falls back to it, never to var/bandian.db)."""
    db = tmp_path / "cli.db"
    url = f"sqlite:///{db}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["--database-url", url, "demo", "--orders", "3"], out=io.StringIO()) == 0
    with contextlib.closing(sqlite3.connect(db)) as connection:
        real = [number for (number,) in connection.execute("SELECT number FROM work_orders")]
    return url, db, real


# known CLI bugs by the tag of the command lines they affect (tag → summary); none open now: odd digits,
# a bad --database-url or --out, a 64-bit --limit and invalid UTF-8 arguments all get a message (bot/orders/cli.py)
KNOWN: dict[str, str] = {}


def test_staff_cli_survives_1000_generated_command_lines(cli_db, tmp_path: Path):
    url, db, real = cli_db
    gen = Gen(SEED + 10)
    runs = []
    for _ in range(TOTAL):
        argv, tags = argv_for(gen, url, real, tmp_path)
        runs.append(run(argv, db, tags))
    failures, known = [], []
    for item in runs:
        found = item.problems()
        bug = next((KNOWN[tag] for tag in item.tags if tag in KNOWN), None)
        if found:
            (known if bug and not item.changed else failures).append((item, found, bug))
    record("fuzz:cli", tried=len(runs), failures=len(failures), known_bug_failures=len(known),
           exit_codes={str(code): sum(1 for r in runs if r.code == code) for code in {r.code for r in runs}},
           known_bugs=sorted({bug for _r, _f, bug in known if bug}))
    report = "\n".join(f"- {'; '.join(found)}: {item.argv!r}"[:400] for item, found, _ in failures[:12])
    assert not failures, f"{len(failures)} of {len(runs)} command lines failed:\n{report}"
    assert sum(1 for r in runs if r.code == 0) > 50, "almost nothing ran: the generator is off"


@pytest.mark.parametrize("args", [["show", "፩" * 10], ["reassign", "{order}", "²"],
                                  ["list", "--limit", "99999999999999999999"], ["list", "--region", "\udcff"],
                                  ["export-csv", "--out", "/"]],
                         ids=["ethiopic-digits", "superscript-manager", "huge-limit", "invalid-utf8-argument",
                              "out-is-a-directory"])
def test_staff_mistakes_get_a_message_not_a_traceback(cli_db, args: list[str]):
    url, db, real = cli_db
    result = run(["--database-url", url, *(a.replace("{order}", real[0]) for a in args)], db, frozenset())
    assert not result.problems() and result.code in (1, 2), result


@pytest.mark.parametrize("database", ["not a url", "postgresql://127.0.0.1:1/x"])
def test_an_unusable_database_url_gets_a_message(cli_db, database: str):
    _url, db, _real = cli_db
    result = run(["--database-url", database, "list"], db, frozenset())
    assert not result.problems() and result.code in (1, 2), result
