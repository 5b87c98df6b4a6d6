"""Reading what a console request sends: the posted form (400 when it cannot be read), its fields
(trimmed, length-limited) and record ids typed into forms and paths."""

from __future__ import annotations

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from multidict import MultiDictProxy

from bot.untrusted import ascii_int

Form = MultiDictProxy[str | bytes | web.FileField]
MAX_ID_DIGITS = 18  # every such number fits SQLite's 64-bit integers

# What aiohttp's request.post() raises for a body that is not the form its Content-Type announces:
# multipart without a boundary or with a broken one, an unknown charset or transfer encoding, bytes
# the charset cannot decode (UnicodeDecodeError is a ValueError), a malformed part header.
_UNREADABLE = (ValueError, AssertionError, LookupError, RuntimeError, BadHttpMessage)


async def posted_form(request: web.Request) -> Form:
    """The posted form fields; a body that cannot be read as a form is refused with 400."""
    try:
        return await request.post()
    except _UNREADABLE as error:
        raise web.HTTPBadRequest(text="无法读取提交的表单，请刷新页面后重试。", content_type="text/plain") from error


async def field(request: web.Request, name: str, limit: int = 500) -> str:
    value = (await posted_form(request)).get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def record_id(text: str) -> int | None:
    """A database id written in ASCII digits; None for anything else (², Ethiopic ፩ and the like, which
    str.isdigit() accepts and int() does not read, or more digits than a 64-bit id has)."""
    return ascii_int(text, MAX_ID_DIGITS)
