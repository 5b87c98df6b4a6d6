"""The process's database: opened on first use from the settings (never at import time), upgraded to head then.

Features take a Session (or a sessionmaker) as an argument; the entry points (actions, the web app, the
channels, the command lines) get them from bot/services.py, which opens the database here: one engine per
URL per process, shared by every Services of that URL.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.store.engine import make_engine, session_factory
from bot.store.schema import upgrade


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One engine per URL per process, its database upgraded to head when it is opened (not cached on failure:
    the next call tries again)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


@lru_cache(maxsize=4)
def sessions_for(url: str) -> sessionmaker:
    return session_factory(engine_for(url))
