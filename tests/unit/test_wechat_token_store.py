"""The access token shared through the database by every process of one account (fake WeChat API).

The fake API accepts only its newest token (`TOKEN<n>` after n token requests), as WeChat does once
the previous token's grace period is over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import Engine
from test_wechat_api import FakeWeChatApi, fake_api

from bot.channels.wechat import WeChatInput
from bot.channels.wechat_api import CustomerServiceClient, client_from_settings
from bot.channels.wechat_tokens import (
    DatabaseTokenStore,
    StoredToken,
    WeChatAccessToken,
    forget_token,
    store_token,
    utc_now,
    valid_token,
)
from bot.services import Services
from bot.settings import Settings
from bot.store.engine import make_engine, session_factory
from bot.store.runtime import engine_for
from bot.store.schema import upgrade

APP = "wxapp"


@pytest.fixture()
def database(tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh SQLite file with every table."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url


def process_engine(url: str, engines: list[Engine]) -> Engine:
    """An engine of its own, as another process would have."""
    engine = make_engine(url)
    engines.append(engine)
    return engine


def client(api: FakeWeChatApi, engine: Engine, **options: Any) -> CustomerServiceClient:
    store = DatabaseTokenStore(factory=session_factory(engine))
    return CustomerServiceClient(APP, "s3cret", api.base, token_store=store, **options)


def stored(engine: Engine) -> WeChatAccessToken | None:
    with session_factory(engine)() as session:
        return session.get(WeChatAccessToken, APP)


async def fetch_elsewhere(api: FakeWeChatApi) -> None:
    """Another program fetches a token for the app and keeps it to itself."""
    async with aiohttp.ClientSession() as session, session.get(
            api.base + "/cgi-bin/token", params={"grant_type": "client_credential", "appid": APP,
                                                  "secret": "s3cret"}) as answer:
        assert answer.status == 200


def run_with_engines(url: str, scenario: Any) -> Any:
    engines: list[Engine] = []
    try:
        return asyncio.run(scenario(engines))
    finally:
        for engine in engines:
            engine.dispose()


# ---- two processes ----------------------------------------------------------------------

def test_two_clients_sharing_a_database_fetch_one_token(database):
    async def scenario(engines: list[Engine]) -> tuple[FakeWeChatApi, WeChatAccessToken | None]:
        async with fake_api() as api:
            first = client(api, process_engine(database, engines))
            second = client(api, process_engine(database, engines))
            try:
                await first.send_text("oUser1", "一")
                await second.send_text("oUser2", "二")
                await first.send_text("oUser1", "三")
            finally:
                await first.close()
                await second.close()
            return api, stored(engines[0])

    api, row = run_with_engines(database, scenario)
    assert api.token_calls == 1
    assert api.texts() == ["一", "二", "三"]
    assert api.tokens_seen == ["TOKEN1"] * 3
    assert row is not None and row.token == "TOKEN1"
    assert timedelta(seconds=7190) < row.expires_at - row.fetched_at <= timedelta(seconds=7200)


def test_a_rasa_replica_and_a_web_replica_share_the_token_through_the_settings_database(database):
    """The wiring: WeChatInput and client_from_settings both use the settings' DATABASE_URL."""
    async def scenario(_engines: list[Engine]) -> FakeWeChatApi:
        async with fake_api() as api:
            settings = replace(Settings.from_env({}), database_url=database, wechat_app_id=APP,
                               wechat_app_secret="s3cret", wechat_api_base=api.base)
            rasa = WeChatInput("token", app_id=APP, app_secret="s3cret", api_base=api.base,
                                services=Services.from_settings(settings)).client
            web = client_from_settings(settings)
            assert rasa is not None and web is not None
            try:
                await rasa.send_text("oUser1", "来自 Rasa")
                await web.send_text("oUser2", "来自坐席")
            finally:
                await rasa.close()
                await web.close()
            return api

    api = run_with_engines(database, scenario)
    engine_for(database).dispose()  # the process's engine the stores opened
    assert (api.token_calls, api.texts()) == (1, ["来自 Rasa", "来自坐席"])


def test_a_refused_token_is_replaced_once_and_the_other_client_takes_the_new_one(database):
    async def scenario(engines: list[Engine]) -> FakeWeChatApi:
        async with fake_api() as api:
            first = client(api, process_engine(database, engines))
            second = client(api, process_engine(database, engines))
            try:
                await first.send_text("oUser1", "一")
                await second.send_text("oUser2", "二")  # TOKEN1 from the store
                api.send_script.append({"errcode": 40001, "errmsg": "invalid credential"})
                await first.send_text("oUser1", "三")  # TOKEN1 refused: TOKEN2 fetched and stored
                row = stored(engines[0])
                assert row is not None and row.token == "TOKEN2"
                await second.send_text("oUser2", "四")  # TOKEN1 refused: TOKEN2 from the store, kept there
                row = stored(engines[0])
                assert row is not None and row.token == "TOKEN2"
            finally:
                await first.close()
                await second.close()
            return api

    api = run_with_engines(database, scenario)
    assert api.token_calls == 2
    assert api.texts() == ["一", "二", "三", "四"]
    assert api.tokens_seen == ["TOKEN1", "TOKEN1", "TOKEN1", "TOKEN2", "TOKEN1", "TOKEN2"]


def test_a_stored_token_refused_too_is_replaced_by_a_fetched_one(database):
    """The store holds a token another process stored, but WeChat has issued a newer one since."""
    async def scenario(engines: list[Engine]) -> FakeWeChatApi:
        async with fake_api() as api:
            engine = process_engine(database, engines)
            only = client(api, engine)
            try:
                await only.send_text("oUser1", "一")  # TOKEN1, cached here
                with session_factory(engine)() as session:
                    now = utc_now()
                    store_token(session, APP, "TOKEN2", now + timedelta(hours=2), now)
                await fetch_elsewhere(api)
                await fetch_elsewhere(api)  # WeChat now accepts TOKEN3 only, which nobody stored
                await only.send_text("oUser1", "二")  # TOKEN1 and TOKEN2 refused, TOKEN4 fetched
                row = stored(engine)
                assert row is not None and row.token == "TOKEN4"
            finally:
                await only.close()
            return api

    api = run_with_engines(database, scenario)
    assert api.texts() == ["一", "二"]
    assert api.tokens_seen == ["TOKEN1", "TOKEN1", "TOKEN2", "TOKEN4"]
    assert api.token_calls == 4


@pytest.mark.parametrize(("expires_in", "used"), [
    (timedelta(hours=1), True),
    (timedelta(minutes=4), False),  # within the five-minute refresh margin
    (timedelta(minutes=-1), False),  # expired
])
def test_only_a_stored_token_still_valid_is_used(database, expires_in, used):
    async def scenario(engines: list[Engine]) -> tuple[FakeWeChatApi, WeChatAccessToken | None]:
        async with fake_api() as api:
            engine = process_engine(database, engines)
            with session_factory(engine)() as session:
                now = utc_now()
                # TOKEN0 is what the fake API accepts before its first token request
                store_token(session, APP, "TOKEN0", now + expires_in, now - timedelta(hours=2) + expires_in)
            only = client(api, engine)
            try:
                await only.send_text("oUser1", "你好")
            finally:
                await only.close()
            return api, stored(engine)

    api, row = run_with_engines(database, scenario)
    assert api.texts() == ["你好"]
    assert api.token_calls == (0 if used else 1)
    assert api.tokens_seen == (["TOKEN0"] if used else ["TOKEN1"])
    assert row is not None and row.token == ("TOKEN0" if used else "TOKEN1")


# ---- the table --------------------------------------------------------------------------

def test_forgetting_a_refused_token_does_not_delete_a_newer_one(database):
    engine = make_engine(database)
    try:
        with session_factory(engine)() as session:
            now = utc_now()
            store_token(session, APP, "OLD", now + timedelta(hours=2), now)
            store_token(session, APP, "NEW", now + timedelta(hours=2), now)  # an upsert: one row per app
            assert forget_token(session, APP, "OLD") is False
            row = valid_token(session, APP, now)
            assert row is not None and row.token == "NEW"
            assert forget_token(session, "wxother", "NEW") is False
            assert forget_token(session, APP, "NEW") is True
            assert valid_token(session, APP, now) is None
    finally:
        engine.dispose()


def test_the_store_hands_out_a_token_only_until_the_refresh_margin(database):
    now = [utc_now()]
    store = DatabaseTokenStore(database, now=lambda: now[0])

    async def scenario() -> list[StoredToken | None]:
        await store.save(APP, "T", 7200)
        seen = [await store.load(APP)]
        now[0] += timedelta(seconds=6800)
        seen.append(await store.load(APP))
        now[0] += timedelta(seconds=150)  # 250 s left: within the margin
        seen.append(await store.load(APP))
        return seen

    first, later, late = asyncio.run(scenario())
    engine_for(database).dispose()
    assert first == StoredToken("T", 6900.0)
    assert later == StoredToken("T", 100.0)
    assert late is None


# ---- failures -------------------------------------------------------------------------

def test_a_broken_store_still_lets_messages_go_out(tmp_path, caplog):
    (tmp_path / "not-a-directory").write_text("")
    broken = DatabaseTokenStore(f"sqlite:///{tmp_path / 'not-a-directory' / 'tokens.db'}")

    async def scenario() -> FakeWeChatApi:
        async with fake_api(send_script=[{"errcode": 40001}]) as api:
            only = CustomerServiceClient(APP, "s3cret", api.base, token_store=broken)
            try:
                await only.send_text("oUser1", "一")  # TOKEN1 refused: a second one fetched
                await only.send_text("oUser1", "二")
            finally:
                await only.close()
            return api

    with caplog.at_level(logging.WARNING, logger="bot.channels.wechat_api"):
        api = asyncio.run(scenario())
    assert api.texts() == ["一", "二"]
    assert api.token_calls == 2
    assert "shared access token store failed" in caplog.text
    assert "TOKEN" not in caplog.text and "s3cret" not in caplog.text


class FailingStore:
    """Fails the way a database can: slowly, or with the statement's parameters in its message."""

    def __init__(self, hang: bool = False) -> None:
        self.hang = hang

    async def load(self, app_id: str) -> StoredToken | None:
        if self.hang:
            await asyncio.sleep(30)
        raise RuntimeError(f"(sqlite3.OperationalError) database is locked [parameters: ('{app_id}',)]")

    async def save(self, app_id: str, token: str, expires_in: float) -> None:
        raise RuntimeError(f"(sqlite3.OperationalError) disk I/O error [parameters: ('{token}', '{app_id}')]")

    async def forget(self, app_id: str, token: str) -> bool:
        raise RuntimeError(f"(sqlite3.OperationalError) disk I/O error [parameters: ('{token}',)]")


@pytest.mark.parametrize("hang", [False, True])
def test_a_failing_store_is_logged_without_the_token(caplog, hang):
    async def scenario() -> FakeWeChatApi:
        async with fake_api(send_script=[{"errcode": 42001}]) as api:
            only = CustomerServiceClient(APP, "s3cret", api.base, timeout=0.2, token_store=FailingStore(hang))
            try:
                await only.send_text("oUser1", "你好")
            finally:
                await only.close()
            return api

    with caplog.at_level(logging.WARNING, logger="bot.channels.wechat_api"):
        api = asyncio.run(scenario())
    assert (api.texts(), api.token_calls) == (["你好"], 2)
    messages = [record.getMessage() for record in caplog.records]
    assert any("failed to read" in m for m in messages)
    assert any("failed to store the fetched token" in m for m in messages)
    assert any("failed to forget the refused token" in m for m in messages)
    assert not any("TOKEN" in m or "parameters" in m for m in messages)


def test_a_refused_token_left_in_a_failing_store_is_not_taken_again(database):
    """forget() failed, so the store still holds the refused token: the client fetches a new one instead."""
    class ForgetFails(DatabaseTokenStore):
        async def forget(self, app_id: str, token: str) -> bool:
            raise RuntimeError("database is down")

    async def scenario(engines: list[Engine]) -> FakeWeChatApi:
        async with fake_api() as api:
            engine = process_engine(database, engines)
            with session_factory(engine)() as session:
                now = utc_now()
                store_token(session, APP, "TOKEN0", now + timedelta(hours=2), now)
            only = CustomerServiceClient(APP, "s3cret", api.base,
                                         token_store=ForgetFails(factory=session_factory(engine)))
            try:
                api.send_script.append({"errcode": 40001})
                await only.send_text("oUser1", "你好")
            finally:
                await only.close()
            return api

    api = run_with_engines(database, scenario)
    assert api.texts() == ["你好"]
    assert api.tokens_seen == ["TOKEN0", "TOKEN1"]
