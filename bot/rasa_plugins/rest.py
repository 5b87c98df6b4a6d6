"""The REST channel with its request body checked.

Rasa's own channel answers 500 when the body is JSON but not an object (e.g. `[]`), and silently
drops a message that is not a string. This one answers 400 with a clear reason instead, and cuts
very long messages to MAX_MESSAGE_CHARS. Loaded from credentials.yml under the same URL
(`/webhooks/rest/webhook`).
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128


def _body(request: Request) -> dict[str, Any]:
    body = request.json
    if not isinstance(body, dict):
        raise InvalidUsage('请求体应为 JSON 对象，例如 {"sender": "user-1", "message": "你好"}')
    return body


class CheckedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> str:
        sender = _body(req).get("sender")
        if isinstance(sender, bool) or not isinstance(sender, (str, int)) or not str(sender).strip():
            raise InvalidUsage("sender 应为非空字符串")
        if len(str(sender)) > MAX_SENDER_CHARS:
            raise InvalidUsage(f"sender 不能超过 {MAX_SENDER_CHARS} 个字符")
        return str(sender)

    def _extract_message(self, req: Request) -> str:
        message = _body(req).get("message")
        if message is None:
            return ""
        if not isinstance(message, str):
            raise InvalidUsage("message 应为字符串")
        return message[:MAX_MESSAGE_CHARS]

    def _extract_input_channel(self, req: Request) -> str:
        channel = _body(req).get("input_channel")
        return channel if isinstance(channel, str) and channel else self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = _body(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage("metadata 应为 JSON 对象")
        return metadata
