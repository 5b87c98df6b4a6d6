"""Staff command line: python -m bot.orders {list,show,advance,reassign,note,message,reschedule,cancel,managers,stages,
demo,export-csv}. Times are shown in Beijing time (bot/orders/times.py), whatever the machine's time zone."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.booking.visit import parse_visit
from bot.orders.csv_export import write_csv
from bot.orders.demo import load_demo
from bot.orders.managers import list_managers
from bot.orders.notify import notify_message, notify_stage_change, notify_visit_change
from bot.orders.report import staff_history_lines, status_text
from bot.orders.stages import STAGES, stage
from bot.orders.store import (
    InvalidTransition,
    NotChangeable,
    OrderNotFound,
    add_customer_message,
    add_note,
    advance_order,
    cancel_order,
    get_order,
    list_orders,
    reassign_order,
    reschedule_visit,
)
from bot.orders.times import shown
from bot.orders.views import OrderView
from bot.services import Services
from bot.settings import Settings
from bot.store.schema import SchemaError
from bot.untrusted import ascii_int, has_lone_surrogate

MAX_LIMIT = 100_000


class CliError(Exception):
    """A mistake or an unusable database or file, told to the staff member in one line (exit code 1)."""


REPORTED = (CliError, OrderNotFound, InvalidTransition, NotChangeable, LookupError)  # main() tells these in one line


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot.orders", description="零证预约工单：查看、推进、改派、导出")
    p.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL setting)")
    p.add_argument("--actor", default="staff", help="who is acting, recorded in the history")
    sub = p.add_subparsers(dest="command", required=True)
    lst = sub.add_parser("list", help="list or filter orders")
    _filters(lst)
    _order_commands(sub)
    mgr = sub.add_parser("managers", help="customer managers")
    mgr.add_argument("--region")
    sub.add_parser("stages", help="the stages of a work order")
    demo = sub.add_parser("demo", help="load demo managers (one per district) and optional sample orders")
    demo.add_argument("--orders", type=int, default=0)
    exp = sub.add_parser("export-csv", help="export orders as CSV (masked unless --reveal)")
    _filters(exp)
    exp.add_argument("--out", type=Path, help="file to write (default: stdout)")
    exp.add_argument("--reveal", action="store_true")
    return p


def _order_commands(sub: argparse._SubParsersAction) -> None:
    """The commands about one order: show, advance, reassign, note, message, reschedule, cancel."""
    show = sub.add_parser("show", help="one order with stage, deadline and history")
    show.add_argument("number")
    show.add_argument("--reveal", action="store_true", help="show the full phone number and address")
    adv = sub.add_parser("advance", help="move an order to the next (or a given) stage")
    adv.add_argument("number")
    adv.add_argument("--to", dest="to_stage", choices=[s.id for s in STAGES])
    adv.add_argument("--note", required=True)
    re_ = sub.add_parser("reassign", help="give an order to another customer manager")
    re_.add_argument("number")
    re_.add_argument("manager", help="manager id or exact name")
    re_.add_argument("--note")
    note = sub.add_parser("note", help="add an internal note to an order's history (staff only, never shown to the "
                                       "customer)")
    note.add_argument("number")
    note.add_argument("text")
    message = sub.add_parser("message", help="send the customer a message about an order (shown in their status "
                                             "reply and pushed to their chat)")
    message.add_argument("number")
    message.add_argument("text")
    visit = sub.add_parser("reschedule", help="move the customer manager's visit (e.g. \"12月5日下午\", "
                                              "\"周五上午10点\"); the customer is told")
    visit.add_argument("number")
    visit.add_argument("when")
    visit.add_argument("--note", help="internal note")
    cancel = sub.add_parser("cancel", help="cancel an open order; the customer is told")
    cancel.add_argument("number")
    cancel.add_argument("--note", required=True, help="why (internal note)")


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region")
    p.add_argument("--district")
    p.add_argument("--stage", choices=[s.id for s in STAGES])
    p.add_argument("--manager")
    p.add_argument("--open", action="store_true", help="only orders not completed or cancelled")
    p.add_argument("--limit", type=_limit, default=100, help=f"at most this many orders (1–{MAX_LIMIT})")


def _limit(text: str) -> int:
    """--limit: ASCII digits from 1 to MAX_LIMIT (SQLite overflows beyond 64 bits; ² is no number)."""
    number = ascii_int(text, len(str(MAX_LIMIT)))
    if number is None or not 1 <= number <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"应为 1 到 {MAX_LIMIT} 之间的整数：{text!r}")
    return number


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, services: Services | None = None) -> int:
    """Exit code 0; 1 after a one-line message (an unknown order, a refused move, an unusable database or
    file; the failed command writes nothing); 2 for a usage error. Never a traceback for these."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if any(has_lone_surrogate(argument) for argument in arguments):  # invalid UTF-8 bytes (PEP 383)
        print("错误：命令行参数含有无效的 UTF-8 字节，请检查终端或输入法的编码", file=sys.stderr)
        return 2
    args = parser().parse_args(arguments)
    services = services or Services.from_settings(Settings.from_env())
    if args.database_url:
        services = services.with_database(args.database_url)
    try:
        with _database(services)() as session:
            return _run(args, session, services, out)
    except SQLAlchemyError as exc:
        return _told(f"数据库出错：{_first_line(exc)}")
    except REPORTED as exc:
        return _told(str(exc))


def _database(services: Services) -> sessionmaker:
    try:
        return services.sessions
    except ArgumentError as exc:  # not a URL, or no such dialect
        raise CliError("数据库地址无效，请检查 --database-url 或 DATABASE_URL") from exc
    except (SQLAlchemyError, SchemaError, ImportError, OSError) as exc:
        raise CliError(f"无法打开数据库：{_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    """The driver's own message, without SQLAlchemy's SQL and background link."""
    reason = getattr(exc, "orig", None) or exc
    return (str(reason).strip().splitlines() or [type(reason).__name__])[0]


def _told(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return 1


def _run(args: argparse.Namespace, session: Session, services: Services, out: TextIO) -> int:
    now = services.clock()
    command = COMMANDS.get(args.command)
    if command is None:
        raise AssertionError(args.command)
    return command(args, session, services, out, now)


def _list(args: argparse.Namespace, session: Session, services: Services, out: TextIO, now: datetime) -> int:
    """list, export-csv."""
    found = list_orders(session, region=args.region, district=args.district, stage_id=args.stage,
                        manager=args.manager, open_only=args.open, limit=args.limit)
    if args.command == "list":
        for order in found:
            print(_row(order), file=out)
        print(f"共 {len(found)} 条", file=out)
    else:
        _export(found, args.out, args.reveal, out)
    return 0


def _show(args: argparse.Namespace, session: Session, services: Services, out: TextIO, now: datetime) -> int:
    found_order = get_order(session, args.number)
    if found_order is None:
        raise OrderNotFound(f"找不到工单 {args.number}")
    print(status_text(services.kb, found_order, now), file=out)
    print("全部记录（工作人员可见，含内部备注）：", file=out)
    for line in staff_history_lines(found_order):
        print(line, file=out)
    if args.reveal:
        print(f"明文：{found_order.contact_name} {found_order.phone} {found_order.address}", file=out)
        add_note(session, found_order.number, "工作人员查看了明文联系方式", actor=args.actor, now=now)
    return 0


def _advance(args: argparse.Namespace, session: Session, services: Services, out: TextIO, now: datetime) -> int:
    order = advance_order(session, args.number, to_stage=args.to_stage, note=args.note, actor=args.actor, now=now)
    notified = notify_stage_change(session, order.number, now) is not None
    print(f"{order.display_number} → {stage(order.stage).name}" + ("（已通知客户）" if notified else ""), file=out)
    return 0


def _reassign(args: argparse.Namespace, session: Session, services: Services, out: TextIO, now: datetime) -> int:
    order = reassign_order(session, args.number, args.manager, actor=args.actor, now=now, note=args.note)
    print(f"{order.display_number} → {order.manager.name if order.manager else '无'}", file=out)
    return 0


def _note(args: argparse.Namespace, session: Session, services: Services, out: TextIO, now: datetime) -> int:
    add_note(session, args.number, args.text, actor=args.actor, now=now)
    print("已记录（内部备注，客户不可见）", file=out)
    return 0


def _message(args: argparse.Namespace, session: Session, services: Services, out: TextIO, now: datetime) -> int:
    order = add_customer_message(session, args.number, args.text, actor=args.actor, now=now)
    notified = notify_message(session, order.number, args.text, now) is not None
    print("已记录（客户可见）" + ("，已推送给客户" if notified else ""), file=out)
    return 0


def _reschedule(args: argparse.Namespace, session: Session, services: Services, out: TextIO, now: datetime) -> int:
    parsed = parse_visit(args.when, now)
    if parsed.value is None:
        raise CliError(parsed.error or "没听懂上门时间")
    visit = parsed.value
    order = reschedule_visit(session, args.number, visit.day, visit.period, visit.at, actor=args.actor, now=now,
                             note=args.note)
    notified = notify_visit_change(session, order.number, now) is not None
    print(f"{order.display_number} 上门时间 → {order.visit}" + ("（已通知客户）" if notified else ""), file=out)
    return 0


def _cancel(args: argparse.Namespace, session: Session, services: Services, out: TextIO, now: datetime) -> int:
    order = cancel_order(session, args.number, actor=args.actor, now=now, note=args.note)
    notified = notify_stage_change(session, order.number, now) is not None
    print(f"{order.display_number} → 已取消" + ("（已通知客户）" if notified else ""), file=out)
    return 0


def _managers(args: argparse.Namespace, session: Session, services: Services, out: TextIO, now: datetime) -> int:
    for manager in list_managers(session, args.region):
        print(f"{manager.id}\t{manager.region}\t{manager.district or '（全市）'}\t{manager.name}", file=out)
    return 0


def _stages(args: argparse.Namespace, session: Session, services: Services, out: TextIO, now: datetime) -> int:
    for item in STAGES:
        print(f"{item.id}\t{item.name}\t{item.customer_text}", file=out)
    return 0


def _demo(args: argparse.Namespace, session: Session, services: Services, out: TextIO, now: datetime) -> int:
    managers, made = load_demo(session, services.kb, now, args.orders)
    print(f"新增客户经理 {managers} 名，示例工单 {len(made)} 条", file=out)
    for order in made:
        print(_row(order), file=out)
    return 0


Command = Callable[[argparse.Namespace, Session, Services, TextIO, datetime], int]
COMMANDS: dict[str, Command] = {
    "list": _list, "export-csv": _list, "show": _show, "advance": _advance, "reassign": _reassign, "note": _note,
    "message": _message, "reschedule": _reschedule, "cancel": _cancel, "managers": _managers, "stages": _stages,
    "demo": _demo,
}


def _row(order: OrderView) -> str:
    manager = order.manager.name if order.manager else "-"
    return "\t".join((order.display_number, order.region, order.district or "-", order.business,
                      stage(order.stage).name, shown(order.stage_since), manager, order.masked_phone))


def _export(found: list[OrderView], path: Path | None, reveal: bool, out: TextIO) -> None:
    if path is None:
        write_csv(found, reveal, out)
        return
    try:
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            write_csv(found, reveal, handle)
    except OSError as exc:
        raise CliError(f"无法写入 {path}：{exc.strerror or exc}") from exc
