"""Talking to the running multi-replica topology (scripts/test-scale.sh starts it and exports where it is).

Everything goes through nginx (BANDIAN_PROD_URL), which answers with the replica that served
each request in the X-Upstream header.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL as SQL_URL
from sqlalchemy.engine import Engine

URL = os.environ.get("BANDIAN_PROD_URL", "").rstrip("/")
TIMEOUT = 120  # seconds for one turn: 2 cores serve every replica and the test itself
ORDER_NUMBER = re.compile(r"工单号：(\d{5}-\d{5})")

T = TypeVar("T")


def replica_addresses(variable: str) -> set[str]:
    """The upstream addresses nginx reports for the replicas whose ports are in `variable`."""
    return {f"127.0.0.1:{port}" for port in os.environ.get(variable, "").split()}


RASA_REPLICAS = replica_addresses("PROD_RASA_PORTS")
WEB_REPLICAS = replica_addresses("PROD_WEB_PORTS")
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Turn:
    message: str
    text: str  # every reply's text and button titles
    upstream: str  # the Rasa replica that answered (X-Upstream)

    @property
    def compact(self) -> str:
        return re.sub(r"\s+", "", self.text)


def say(sender: str, message: str) -> Turn:
    """One turn through nginx's REST channel route."""
    response = requests.post(f"{URL}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                             timeout=TIMEOUT)
    assert response.status_code == 200, f"{sender} {message!r}: HTTP {response.status_code} {response.text[:300]}"
    body = response.json()
    text_ = "\n".join((m.get("text") or "") + " ".join(b.get("title", "") for b in m.get("buttons") or [])
                      for m in body)
    return Turn(message, text_, response.headers.get("X-Upstream", ""))


def tracker(sender: str) -> dict[str, Any]:
    """The conversation as Rasa's HTTP API returns it (from the shared tracker store, via any replica)."""
    response = requests.get(f"{URL}/conversations/{sender}/tracker",
                            params={"token": os.environ["RASA_TOKEN"]}, timeout=TIMEOUT)
    assert response.status_code == 200, f"tracker of {sender}: HTTP {response.status_code}"
    return response.json()


def user_texts(events: Sequence[dict[str, Any]]) -> list[str]:
    return [event.get("text") or "" for event in events if event.get("event") == "user"]


def stored_user_texts(db: Engine, sender: str) -> list[str]:
    """The user events of a conversation as stored in PostgreSQL, in the order they were saved."""
    query = text("SELECT data FROM events WHERE sender_id = :sender AND type_name = 'user' ORDER BY id")
    with db.connect() as connection:
        return [json.loads(row.data).get("text") or "" for row in connection.execute(query, {"sender": sender})]


def together(count: int, work: Callable[[int], T]) -> list[T]:
    """Run work(0) … work(count-1) in threads released at the same moment; results in index order."""
    barrier = threading.Barrier(count)

    def run(index: int) -> T:
        barrier.wait(timeout=60)
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def app_database() -> Engine:
    return create_engine(os.environ["DATABASE_URL"], future=True)


def tracker_database() -> Engine:
    url = SQL_URL.create("postgresql+psycopg2", username=os.environ["DB_USER"], password=os.environ["DB_PASSWORD"],
                         host=os.environ["DB_HOST"], port=int(os.environ["DB_PORT"]),
                         database=os.environ["DB_DATABASE"])
    return create_engine(url, future=True)


def new_phone(taken: set[str]) -> str:
    """A mobile number no earlier run used (the 139 prefix, random digits)."""
    while True:
        phone = f"139{random.randrange(10**8):08d}"
        if phone not in taken:
            taken.add(phone)
            return phone


@dataclass(frozen=True)
class Check:
    """A message and what its answer must (and must not) contain, so an answer to another turn fails it."""

    message: str
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    no_day_counts: bool = False  # a clarifying question or a refusal never states a number of days

    def problem(self, turn: Turn) -> str | None:
        missing = [word for word in self.must if word not in turn.compact]
        if missing:
            return f"missing {missing}"
        present = [word for word in self.must_not if word in turn.compact]
        if present:
            return f"has {present}, which belongs to another turn"
        if self.no_day_counts and re.search(r"\d+个?工作日", turn.compact):
            return "states a number of working days"
        return None
