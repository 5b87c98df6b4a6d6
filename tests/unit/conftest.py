"""Fixtures for the order-store tests: a fresh SQLite file per test."""

from __future__ import annotations

import pytest

from tests.unit.orders_fixtures import fresh_engine, open_session


@pytest.fixture()
def engine(tmp_path):
    engine = fresh_engine(tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture()
def session(engine):
    yield from open_session(engine)
