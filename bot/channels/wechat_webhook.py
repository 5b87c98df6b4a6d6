"""The WeChat channel's webhook: the HTTP side (signatures, timestamps and replays, decryption, XML) and the
once-only processing of each message, answered passively or, when too slow or too long, through the
customer-service API (bot/channels/wechat.py says how; docs/wechat.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rasa.core.channels.channel import UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.wechat_api import TEXT_LIMIT_BYTES, CustomerServiceClient, WeChatApiError, split_text, utf8_len
from bot.channels.wechat_crypto import DecryptError, check_signature, signature
from bot.channels.wechat_output import CHANNEL, WeChatOutput
from bot.channels.wechat_state import MAX_TIMESTAMP_SKEW, Choices, InFlight, Nonces, Pending
from bot.channels.wechat_xml import (
    IncomingMessage,
    MalformedMessage,
    encrypted_field,
    encrypted_reply,
    parse_message,
    text_reply,
)
from bot.limits import TOO_MANY, RateLimiter
from bot.livechat.store import Routed
from bot.masking import mask_names, mask_text
from bot.orders.store import conversation_key
from bot.rasa_plugins.tracker_store import contact_names_of
from bot.senders import wechat_sender
from bot.untrusted import ascii_int

if TYPE_CHECKING:
    from bot.channels.wechat import WeChatInput

logger = logging.getLogger(__name__)

PROCESS_TIMEOUT = 60.0  # seconds a message may take in Rasa before the customer gets an apology
MAX_BODY_BYTES = 64 * 1024  # larger bodies: 413
MAX_MESSAGE_CHARS = 2000  # longer customer messages are cut (as on the REST channel)
PASSIVE_LIMIT_BYTES = TEXT_LIMIT_BYTES  # a passive text reply larger than this goes through the API
SUCCESS = "success"  # WeChat's "received, nothing to reply"
GREETING = "/greet"  # what a new follower "says" to the assistant
UNSUPPORTED_REPLY = ("抱歉，目前我只能看懂文字消息😊 请直接用文字输入您的办电问题，"
                     "例如“枣庄居民办电要带什么资料”。")
EMPTY_REPLY = "请用文字输入您的办电问题，例如“枣庄居民办电要带什么资料”。"
ERROR_REPLY = "抱歉，系统暂时繁忙，请稍后再试；紧急用电问题请拨打国家电网供电服务热线 95598。"
TRUNCATED_NOTE = "\n……（内容较长，未能全部显示，请分开提问）"
UNSUPPORTED_TYPES = frozenset({"image", "voice", "video", "shortvideo", "location", "link", "file"})


def tag(openid: str) -> str:
    """A short, non-reversible id of a customer for logs (the same as the live chat's conversation tag)."""
    return conversation_key(wechat_sender(openid))[:8]


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
        """A right signature, a timestamp within MAX_TIMESTAMP_SKEW, and not a replay (bot/channels/wechat.py)."""
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
