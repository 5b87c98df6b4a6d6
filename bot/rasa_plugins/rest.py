"""The REST channel with its request body checked.

Rasa's own channel answers 500 when the body is JSON but not an object (e.g. `[]`), and silently
drops a message that is not a string. This one answers 400 with a clear reason instead, and cuts
very long messages to MAX_MESSAGE_CHARS. Loaded from credentials.yml under the same URL
(`/webhooks/rest/webhook`).

It also says who sent the message (bot/trust.py): `metadata["bandian_auth"]` is always written here,
never taken from the body: staff only with the staff token (X-Bandian-Staff-Token), the client's address
from the web app's signed header, our proxy's X-Real-IP (BANDIAN_TRUST_PROXY) or the peer, all signed
for the action server.

Trust boundaries (bot/senders.py, bot/limits.py):

- a REST caller speaks only in its own namespace: a `sender` starting with `web:` or `wechat:` is refused
  (400), except `web:<session>` with a session id the web app issued; the input channel is `web` for
  those and `rest` for everything else, whatever the body's `input_channel` says;
- `metadata` may be at most MAX_METADATA_BYTES (4 KB) as JSON (400 beyond); it is stored masked
  (bot/rasa_plugins/tracker_store.py);
- each client address gets BANDIAN_REST_RATE messages (429 with Retry-After beyond);
- a `sender` with a lone surrogate or a control character (NUL, …) is refused (400): no store takes it;
- the address behind X-Real-IP / X-Forwarded-For counts only for a request from one of
  BANDIAN_TRUSTED_PROXIES, with BANDIAN_TRUST_PROXY (bot/limits.py `forwarded_client`);
- the Rasa server takes request bodies up to BANDIAN_RASA_MAX_BODY_BYTES (1 MB, Sanic's REQUEST_MAX_SIZE:
  413 beyond); a request's headers and body must arrive within BANDIAN_RASA_REQUEST_TIMEOUT seconds (20)
  of its first byte, else 408 and the connection is closed (Sanic's REQUEST_TIMEOUT, made a deadline for
  the whole request, body included, by bot/rasa_plugins/sanic_timeouts.py: Sanic's own is an idle timer
  that does not cover the body); an idle connection is closed after BANDIAN_RASA_KEEP_ALIVE_TIMEOUT
  seconds (20; Rasa's default is 120), unless SANIC_REQUEST_MAX_SIZE / SANIC_REQUEST_TIMEOUT /
  SANIC_KEEP_ALIVE_TIMEOUT say otherwise. Behind nginx (deploy/nginx.conf) the body is buffered by nginx
  (`proxy_request_buffering`, on by default) before Rasa sees the request.

For a web chat sender, the answer carries the conversation's contact names (what the booking form took),
sealed, in X-Bandian-Contact-Names (bot/trust.py): the web app masks them in the exchange it stores.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cryptography.fernet import Fernet
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, Sanic, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.limits import TOO_MANY, Rate, RateLimiter, retry_after
from bot.rasa_plugins import patches, sanic_timeouts
from bot.rasa_plugins.tracker_store import contact_names_of
from bot.senders import WEB, WebSessions, rest_sender, session_key
from bot.services import current
from bot.settings import Settings
from bot.trust import ENVELOPE, NAMES_HEADER, request_identity, seal_identity, seal_names, staff_token
from bot.untrusted import MAX_METADATA_BYTES, has_control_or_surrogate, json_bytes

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128


def _body(request: Request) -> dict[str, Any]:
    body = request.json
    if not isinstance(body, dict):
        raise InvalidUsage('请求体应为 JSON 对象，例如 {"sender": "user-1", "message": "你好"}')
    return body


def limit_requests(blueprint: Blueprint, settings: Settings) -> None:
    """Body size, arrival time and keep-alive limits of the whole Rasa server (Sanic reads them per connection),
    set when the server starts unless SANIC_REQUEST_MAX_SIZE / SANIC_REQUEST_TIMEOUT / SANIC_KEEP_ALIVE_TIMEOUT
    are in the environment."""

    @blueprint.listener("before_server_start")
    async def configure(app: Sanic, _loop: Any) -> None:
        sanic_timeouts.install()  # REQUEST_TIMEOUT as a deadline for the headers and the body
        if "SANIC_REQUEST_MAX_SIZE" not in os.environ:
            app.config.REQUEST_MAX_SIZE = settings.rasa_max_body_bytes
        if "SANIC_REQUEST_TIMEOUT" not in os.environ:
            app.config.REQUEST_TIMEOUT = settings.rasa_request_timeout
        if "SANIC_KEEP_ALIVE_TIMEOUT" not in os.environ:
            app.config.KEEP_ALIVE_TIMEOUT = min(app.config.KEEP_ALIVE_TIMEOUT, settings.rasa_keep_alive_timeout)


class CheckedRestInput(RestInput):
    _trust: tuple[Settings, bytes, str] | None = None
    _sessions: WebSessions | None = None
    _limiter: RateLimiter | None = None
    _names_box: Fernet | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        patches.install()  # Rasa builds its channels at start-up, before the first message
        super().__init__(*args, **kwargs)

    def sessions(self) -> WebSessions:
        if self._sessions is None:
            self._sessions = WebSessions(session_key(self.trust()[0]))
        return self._sessions

    def limiter(self) -> RateLimiter:
        if self._limiter is None:
            settings = self.trust()[0]
            self._limiter = RateLimiter(Rate.parse(settings.rest_rate), limit_loopback=settings.rate_limit_loopback)
        return self._limiter

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        limit_requests(webhook, self.trust()[0])

        @webhook.middleware("request")
        async def rate_limit(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            wait = self.limiter().take(self.client(request))
            if wait is None:
                return None
            return response.json({"error": TOO_MANY}, status=429, headers={"Retry-After": retry_after(wait)})

        @webhook.middleware("response")
        async def contact_names(request: Request, answer: HTTPResponse) -> None:
            """A web chat's contact names, sealed, for the web app to mask in the exchange it stores."""
            if request.method != "POST" or answer.status != 200:
                return
            try:
                sender, channel = rest_sender(str(_body(request).get("sender")), self.sessions())
            except (InvalidUsage, ValueError):
                return
            names = contact_names_of(sender) if channel == WEB else ()
            if names:
                if self._names_box is None:
                    self._names_box = current().sealer
                answer.headers[NAMES_HEADER] = seal_names(names, self._names_box)

        return webhook

    def client(self, request: Request) -> str:
        """Whom the rate limit counts the request under: the chat user's address the web app signed, our
        proxy's X-Real-IP (BANDIAN_TRUST_PROXY) or the peer (bot/trust.py)."""
        settings, key, token = self.trust()
        try:
            sender = str(_body(request).get("sender"))
        except InvalidUsage:  # not JSON, or not an object: the handler answers 400
            sender = ""
        return request_identity(key, token, sender, request.headers, request.ip, settings.trust_proxy,
                                settings.trusted_proxies).client or ""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def trust(self) -> tuple[Settings, bytes, str]:
        """Settings, signing key and staff token, read once per channel."""
        if self._trust is None:
            services = current()
            self._trust = (services.settings, services.trust_key, staff_token(services.settings, create=False))
        return self._trust

    async def _extract_sender(self, req: Request) -> str:
        sender = _body(req).get("sender")
        if isinstance(sender, bool) or not isinstance(sender, (str, int)) or not str(sender).strip():
            raise InvalidUsage("sender 应为非空字符串")
        if len(str(sender)) > MAX_SENDER_CHARS:
            raise InvalidUsage(f"sender 不能超过 {MAX_SENDER_CHARS} 个字符")
        if has_control_or_surrogate(str(sender)):  # valid JSON, but no store (or PostgreSQL text) takes it
            raise InvalidUsage("sender 含有无法识别的字符（控制字符或不成对的代理项）")
        try:
            return rest_sender(str(sender), self.sessions())[0]
        except ValueError as error:
            raise InvalidUsage(str(error)) from error

    def _extract_message(self, req: Request) -> str:
        message = _body(req).get("message")
        if message is None:
            return ""
        if not isinstance(message, str):
            raise InvalidUsage("message 应为字符串")
        return message[:MAX_MESSAGE_CHARS]

    def _extract_input_channel(self, req: Request) -> str:
        """`web` for the web app's forwarded chats, else `rest`: a caller cannot claim another channel."""
        try:
            return rest_sender(str(_body(req).get("sender")), self.sessions())[1]
        except ValueError:
            return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = _body(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage("metadata 应为 JSON 对象")
        if metadata is not None and json_bytes(metadata) > MAX_METADATA_BYTES:
            raise InvalidUsage(f"metadata 不能超过 {MAX_METADATA_BYTES} 字节")
        settings, key, token = self.trust()
        sender = str(_body(request).get("sender"))
        identity = request_identity(key, token, sender, request.headers, request.ip, settings.trust_proxy,
                                    settings.trusted_proxies)
        return {**(metadata or {}), ENVELOPE: seal_identity(key, sender, identity, time.time())}
