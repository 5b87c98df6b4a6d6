"""One fuzz run of an entry point: invalid requests first (the database must not change at all), then the
valid-but-strange ones (no order, handoff or console data may appear), every answer judged, figures recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.faults.db import ACTIVITY, differences, snapshot, tables
from tests.faults.results import RESULTS, record
from tests.faults.stack import Stack
from tests.fuzz.http import Case, Outcome, Verdict, judge, send_all
from tests.fuzz.known_bugs import known

# Never touched by a customer's message, whatever it says.
PROTECTED = frozenset({"work_orders", "order_history", "customer_managers", "console_users", "alembic_version",
                       "handoffs", "handoff_messages", "audit_log"})


@dataclass
class FuzzResult:
    entry: str
    cases: int
    verdict: Verdict
    changed_by_invalid: dict[str, str]
    changed_by_valid: dict[str, str]

    def assert_clean(self) -> None:
        assert not self.changed_by_invalid, f"invalid requests changed the database: {self.changed_by_invalid}"
        assert not self.changed_by_valid, f"strange messages changed protected tables: {self.changed_by_valid}"
        assert not self.verdict.failures, self.verdict.report()


def fuzz(stack: Stack, entry: str, cases: list[Case], answered: Callable[[Outcome], str | None], *,
         extra: Callable[[Outcome], list[str]] = lambda _o: [], activity: frozenset[str] = ACTIVITY,
         concurrency: int = 12) -> FuzzResult:
    """Send `cases` (those expected to be rejected first: they must change nothing) and judge every answer.

    `activity`: tables that may change even for refused requests (e.g. failed-login counters)."""
    invalid = [case for case in cases if case.expect == "reject"]
    valid = [case for case in cases if case.expect != "reject"]
    before = snapshot(stack.db_path, ignore=activity)
    outcomes = send_all(invalid, concurrency)
    changed_by_invalid = differences(before, snapshot(stack.db_path, ignore=activity))
    others = tables(stack.db_path) - PROTECTED
    protected_before = snapshot(stack.db_path, ignore=others)
    outcomes += send_all(valid, concurrency)
    changed_by_valid = differences(protected_before, snapshot(stack.db_path, ignore=others))
    verdict = judge(outcomes, answered, known(entry), extra)
    write_failures(entry, verdict)
    data_changed = sorted(changed_by_invalid) + sorted(changed_by_valid)
    record(f"fuzz:{entry}", tried=len(cases), failures=len(verdict.failures) + len(data_changed),
           known_bug_failures=len(verdict.known), requests=len(outcomes), valid=len(valid), invalid=len(invalid),
           data_changed=data_changed,
           known_bugs=sorted({bug for _o, _f, bug in verdict.known}))
    return FuzzResult(entry, len(cases), verdict, changed_by_invalid, changed_by_valid)


def write_failures(entry: str, verdict: Verdict) -> None:
    """Every failure, known or not, for reading after the run (var/reliability/failures-<entry>.txt)."""
    path = RESULTS.parent / f"failures-{entry}.txt"
    lines = [f"{len(verdict.failures)} failures, {len(verdict.known)} known bugs, {verdict.tried} requests"]
    lines += [f"NEW   {'; '.join(found)}\n      {o.case.describe()}" for o, found in verdict.failures]
    lines += [f"KNOWN {'; '.join(found)} [{bug}]\n      {o.case.describe()}" for o, found, bug in verdict.known]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="backslashreplace")
