"""WeChat customer-service messages (客服消息): text pushed to a customer outside the 5-second passive reply.

The access token is fetched once and cached until a few minutes before it expires, and fetched
again when the API reports it invalid or expired. With a token store (`DatabaseTokenStore` from
`client_from_settings`) every process of the account shares one token: a process takes the stored
token before it fetches one, and stores what it fetched. Network errors, HTTP 5xx and errcode -1
(system busy) are retried with exponential backoff; other API errors are raised at once as
WeChatApiError.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

import aiohttp

from bot.channels.wechat_tokens import DatabaseTokenStore, StoredToken, refresh_margin
from bot.orders.store import conversation_key
from bot.senders import wechat_sender
from bot.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com"
TEXT_LIMIT_BYTES = 2048  # a text customer-service message carries at most this many UTF-8 bytes
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid credential / invalid token / token expired
RETRYABLE_ERRORS = frozenset({-1})  # system busy
_PARAGRAPH_END = re.compile(r"(?<=\n)")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;…])")


class WeChatApiError(RuntimeError):
    """The WeChat API refused a request or could not be reached after the last retry."""

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


class _Retryable(Exception):
    """One attempt failed in a way worth retrying."""


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(text: str, limit: int) -> list[str]:
    """Hard cut at character boundaries into pieces of at most `limit` UTF-8 bytes."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = utf8_len(char)
        if size + width > limit and current:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        pieces.append("".join(current))
    return pieces


def _units(text: str, limit: int) -> list[str]:
    """The text as paragraphs, paragraphs too long as sentences, sentences too long hard-cut."""
    units: list[str] = []
    for paragraph in filter(None, _PARAGRAPH_END.split(text)):
        if utf8_len(paragraph) <= limit:
            units.append(paragraph)
            continue
        for sentence in filter(None, _SENTENCE_END.split(paragraph)):
            units.extend([sentence] if utf8_len(sentence) <= limit else _cut(sentence, limit))
    return units


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """The text in parts of at most `limit` UTF-8 bytes, broken at paragraph, else sentence, boundaries."""
    text = text.strip()
    if utf8_len(text) <= limit:
        return [text] if text else []
    parts, current = [], ""
    for unit in _units(text, limit):
        if current and utf8_len(current + unit) > limit:
            parts.append(current)
            current = ""
        current += unit
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _errcode(payload: dict[str, Any]) -> int:
    try:
        return int(payload.get("errcode") or 0)
    except (TypeError, ValueError):
        return -1


class TokenStore(Protocol):
    """Where the processes of one account share its access token (see `bot.channels.wechat_tokens`)."""

    async def load(self, app_id: str) -> StoredToken | None:
        """The stored token while it is still valid for more than the refresh margin, else None."""

    async def save(self, app_id: str, token: str, expires_in: float) -> None:
        """Store a token just fetched, valid for `expires_in` seconds from now."""

    async def forget(self, app_id: str, token: str) -> bool:
        """Delete the stored token if it is still `token` (the API refused it); whether it was."""


class CustomerServiceClient:
    """Sends text messages through `/cgi-bin/message/custom/send` with a cached access token.

    `retries` is the number of retries after the first attempt of each request; the n-th retry waits
    `backoff * 2**(n-1)` seconds. With a `token_store` the token is shared with the account's other
    processes; a store that fails (or takes longer than `timeout`) is logged and the token fetched as
    without one.
    """

    def __init__(self, app_id: str, app_secret: str, api_base: str = DEFAULT_API_BASE, timeout: float = 5.0,
                 retries: int = 3, backoff: float = 0.5, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 token_store: TokenStore | None = None) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.timeout, self.retries, self.backoff = timeout, max(0, retries), backoff
        self._clock, self._sleep = clock, sleep
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock: asyncio.Lock | None = None
        self.token_store = token_store
        self._refused: str | None = None  # the last token the API refused: never taken from the store again

    async def send_text(self, openid: str, text: str) -> None:
        """Send the text to the customer, in several messages when it exceeds the size limit."""
        parts = split_text(text)
        for index, part in enumerate(parts, 1):
            await self._send_part(openid, part)
            logger.info("wechat: customer-service message %d/%d sent to %s", index, len(parts),
                        conversation_key(wechat_sender(openid))[:8])

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def access_token(self) -> str:
        """The cached token; when missing or about to expire the shared one, else a new one fetched (one
        at a time)."""
        if self._token_lock is None:
            self._token_lock = asyncio.Lock()
        async with self._token_lock:
            expired = self._token is None or self._clock() >= self._token_expires
            if expired and not await self._load_shared_token():
                await self._fetch_token()
            assert self._token is not None
            return self._token

    def invalidate_token(self, token: str) -> None:
        """Forget the token the API just refused (unless another request already replaced it)."""
        self._refused = token
        if self._token == token:
            self._token = None

    async def refused_token(self, token: str) -> None:
        """Forget the refused token here and in the shared store (there only if nobody replaced it yet)."""
        self.invalidate_token(token)
        if self.token_store is not None:
            try:
                await asyncio.wait_for(self.token_store.forget(self.app_id, token), self.timeout)
            except Exception as error:
                _store_failed("forget the refused token", error)

    async def _load_shared_token(self) -> bool:
        """Take the token another process stored, when there is a store with a valid one."""
        if self.token_store is None:
            return False
        try:
            stored = await asyncio.wait_for(self.token_store.load(self.app_id), self.timeout)
        except Exception as error:
            _store_failed("read", error)
            return False
        if stored is None or stored.token == self._refused or stored.valid_for <= 0:
            return False
        self._token = stored.token
        self._token_expires = self._clock() + stored.valid_for
        logger.info("wechat: access token taken from the shared store (valid %ds)", int(stored.valid_for))
        return True

    async def _fetch_token(self) -> None:
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret}
        payload = await self._call("GET", "/cgi-bin/token", params)
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatApiError(f"no access token: errcode {_errcode(payload)} {payload.get('errmsg', '')}",
                                 _errcode(payload))
        lifetime = float(payload.get("expires_in") or 7200)
        self._token = token
        self._token_expires = self._clock() + lifetime - refresh_margin(timedelta(seconds=lifetime)).total_seconds()
        logger.info("wechat: access token fetched (valid %ds)", int(lifetime))
        if self.token_store is not None:
            try:
                await asyncio.wait_for(self.token_store.save(self.app_id, token, lifetime), self.timeout)
            except Exception as error:
                _store_failed("store the fetched token", error)

    async def _send_part(self, openid: str, content: str) -> None:
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        # with a store the new token may come from there and be refused too (another process fetched a
        # newer one it has not stored yet): then a second one
        refreshes = 1 if self.token_store is None else 2
        while True:
            token = await self.access_token()
            payload = await self._call("POST", "/cgi-bin/message/custom/send", {"access_token": token}, body)
            code = _errcode(payload)
            if code == 0:
                return
            if code in TOKEN_ERRORS and refreshes > 0:
                logger.info("wechat: access token refused (errcode %d), fetching a new one", code)
                await self.refused_token(token)
                refreshes -= 1
                continue
            raise WeChatApiError(f"custom/send failed: errcode {code} {payload.get('errmsg', '')}", code)

    async def _call(self, method: str, path: str, params: dict[str, str],
                    body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One API request with retries; the JSON answer (errcodes other than -1 are the caller's)."""
        for attempt in range(self.retries + 1):
            if attempt:
                await self._sleep(self.backoff * 2 ** (attempt - 1))
            try:
                return await self._attempt(method, path, params, body)
            except _Retryable as error:
                reason = str(error)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                reason = type(error).__name__
            logger.warning("wechat: %s %s attempt %d/%d failed: %s", method, path, attempt + 1,
                           self.retries + 1, reason)
        raise WeChatApiError(f"{method} {path} failed after {self.retries + 1} attempts: {reason}")

    async def _attempt(self, method: str, path: str, params: dict[str, str],
                       body: dict[str, Any] | None) -> dict[str, Any]:
        # WeChat shows \uXXXX escapes literally: the body is sent as UTF-8 JSON without ASCII escaping.
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else None
        async with self._client().request(method, self.api_base + path, params=params, data=data,
                                          headers=headers) as response:
            if response.status >= 500:
                raise _Retryable(f"HTTP {response.status}")
            text = await response.text(encoding="utf-8")
        if response.status >= 400:
            raise WeChatApiError(f"{method} {path}: HTTP {response.status}")
        try:
            payload = json.loads(text)
        except ValueError as error:
            raise _Retryable("answer is not JSON") from error
        if not isinstance(payload, dict):
            raise _Retryable("answer is not a JSON object")
        if _errcode(payload) in RETRYABLE_ERRORS:
            raise _Retryable(f"errcode {_errcode(payload)}")
        return payload

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session


def _store_failed(action: str, error: Exception) -> None:
    # the error's type only: a database error's text can carry the statement's parameters (the token)
    logger.warning("wechat: shared access token store failed to %s (%s); going on without it", action,
                   type(error).__name__)


def client_from_settings(settings: Settings) -> CustomerServiceClient | None:
    """A client for the configured official account sharing its token through the settings' database,
    or None without app id and secret. The database is opened on first use, not here."""
    if not settings.wechat_app_id or not settings.wechat_app_secret:
        return None
    return CustomerServiceClient(settings.wechat_app_id, settings.wechat_app_secret, settings.wechat_api_base,
                                 token_store=DatabaseTokenStore(settings.database_url))
