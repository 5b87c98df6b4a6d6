"""The one place where a process's services are built and handed out.

`Services.from_settings(settings)` reads nothing else: the settings are read once (by the entry point, from
the environment and .env), and the knowledge base, the answer planner, the database sessions, the sealer
of personal data kept in slots, the staff-identity key, the lookup rules and the clock are built from them
on first use, once, and passed to whoever needs them. Nothing is built at import time.

The entry points get them the same way:
- the web app and the command lines build `Services.from_settings(Settings.from_env())` in `main()` and pass
  it down;
- Rasa constructs actions, channels and tracker stores itself (no constructor arguments of ours), so those
  adapters ask `current()`, the process's one instance, built from the environment on first use;
- tests build their own and `install()` it (or pass it in directly).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from bot.booking.sealed import fernet
from bot.calendar import use_directory as use_calendar_directory
from bot.knowledge.service import KnowledgeBase
from bot.nlu.dictionary import domain_words
from bot.orders.lookup import LookupPolicy
from bot.orders.runtime import lookup_policy
from bot.orders.times import utc_now
from bot.qa.planner import Answerer
from bot.settings import Settings
from bot.store.engine import session_scope
from bot.store.runtime import sessions_for
from bot.text import add_words
from bot.trust import trust_key


@dataclass(eq=False)
class Services:
    settings: Settings
    clock: Callable[[], datetime] = utc_now  # aware UTC; tests pass a fixed one
    knowledge: KnowledgeBase | None = field(default=None, repr=False)  # a loaded KB to share (tests, benchmarks)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Callable[[], datetime] | None = None,
                      knowledge: KnowledgeBase | None = None) -> Services:
        return cls(settings=settings, clock=clock or utc_now, knowledge=knowledge)

    def with_database(self, url: str) -> Services:
        """The same services on another database (the command lines' --database-url)."""
        return Services(settings=replace(self.settings, database_url=url), clock=self.clock, knowledge=self.knowledge)

    @cached_property
    def kb(self) -> KnowledgeBase:
        return self.knowledge or load_knowledge(self.settings.knowledge_dir, self.settings.seeds_dir)

    @cached_property
    def answerer(self) -> Answerer:
        return Answerer(self.kb)

    @cached_property
    def sessions(self) -> sessionmaker:
        """Sessions of the settings' database, opened (and upgraded to head) on first use."""
        return sessions_for(self.settings.database_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session, closed afterwards; callers commit."""
        with session_scope(self.sessions) as session:
            yield session

    @cached_property
    def sealer(self) -> Fernet:
        return fernet(self.settings)

    @cached_property
    def trust_key(self) -> bytes:
        return trust_key(self.settings)

    @cached_property
    def lookup_policy(self) -> LookupPolicy:
        return lookup_policy(self.settings)


_current: Services | None = None
_loaded: dict[tuple[Path, Path], KnowledgeBase] = {}
_lock = threading.RLock()


def load_knowledge(knowledge_dir: Path, seeds_dir: Path) -> KnowledgeBase:
    """The knowledge base of a directory, loaded once per process (every Services of that directory shares it);
    its place and term names are added to the word segmenter's dictionary."""
    with _lock:
        key = (knowledge_dir.resolve(), seeds_dir.resolve())
        if key not in _loaded:
            kb = KnowledgeBase.load(knowledge_dir, seeds_dir)
            add_words(domain_words(kb))
            _loaded[key] = kb
        return _loaded[key]


def current() -> Services:
    """The process's services (for the adapters Rasa constructs): built from the environment on first use."""
    with _lock:
        if _current is None:
            install(Services.from_settings(Settings.from_env()))
        assert _current is not None
        return _current


def install(services: Services | None) -> None:
    """Make `services` the process's own (None: build afresh from the environment on next use). The
    working-day calendar reads its year files from the services' knowledge directory."""
    global _current
    with _lock:
        _current = services
        if services is not None:
            use_calendar_directory(services.settings.knowledge_dir / "calendar")
