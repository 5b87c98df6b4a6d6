"""Console accounts from the command line.

    python -m bot.web.console.users add NAME [--admin]   # asks for the password twice (or reads one line from stdin)
    python -m bot.web.console.users passwd NAME
    python -m bot.web.console.users disable NAME | enable NAME
    python -m bot.web.console.users role NAME admin|agent   # what the user may do: bot/web/console/roles.py
    python -m bot.web.console.users list
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.calendar import china_now
from bot.services import Services
from bot.settings import Settings
from bot.web.console.accounts import ROLES, AccountError, add_user, list_users, set_active, set_password, set_role
from bot.web.console.passwords import WeakPassword


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot.web.console.users", description="坐席控制台账号")
    p.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL setting)")
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add an agent (password from the terminal or one line of stdin)")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="an administrator instead of an agent")
    for command, text in (("passwd", "set a new password"), ("disable", "stop a user logging in"),
                          ("enable", "let a disabled user log in again")):
        sub.add_parser(command, help=text).add_argument("name")
    role = sub.add_parser("role", help="make a user an admin (may export orders) or an agent")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    sub.add_parser("list", help="list the users")
    return p


def read_password(stdin: TextIO) -> str:
    if stdin.isatty():
        first = getpass.getpass("密码：")
        if getpass.getpass("再输入一次：") != first:
            raise AccountError("两次输入的密码不一致")
        return first
    return stdin.readline().rstrip("\r\n")


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    stdin, out = stdin or sys.stdin, out or sys.stdout
    services = Services.from_settings(Settings.from_env())
    sessions = (services.with_database(args.database_url) if args.database_url else services).sessions  # at head
    now = china_now()
    with sessions() as session:
        try:
            if args.command == "add":
                add_user(session, args.name, read_password(stdin), now, role="admin" if args.admin else "agent")
                print(f"已添加{'管理员' if args.admin else '坐席'} {args.name}", file=out)
            elif args.command == "passwd":
                set_password(session, args.name, read_password(stdin), now)
                print(f"已修改 {args.name} 的密码（已登录的会话随之失效）", file=out)
            elif args.command == "role":
                set_role(session, args.name, args.role)
                print(f"{args.name} 现在是{'管理员' if args.role == 'admin' else '坐席'}", file=out)
            elif args.command in ("disable", "enable"):
                set_active(session, args.name, args.command == "enable")
                print(f"已{'启用' if args.command == 'enable' else '停用'} {args.name}", file=out)
            else:
                for user in list_users(session):
                    state = "" if user.active else "（已停用）"
                    print(f"{user.name}\t{user.role}\t{user.created_at:%Y-%m-%d}{state}", file=out)
        except (AccountError, WeakPassword) as error:
            print(f"错误：{error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
