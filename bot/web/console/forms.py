"""Reading posted form fields (trimmed, length-limited)."""

from __future__ import annotations

from aiohttp import web


async def field(request: web.Request, name: str, limit: int = 500) -> str:
    form = await request.post()
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""
