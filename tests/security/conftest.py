"""Trust boundaries (docs/reliability.md "Trust boundaries"): every test on its own database and keys."""

from __future__ import annotations

import pytest
from trust_helpers import SECRET, STAFF_TOKEN


@pytest.fixture(autouse=True)
def _own_keys_and_database(tmp_path, monkeypatch):
    """Never var/: the database, the signing key and the staff token come from the environment."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'security.db'}")
    monkeypatch.setenv("BANDIAN_SECRET_KEY", SECRET)
    monkeypatch.setenv("BANDIAN_STAFF_TOKEN", STAFF_TOKEN)
    monkeypatch.setenv("BANDIAN_TRUST_PROXY", "false")
    monkeypatch.setenv("BANDIAN_LOOKUP_MAX_FAILURES", "5")
    monkeypatch.setenv("BANDIAN_LOOKUP_WINDOW_MINUTES", "15")
