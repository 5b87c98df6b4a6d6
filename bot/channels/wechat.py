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
customer-service API when ready. See docs/wechat.md.

Trust boundaries: a request's `timestamp` must be within MAX_TIMESTAMP_SKEW (300 s) of the server's clock;
its nonce is remembered for twice that long and may come again only with the same body (WeChat's own
retry), as MsgIds are remembered for processing once; with an EncodingAESKey configured only encrypted
(`encrypt_type=aes`) bodies are accepted; each customer (openid) gets BANDIAN_WECHAT_RATE messages before
a polite "too fast" reply. The conversation's sender id is `wechat:<openid>` (bot/senders.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.wechat_api import (
    DEFAULT_API_BASE,
    TEXT_LIMIT_BYTES,
    CustomerServiceClient,
    WeChatApiError,
    split_text,
    utf8_len,
)
from bot.channels.wechat_crypto import DecryptError, WeChatCipher, check_signature, signature
from bot.channels.wechat_tokens import DatabaseTokenStore
from bot.channels.wechat_xml import (
    IncomingMessage,
    MalformedMessage,
    encrypted_field,
    encrypted_reply,
    parse_message,
    text_reply,
)
from bot.feedback.store import record_exchange
from bot.limits import TOO_MANY, Rate, RateLimiter
from bot.livechat.store import Routed, customer_message, remember_target
from bot.livechat.store import clock as livechat_clock
from bot.masking import mask_names, mask_text
from bot.orders.store import conversation_key
from bot.rasa_plugins import patches
from bot.rasa_plugins.tracker_store import contact_names_of
from bot.senders import openid_of, wechat_sender
from bot.services import Services, current
from bot.untrusted import ascii_int

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
REPLY_TIMEOUT = 4.5  # seconds; WeChat gives up on a passive reply after 5
PROCESS_TIMEOUT = 60.0  # seconds a message may take in Rasa before the customer gets an apology
MAX_BODY_BYTES = 64 * 1024  # larger bodies: 413
MAX_TIMESTAMP_SKEW = 300  # seconds; older or future-dated signed requests are refused (replays)
REPLAY_WINDOW = 2.0 * MAX_TIMESTAMP_SKEW  # a request is acceptable this long (timestamps ± the skew) ...
DEDUPE_TTL = REPLAY_WINDOW  # ... so message ids and nonces are remembered that long (retries come within ~15 s)
MAX_NONCES = 200_000  # nonces remembered at most (the oldest are forgotten first)
SHUTDOWN_GRACE = 10.0  # seconds the server's shutdown waits for answers still being pushed
CHOICES_TTL = 1800.0  # seconds a numbered button list can be answered with its number
MAX_MESSAGE_CHARS = 2000  # longer customer messages are cut (as on the REST channel)
PASSIVE_LIMIT_BYTES = TEXT_LIMIT_BYTES  # a passive text reply larger than this goes through the API
SUCCESS = "success"  # WeChat's "received, nothing to reply"
GREETING = "/greet"  # what a new follower "says" to the assistant
CHOICE_HEADER = "回复序号或以下任一内容："
UNSUPPORTED_REPLY = ("抱歉，目前我只能看懂文字消息😊 请直接用文字输入您的办电问题，"
                     "例如“枣庄居民办电要带什么资料”。")
EMPTY_REPLY = "请用文字输入您的办电问题，例如“枣庄居民办电要带什么资料”。"
ERROR_REPLY = "抱歉，系统暂时繁忙，请稍后再试；紧急用电问题请拨打国家电网供电服务热线 95598。"
TRUNCATED_NOTE = "\n……（内容较长，未能全部显示，请分开提问）"
UNSUPPORTED_TYPES = frozenset({"image", "voice", "video", "shortvideo", "location", "link", "file"})

Router = Callable[[str, str], Routed]  # (openid, text) → Routed; runs in a worker thread
Recorder = Callable[[str, str, str], None]  # (openid, question, answer); runs in a worker thread


def tag(openid: str) -> str:
    """A short, non-reversible id of a customer for logs (the same as the live chat's conversation tag)."""
    return conversation_key(wechat_sender(openid))[:8]


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


def render_buttons(text: str, buttons: list[dict[str, Any]]) -> str:
    """WeChat text has no buttons: the titles as a numbered list under the text."""
    titles = [str(b.get("title") or b.get("payload") or "") for b in buttons]
    lines = [f"{index}. {title}" for index, title in enumerate(titles, 1) if title]
    return "\n".join([text.strip(), "", CHOICE_HEADER, *lines]).strip() if lines else text


def button_choices(buttons: list[dict[str, Any]]) -> list[str]:
    """What each numbered line stands for: the button's payload, else its title."""
    return [str(b.get("payload") or b.get("title") or "") for b in buttons if b.get("title") or b.get("payload")]


class WeChatOutput(CollectingOutputChannel):
    """Collects one turn's replies as plain text for a single passive reply or API message."""

    def __init__(self) -> None:
        super().__init__()
        self.choices: list[str] = []

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        self.choices = button_choices(buttons)
        await self._persist_message(self._message(recipient_id, text=render_buttons(text, buttons)))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=image))

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        if isinstance(attachment, str):
            await self._persist_message(self._message(recipient_id, text=attachment))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        logger.debug("wechat: custom payload dropped (WeChat shows text only)")

    def reply_text(self) -> str:
        return "\n\n".join(str(m["text"]).strip() for m in self.messages if m.get("text")).strip()


class WeChatPushOutput(OutputChannel):
    """Messages outside a turn (e.g. Rasa's trigger_intent), pushed through the customer-service API."""

    def __init__(self, client: CustomerServiceClient) -> None:
        self.client = client

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.client.send_text(openid_of(recipient_id), text)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        await self.client.send_text(openid_of(recipient_id), render_buttons(text, buttons))


class Choices:
    """The last numbered button list sent to each customer, so that "2" means the second button."""

    def __init__(self, ttl: float = CHOICES_TTL, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10000) -> None:
        self.ttl, self.clock, self.max_entries = ttl, clock, max_entries
        self._entries: OrderedDict[str, tuple[float, list[str]]] = OrderedDict()

    def remember(self, openid: str, choices: list[str]) -> None:
        self._entries.pop(openid, None)
        if choices:
            self._entries[openid] = (self.clock(), choices)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def resolve(self, openid: str, text: str) -> str:
        """The choice a bare number stands for, else the text itself."""
        number = unicodedata.normalize("NFKC", text).strip().rstrip(".、")
        entry = self._entries.get(openid)
        # isdecimal, not isdigit: int() fails on Ethiopic "፩" (a digit, not a decimal one; NFKC keeps it)
        if not number.isdecimal() or len(number) > 4 or entry is None or self.clock() - entry[0] > self.ttl:
            return text
        index = int(number)
        return entry[1][index - 1] if 1 <= index <= len(entry[1]) else text


@dataclass
class Pending:
    """One received message: its processing (shared by WeChat's retries) and how its answer is delivered."""

    task: asyncio.Future[str]
    started: float
    deferred: bool = False  # True: the answer goes through the customer-service API, retries get "success"


class InFlight:
    """Messages received within the TTL, by dedupe key; an entry is dropped only once its processing ended."""

    def __init__(self, ttl: float = DEDUPE_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._entries: OrderedDict[str, Pending] = OrderedDict()

    def start(self, key: str, work: Callable[[], Coroutine[Any, Any, str]]) -> tuple[Pending, bool]:
        """The entry of `key`, starting `work` for it when it is new (second value: whether it is new)."""
        self._purge()
        pending = self._entries.get(key)
        if pending is not None:
            return pending, False
        pending = Pending(asyncio.ensure_future(work()), self.clock())
        self._entries[key] = pending
        return pending, True

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def _purge(self) -> None:
        now = self.clock()
        while self._entries:
            pending = next(iter(self._entries.values()))
            if now - pending.started < self.ttl or not pending.task.done():
                return
            self._entries.popitem(last=False)


class Nonces:
    """Signed requests seen within the replay window: a signed (timestamp, nonce) may come again only with the
    same body (WeChat retrying the same push); with another body it is a replay of a captured signature.

    Keyed by what the signature covers: SHA-1 over the *sorted* token, timestamp and nonce, so a captured
    query string with timestamp and nonce swapped has the same signature. The key is the sorted pair, and
    a swapped replay is one more replay, not a new request (red team round 1, F7)."""

    def __init__(self, ttl: float = REPLAY_WINDOW, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = MAX_NONCES) -> None:
        self.ttl, self.clock, self.max_entries = ttl, clock, max_entries
        self._seen: OrderedDict[tuple[str, str], tuple[float, str]] = OrderedDict()

    def fresh(self, timestamp: str, nonce: str, body: bytes) -> bool:
        """Whether the request may be handled (and remember it)."""
        now = self.clock()
        while self._seen and (now - next(iter(self._seen.values()))[0] > self.ttl
                              or len(self._seen) > self.max_entries):
            self._seen.popitem(last=False)
        fingerprint = hashlib.sha256(body).hexdigest()
        key = (timestamp, nonce) if timestamp <= nonce else (nonce, timestamp)  # what the signature covers
        seen = self._seen.get(key)
        if seen is not None:
            return seen[1] == fingerprint
        self._seen[key] = (now, fingerprint)
        return True

    def __len__(self) -> int:
        return len(self._seen)


def classify(message: IncomingMessage) -> str:
    """text | subscribe | unsubscribe | unsupported (media, location, link) | ignore (other events)."""
    if message.msg_type == "text" or (message.msg_type == "voice" and message.recognition.strip()):
        return "text"
    if message.msg_type == "event":
        event = message.event.lower()
        return event if event in ("subscribe", "unsubscribe") else "ignore"
    return "unsupported" if message.msg_type in UNSUPPORTED_TYPES else "ignore"


def user_text(message: IncomingMessage) -> str:
    text = message.content if message.msg_type == "text" else message.recognition
    return text.strip()[:MAX_MESSAGE_CHARS]


def truncate(text: str, limit: int = PASSIVE_LIMIT_BYTES) -> str:
    """The text cut to fit one passive reply, with a note saying so."""
    if utf8_len(text) <= limit:
        return text
    return split_text(text, limit - utf8_len(TRUNCATED_NOTE))[0] + TRUNCATED_NOTE


def unix_time(timestamp: str) -> int | None:
    """The seconds of a `timestamp=` argument: ASCII digits only, else None. `str.isdigit()` also accepts
    "²", "①" or Ethiopic "፩", on which int() fails; and a few thousand digits would make int() refuse too."""
    return ascii_int(timestamp, 12)


def _status(status: int, text: str) -> HTTPResponse:
    return response.text(text, status=status)


class _BadSignature(Exception):
    pass


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


class WeChatWebhook:
    """The HTTP side (signatures, decryption, XML) and the once-only processing of each message."""

    def __init__(self, channel: WeChatInput, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        self.channel = channel
        self.on_new_message = on_new_message
        self.in_flight = InFlight()
        self.nonces = Nonces()
        self.limiter = RateLimiter(channel.rate, limit_loopback=True)  # keyed by openid, not by address
        self.choices = Choices()
        self._deliveries: set[asyncio.Future[None]] = set()

    # ---- HTTP -------------------------------------------------------------------------

    async def verify(self, request: Request) -> HTTPResponse:
        """Server URL verification: echo `echostr` when the signature is right."""
        if not self._authentic(request, str(request.args.get("echostr", "")).encode("utf-8", "surrogatepass")):
            return _status(403, "forbidden")
        return response.text(request.args.get("echostr", ""))

    async def receive(self, request: Request) -> HTTPResponse:
        """A pushed message or event: a passive reply, or "success"."""
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            return _status(413, "payload too large")
        if not self._authentic(request, body):
            return _status(403, "forbidden")
        safe = str(request.args.get("encrypt_type", "")).lower() == "aes"
        if self.channel.cipher is not None and not safe:
            logger.warning("wechat: a plaintext body refused (safe mode is configured: only encrypted bodies)")
            return _status(403, "forbidden")
        try:
            message = self._open(body, request) if safe else parse_message(body)
        except _BadSignature:
            return _status(403, "forbidden")
        except (MalformedMessage, DecryptError) as error:
            logger.warning("wechat: bad request body: %s", error)
            return _status(400, "bad request")
        answer = await self.reply_for(message)
        if not answer:
            return response.text(SUCCESS)
        xml = text_reply(message.from_user, message.to_user, answer, int(time.time()))
        if safe:
            xml = self._seal(xml, str(request.args.get("nonce")))
        return response.text(xml, content_type="application/xml; charset=utf-8")

    def _authentic(self, request: Request, body: bytes) -> bool:
        """A right signature, a timestamp within MAX_TIMESTAMP_SKEW, and not a replay (bot docstring)."""
        args = request.args
        timestamp, nonce = str(args.get("timestamp", "")), str(args.get("nonce", ""))
        if not check_signature(args.get("signature"), self.channel.token, timestamp, nonce):
            logger.warning("wechat: request with a bad signature refused")
            return False
        seconds = unix_time(timestamp)
        if seconds is None or abs(self.channel.clock() - seconds) > MAX_TIMESTAMP_SKEW:
            logger.warning("wechat: request with a stale timestamp refused")
            return False
        if not self.nonces.fresh(timestamp, nonce, body):
            logger.warning("wechat: a signed request replayed with another body refused (nonce seen before)")
            return False
        return True

    def _open(self, body: bytes, request: Request) -> IncomingMessage:
        """The message inside a safe-mode envelope (its msg_signature covers the encrypted text)."""
        cipher = self.channel.cipher
        if cipher is None:
            logger.error("wechat: encrypted message received but no EncodingAESKey configured")
            raise MalformedMessage("safe mode is not configured")
        encrypted = encrypted_field(body)
        args = request.args
        if not check_signature(args.get("msg_signature"), self.channel.token, str(args.get("timestamp")),
                               str(args.get("nonce")), encrypted):
            logger.warning("wechat: encrypted message with a bad msg_signature refused")
            raise _BadSignature
        return parse_message(cipher.decrypt(encrypted))

    def _seal(self, xml: str, nonce: str) -> str:
        assert self.channel.cipher is not None
        timestamp = str(int(time.time()))
        encrypted = self.channel.cipher.encrypt(xml)
        return encrypted_reply(encrypted, signature(self.channel.token, timestamp, nonce, encrypted), timestamp, nonce)

    # ---- messages ---------------------------------------------------------------------

    async def reply_for(self, message: IncomingMessage) -> str:
        """The passive reply text for a message ("" for "success")."""
        kind = classify(message)
        logger.info("wechat: %s (%s) from %s", kind, message.msg_type, tag(message.from_user))
        if kind == "unsupported":
            return UNSUPPORTED_REPLY
        if kind not in ("text", "subscribe"):
            return ""
        if message.dedupe_key not in self.in_flight and self.limiter.take(message.from_user) is not None:
            logger.warning("wechat: %s sends too fast; told to slow down", tag(message.from_user))
            return TOO_MANY
        pending, new = self.in_flight.start(message.dedupe_key, lambda: self._process(message, kind))
        if not new:
            logger.info("wechat: retry of a message from %s joins its processing", tag(message.from_user))
        return await self._passive(pending, message.from_user)

    async def _process(self, message: IncomingMessage, kind: str) -> str:
        """The whole answer to one message (never raises: failures become an apology)."""
        openid = message.from_user
        if kind == "subscribe":
            return await self._ask_rasa(openid, GREETING)
        text = user_text(message)
        if not text:
            return EMPTY_REPLY
        logger.debug("wechat: text from %s: %s", tag(openid), mask_text(text))
        routed = await self._route(openid, text)
        if routed.held:
            logger.info("wechat: message from %s held for the live-chat agent", tag(openid))
            return ""
        answer = await self._ask_rasa(openid, self.choices.resolve(openid, text))
        reply = "\n\n".join(part for part in (routed.notice, answer) if part)
        if reply:  # the contact name the booking form took is masked in the record too (bot/masking.py)
            question = mask_names(text, contact_names_of(wechat_sender(openid)))
            self._track(asyncio.ensure_future(self._record(openid, question, reply)))
        return reply

    async def _record(self, openid: str, question: str, answer: str) -> None:
        try:
            await asyncio.to_thread(self.channel.recorder, openid, question, answer)
        except Exception:  # the feedback store being down must not silence the assistant
            logger.exception("wechat: the exchange with %s was not recorded", tag(openid))

    async def _route(self, openid: str, text: str) -> Routed:
        try:
            return await self.channel.route_to_agent(openid, text)
        except Exception:  # the live-chat store being down must not silence the assistant
            logger.exception("wechat: live-chat routing failed for %s; the assistant answers", tag(openid))
            return Routed(held=False)

    async def _ask_rasa(self, openid: str, text: str) -> str:
        output = WeChatOutput()
        try:
            message = UserMessage(text, output, wechat_sender(openid), input_channel=CHANNEL)
            await asyncio.wait_for(self.on_new_message(message), PROCESS_TIMEOUT)
        except Exception:
            logger.exception("wechat: the assistant failed on a message from %s", tag(openid))
            return ERROR_REPLY
        self.choices.remember(openid, output.choices)
        return output.reply_text()

    # ---- delivery ---------------------------------------------------------------------

    async def _passive(self, pending: Pending, openid: str) -> str:
        """The answer if it is ready in time and fits a passive reply; otherwise "" and the API delivers it."""
        if pending.deferred:
            return ""
        try:
            answer = await asyncio.wait_for(asyncio.shield(pending.task), self.channel.reply_timeout)
        except asyncio.TimeoutError:
            if not pending.task.done():
                self._defer(pending, openid, "not ready in time")
                return ""
            answer = pending.task.result()
        if pending.deferred:
            return ""
        if utf8_len(answer) <= PASSIVE_LIMIT_BYTES:
            return answer
        if self.channel.client is None:
            return truncate(answer)
        self._defer(pending, openid, "too long for a passive reply")
        return ""

    def _defer(self, pending: Pending, openid: str, reason: str) -> None:
        client = self.channel.client
        if client is None:
            logger.warning("wechat: answer to %s %s and no customer-service API configured: not delivered",
                           tag(openid), reason)
            return
        logger.info("wechat: answer to %s %s: sent through the customer-service API", tag(openid), reason)
        pending.deferred = True
        self._track(asyncio.ensure_future(self._deliver(pending.task, openid, client)))

    def _track(self, work: asyncio.Future[None]) -> None:
        """Background work (an answer sent through the API, an exchange recorded) that shutdown waits for."""
        self._deliveries.add(work)
        work.add_done_callback(self._deliveries.discard)

    async def _deliver(self, task: asyncio.Future[str], openid: str, client: CustomerServiceClient) -> None:
        try:
            answer = await task
            if answer:
                await client.send_text(openid, answer)
        except WeChatApiError as error:
            logger.error("wechat: answer to %s could not be sent: %s", tag(openid), error)
        except Exception:
            logger.exception("wechat: answer to %s could not be sent", tag(openid))

    async def drain(self, timeout: float | None = None) -> None:
        """Wait (at most `timeout` seconds) for the answers still being sent through the API."""
        if self._deliveries:
            await asyncio.wait(list(self._deliveries), timeout=timeout)
