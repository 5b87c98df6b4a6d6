"""Actions write to the database (bookings, handoffs, unanswered questions): never to var/bandian.db."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_database(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'actions.db'}")
    monkeypatch.setenv("BANDIAN_SECRET_KEY", "actions-test-secret")  # signs staff identities (bot/trust.py), not var/
