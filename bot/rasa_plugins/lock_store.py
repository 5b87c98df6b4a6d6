"""A Redis lock store whose ticket bookkeeping is atomic across Rasa processes.

Rasa Open Source's RedisLockStore reads a conversation's lock, changes it in Python and writes it
back (GET ... SET). Two replicas receiving messages of one conversation at the same moment can
both be issued the same ticket and process the messages concurrently - the later save of the
tracker then drops the other message's events (RasaHQ/rasa#9213). Here every read-modify-write
of a lock is one optimistic Redis transaction (WATCH/MULTI/EXEC, retried on conflict), and
"finish serving, delete the lock when nobody waits" is a single step.

    lock_store:
      type: bot.rasa_plugins.lock_store.AtomicRedisLockStore   # same settings as type: redis
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

_UNCHANGED = object()  # a change that writes nothing


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # loaded by module path: Rasa passes the endpoint config
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def _transact(self, conversation_id: str, change: Callable[[TicketLock | None], tuple[Any, Any]]) -> Any:
        """Apply change(lock) -> (lock to save | None to delete | _UNCHANGED, result) atomically."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(lock)
                    pipe.multi()
                    if new is None:
                        pipe.delete(key)
                    elif new is not _UNCHANGED:
                        pipe.set(key, new.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: TicketLock | None) -> tuple[Any, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._transact(conversation_id, change)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def _edit(self, conversation_id: str, edit: Callable[[TicketLock], TicketLock | None]) -> None:
        """Apply edit(lock) -> the lock to save, or None to delete it, atomically; no lock: nothing to do."""
        self._transact(conversation_id, lambda lock: (_UNCHANGED if lock is None else edit(lock), None))

    def update_lock(self, conversation_id: str) -> None:
        def edit(lock: TicketLock) -> TicketLock:
            lock.remove_expired_tickets()
            return lock

        self._edit(conversation_id, edit)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def edit(lock: TicketLock) -> TicketLock:
            lock.remove_ticket_for(ticket_number)
            return lock

        self._edit(conversation_id, edit)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        def edit(lock: TicketLock) -> TicketLock | None:
            lock.remove_ticket_for(ticket_number)
            return lock if lock.is_someone_waiting() else None

        self._edit(conversation_id, edit)
