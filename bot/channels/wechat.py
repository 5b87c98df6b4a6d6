"""The WeChat official account channel (微信公众号): `POST /webhooks/wechat/webhook`.

credentials.yml::

    bot.channels.wechat.WeChatInput:
      token: ...             # each key is optional: missing keys come from WECHAT_* settings
      app_id: ...
      app_secret: ...
      encoding_aes_key: ...  # set for safe mode (encrypt_type=aes)
      api_base: https://api.weixin.qq.com

WeChat waits 5 seconds for a passive reply and retries a message up to three times. Each message is
processed once (keyed by MsgId, events by sender + CreateTime): retries wait for the same processing.
An answer not ready within `reply_timeout` is acknowledged with "success" and pushed through the
customer-service API when ready. See docs/wechat.md. The webhook is in wechat_webhook.py, what it remembers
between requests in wechat_state.py, the output channels in wechat_output.py.

Trust boundaries: a request's `timestamp` must be within MAX_TIMESTAMP_SKEW (300 s) of the server's clock;
its nonce is remembered for twice that long and may come again only with the same body (WeChat's own
retry), as MsgIds are remembered for processing once; with an EncodingAESKey configured only encrypted
(`encrypt_type=aes`) bodies are accepted; each customer (openid) gets BANDIAN_WECHAT_RATE messages before
a polite "too fast" reply. The conversation's sender id is `wechat:<openid>` (bot/senders.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.wechat_api import DEFAULT_API_BASE, CustomerServiceClient
from bot.channels.wechat_crypto import WeChatCipher
from bot.channels.wechat_output import CHANNEL, WeChatPushOutput
from bot.channels.wechat_tokens import DatabaseTokenStore
from bot.channels.wechat_webhook import WeChatWebhook
from bot.feedback.store import record_exchange
from bot.limits import Rate
from bot.livechat.outbox import remember_target
from bot.livechat.store import Routed, customer_message
from bot.livechat.store import clock as livechat_clock
from bot.orders.store import conversation_key
from bot.rasa_plugins import patches
from bot.senders import wechat_sender
from bot.services import Services, current

logger = logging.getLogger(__name__)

REPLY_TIMEOUT = 4.5  # seconds; WeChat gives up on a passive reply after 5
SHUTDOWN_GRACE = 10.0  # seconds the server's shutdown waits for answers still being pushed

Router = Callable[[str, str], Routed]  # (openid, text) → Routed; runs in a worker thread
Recorder = Callable[[str, str, str], None]  # (openid, question, answer); runs in a worker thread


def route_in_database(openid: str, text: str, services: Services, now: datetime) -> Routed:
    """Remember where the conversation can be reached, then hold the message for an agent or let the bot answer."""
    conversation = conversation_key(wechat_sender(openid))
    with services.session() as session:
        remember_target(session, conversation, CHANNEL, openid, now)
        return customer_message(session, conversation, text, now)


def record_in_database(openid: str, question: str, answer: str, services: Services, now: datetime) -> None:
    """Keep the exchange (masked, as the web chat does): an agent taking over sees the conversation so far."""
    with services.session() as session:
        record_exchange(session, conversation=conversation_key(wechat_sender(openid)), channel=CHANNEL,
                        question=question, answer=answer, now=now)


def _no_record(_openid: str, _question: str, _answer: str) -> None:
    return None


class WeChatInput(InputChannel):
    """Configuration of the channel; `blueprint()` builds the webhook that does the work."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        services = current()
        settings = services.settings
        given = credentials or {}

        def pick(key: str, default: str) -> str:
            value = given.get(key)
            return default if value is None or str(value) == "" else str(value)

        return cls(
            token=pick("token", settings.wechat_token), app_id=pick("app_id", settings.wechat_app_id),
            app_secret=pick("app_secret", settings.wechat_app_secret),
            aes_key=pick("encoding_aes_key", settings.wechat_aes_key),
            api_base=pick("api_base", settings.wechat_api_base),
            reply_timeout=float(pick("reply_timeout", str(REPLY_TIMEOUT))), services=services,
        )

    def __init__(self, token: str, app_id: str = "", app_secret: str = "", aes_key: str = "",
                 api_base: str = DEFAULT_API_BASE, reply_timeout: float = REPLY_TIMEOUT,
                 services: Services | None = None, router: Router | None = None,
                 now: Callable[[], datetime] = livechat_clock, clock: Callable[[], float] = time.time,
                 rate: Rate | None = None, recorder: Recorder | None = None) -> None:
        patches.install()  # Rasa builds its channels at start-up, before the first message
        self.token, self.app_id = token, app_id
        self.cipher = WeChatCipher(aes_key, app_id) if aes_key else None
        # the token is shared with the account's other processes through the services' database (opened on
        # first use); without services (tests) the client keeps its token to itself
        store = DatabaseTokenStore(services.settings.database_url) if services is not None else None
        self.client = CustomerServiceClient(app_id, app_secret, api_base, token_store=store) \
            if app_id and app_secret else None
        self.reply_timeout = reply_timeout
        self.services = services
        self.router: Router = router or self._route_in_database
        # exchanges are kept with the live chat's database (a test router, no database: nothing kept)
        self.recorder: Recorder = recorder or (self._record_in_database if router is None else _no_record)
        self.now = now
        self.clock = clock  # the wall clock request timestamps are checked against (tests inject one)
        wechat_rate = services.settings.wechat_rate if services else None
        self.rate = rate if rate is not None else Rate.parse(wechat_rate, "20/60")
        self.webhook: WeChatWebhook | None = None  # the last blueprint's (for tests and shutdown)

    async def route_to_agent(self, openid: str, text: str) -> Routed:
        """Live chat: whether an agent holds this customer's conversation (runs in a worker thread)."""
        return await asyncio.to_thread(self.router, openid, text)

    def _route_in_database(self, openid: str, text: str) -> Routed:
        assert self.services is not None  # no router given: the database routes
        return route_in_database(openid, text, self.services, self.now())

    def _record_in_database(self, openid: str, question: str, answer: str) -> None:
        assert self.services is not None
        record_in_database(openid, question, answer, self.services, self.now())

    def get_output_channel(self) -> OutputChannel | None:
        return WeChatPushOutput(self.client) if self.client is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = self.webhook = WeChatWebhook(self, on_new_message)
        wechat = Blueprint("wechat_webhook", __name__)

        @wechat.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @wechat.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            return await webhook.verify(request)

        @wechat.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await webhook.receive(request)

        @wechat.listener("after_server_stop")
        async def close_client(*_: Any) -> None:
            await webhook.drain(SHUTDOWN_GRACE)
            if self.client is not None:
                await self.client.close()
        self._log_configuration()
        return wechat

    def _log_configuration(self) -> None:
        if not self.token:
            logger.error("wechat: no token configured (WECHAT_TOKEN); every request will be refused")
        logger.info("wechat channel: %s mode, customer-service API %s, reply timeout %.1fs",
                    "safe" if self.cipher else "plain", "configured" if self.client else "not configured",
                    self.reply_timeout)
