"""The console's per-application state and its start-up: the first admin, the cookie key."""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from jinja2 import Environment
from sqlalchemy.orm import Session

from bot.secretfile import write_private
from bot.web.console.accounts import bootstrap_admin
from bot.web.console.templating import environment
from bot.web.console.tokens import KEY_FILE, Signer, console_key
from bot.web.context import WebContext, web_context

logger = logging.getLogger("bot.web.console")
STATIC = Path(__file__).resolve().parent.parent / "static" / "console"


@dataclass
class Console:
    templates: Environment = field(default_factory=environment)
    signer: Signer | None = None
    static_version: str = ""

    def sign(self) -> Signer:
        if self.signer is None:
            raise RuntimeError("the console has not started (its cleanup_ctx did not run)")
        return self.signer


CONSOLE_KEY: web.AppKey[Console] = web.AppKey("bandian_console", Console)


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE_KEY]


PASSWORD_FILE = "console-admin-password"  # beside the cookie key: var/console-admin-password, mode 0600


def banner(user: str, password: str) -> str:
    line = "=" * 72
    return (f"{line}\n控制台管理员账号 {user} 初始密码：{password}\n"
            f"（只显示这一次。登录 /agent/login；改密码：python -m bot.web.console.users passwd {user}；"
            f"或设置 BANDIAN_CONSOLE_PASSWORD）\n{line}")


def notice(user: str, password_file: Path) -> str:
    """Where the generated password is (the text for logs: never the password itself)."""
    return f"控制台管理员账号 {user} 的初始密码已写入 {password_file}（仅本用户可读；首次登录后请修改密码并删除该文件）"


def announce(text: str) -> None:
    """The banner with the password: to a terminal only (a redirected stdout is a log file)."""
    if sys.stdout.isatty():
        print(text, flush=True)


async def console_lifetime(app: web.Application) -> AsyncIterator[None]:
    """At start-up: make sure the admin exists, load the cookie key (the store made the tables)."""
    context = web_context(app)
    console = app[CONSOLE_KEY]
    key_file = context.extras.get("console_key_file", KEY_FILE)
    console.signer = Signer(console_key(context.settings, Path(key_file)))
    console.static_version = _static_version()
    generated = await context.run_db(lambda session: _setup(session, context))
    if generated:
        user = context.settings.console_user
        password_file = Path(key_file).with_name(PASSWORD_FILE)
        write_private(password_file, f"{generated}\n")
        logger.warning("%s", notice(user, password_file))
        say: Callable[[str], None] = context.extras.get("console_announce", announce)
        say(banner(user, generated))
    yield


def _setup(session: Session, context: WebContext) -> str | None:
    settings = context.settings
    return bootstrap_admin(session, settings.console_user, settings.console_password, context.now())


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):  # vendor/ included (Chart.js)
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]
