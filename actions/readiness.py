"""The action server's readiness endpoint, GET /readyz: 200 when the database answers `SELECT 1` through the
store, 503 when it does not (rasa_sdk's own /health only says that the process answers: liveness).

rasa_sdk imports every module of this package when it starts; nothing here runs then. rasa_sdk's plug-in
hook (rasa_sdk_plugins/) attaches `attach` to the Sanic app. When the server has started, the database is
opened, which upgrades it to head (bot/store/runtime.py), and the knowledge base is loaded, so that both
happen at the start and not in the first action; if the database fails the server still serves, /readyz says
503, and the next use tries again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.services import current
from bot.store.engine import database_ready

logger = logging.getLogger(__name__)
PATH = "/readyz"


def attach(app: Any) -> None:
    from sanic import response

    services = current()

    async def open_database(_app: Any, _loop: Any) -> None:
        try:
            await asyncio.to_thread(lambda: services.sessions)
        except Exception:
            logger.exception("the database could not be opened at start (/readyz answers 503 until it can)")
        try:  # the knowledge base and its sentence index too, so that the first customer does not wait for them
            await asyncio.to_thread(lambda: services.kb.clause_index if services.kb.seeds_dir else None)
        except Exception:
            logger.exception("the knowledge base could not be loaded at start (the first question tries again)")

    async def ready(_request: Any) -> Any:
        if await database_ready(lambda: services.sessions):
            return response.json({"status": "ok"})
        return response.json({"status": "unavailable"}, status=503)

    app.add_route(ready, PATH, methods=["GET"])
    app.listener(open_database, "after_server_start")
