"""The WeChat access token shared by every process of one official account, kept in the database.

WeChat keeps only the newest access token of an app valid (the previous one for about five more
minutes) and allows 2,000 token requests a day. Rasa replicas and web-app replicas that each fetched
their own token would invalidate each other's, so the first one stores what it fetched here and the
others take it from here. Times are naive UTC (the processes may run in different time zones).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.wechat_models import WeChatAccessToken
from bot.store.engine import session_scope
from bot.store.runtime import sessions_for

REFRESH_MARGIN = timedelta(seconds=300)  # a token this close to its expiry is no longer handed out
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def refresh_margin(lifetime: timedelta) -> timedelta:
    """How long before its expiry a token is replaced: five minutes, half the lifetime of a short one."""
    return min(REFRESH_MARGIN, lifetime / 2)


def usable_until(row: WeChatAccessToken) -> datetime:
    return row.expires_at - refresh_margin(row.expires_at - row.fetched_at)


def valid_token(session: Session, app_id: str, now: datetime) -> WeChatAccessToken | None:
    """The stored token of the app, unless it is missing or (about to be) expired."""
    row = session.execute(select(WeChatAccessToken).where(WeChatAccessToken.app_id == app_id)).scalar_one_or_none()
    if row is None or usable_until(row) <= now:
        return None
    return row


def store_token(session: Session, app_id: str, token: str, expires_at: datetime, now: datetime) -> None:
    """Store a token just fetched from WeChat, replacing the app's previous one (the newest wins)."""
    values = {"token": token, "expires_at": expires_at, "fetched_at": now}
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        statement = insert(WeChatAccessToken).values(app_id=app_id, **values)
        session.execute(statement.on_conflict_do_update(index_elements=[WeChatAccessToken.app_id],
                                                        set_={key: statement.excluded[key] for key in values}))
    else:
        updated = session.execute(update(WeChatAccessToken).where(WeChatAccessToken.app_id == app_id)
                                  .values(**values)).rowcount
        if not updated:
            session.add(WeChatAccessToken(app_id=app_id, **values))
    session.commit()


def forget_token(session: Session, app_id: str, refused: str) -> bool:
    """Delete the app's stored token if it is still the refused one (a newer token stays); whether it was."""
    deleted = session.execute(delete(WeChatAccessToken).where(WeChatAccessToken.app_id == app_id,
                                                              WeChatAccessToken.token == refused)).rowcount
    session.commit()
    return bool(deleted)


@dataclass(frozen=True)
class StoredToken:
    token: str
    valid_for: float  # seconds it may still be used before it is replaced


class DatabaseTokenStore:
    """The token table for `CustomerServiceClient`, reached from a worker thread (sessions block).

    Give the database URL (the engine is opened on first use, never at construction) or a sessionmaker.
    """

    def __init__(self, database_url: str | None = None, *, factory: sessionmaker | None = None,
                 now: Callable[[], datetime] = utc_now) -> None:
        if (database_url is None) == (factory is None):
            raise ValueError("give either a database URL or a sessionmaker")
        self._url, self._factory, self._now = database_url, factory, now
        self._opening = threading.Lock()

    async def load(self, app_id: str) -> StoredToken | None:
        now = self._now()
        row = await self._run(lambda session: valid_token(session, app_id, now))
        return None if row is None else StoredToken(row.token, (usable_until(row) - now).total_seconds())

    async def save(self, app_id: str, token: str, expires_in: float) -> None:
        now = self._now()
        await self._run(lambda session: store_token(session, app_id, token, now + timedelta(seconds=expires_in), now))

    async def forget(self, app_id: str, token: str) -> bool:
        return await self._run(lambda session: forget_token(session, app_id, token))

    async def _run(self, work: Callable[[Session], T]) -> T:
        def job() -> T:
            with session_scope(self._sessions()) as session:
                return work(session)
        return await asyncio.to_thread(job)

    def _sessions(self) -> sessionmaker:
        with self._opening:
            if self._factory is None:
                assert self._url is not None
                self._factory = sessions_for(self._url)
            return self._factory
