"""The web chat's way to the assistant: Rasa's REST channel, with the chat user's address signed for it
(bot/trust.py) and the conversation's contact names read back from its answer (NAMES_HEADER)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web

from bot.booking.sealed import fernet
from bot.senders import web_sender
from bot.trust import NAMES_HEADER, forward_headers, open_names, trust_key
from bot.web.chat_requests import ChatRequest
from bot.web.context import WebContext, web_context

RASA_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5)
CHANNEL = "web"


async def rasa_client(app: web.Application):
    """The app's HTTP client for Rasa, closed with the app."""
    web_context(app).extras["http"] = aiohttp.ClientSession(timeout=RASA_TIMEOUT)
    yield
    await web_context(app).extras.pop("http").close()


async def ask_rasa(context: WebContext, asked: ChatRequest, address: str = "",
                   names: list[str] | None = None) -> list[dict[str, Any]]:
    """Rasa's answer to the message; `names` gets the conversation's contact names (NAMES_HEADER), if any."""
    sender = web_sender(asked.session)  # the REST channel takes `web:` only with a session id we issued
    payload = {"sender": sender, "message": asked.message, "input_channel": CHANNEL}
    url = f"{context.settings.rasa_url}/webhooks/rest/webhook"
    if "trust_key" not in context.extras:  # the user's address, signed for the REST channel (bot/trust.py)
        context.extras["trust_key"] = await asyncio.to_thread(trust_key, context.settings)
    headers = forward_headers(context.extras["trust_key"], sender, address) if address else {}
    async with context.extras["http"].post(url, json=payload, headers=headers) as response:
        if response.status != 200:
            raise ValueError(f"Rasa answered {response.status}")
        body = await response.json(content_type=None)
        sealed = response.headers.get(NAMES_HEADER)
    if sealed and names is not None:
        if "names_box" not in context.extras:
            context.extras["names_box"] = await asyncio.to_thread(fernet, context.settings)
        names.extend(open_names(sealed, context.extras["names_box"]))
    if not isinstance(body, list):
        raise ValueError("Rasa answered something other than a list")
    return [message for message in body if isinstance(message, dict)]


def chat_reply(message: dict[str, Any]) -> dict[str, Any]:
    """A message of Rasa's as the page shows it: its text and buttons (an id once the exchange is recorded)."""
    buttons = [{"title": str(button.get("title", "")), "payload": str(button.get("payload", ""))}
               for button in message.get("buttons") or [] if isinstance(button, dict)]
    return {"id": None, "text": str(message["text"]), "buttons": buttons}
