"""The multi-replica tests run against the topology scripts/test-scale.sh starts (`make test-scale`).

Without BANDIAN_PROD_URL (and the rest of its environment: RASA_TOKEN, DATABASE_URL, DB_*,
PROD_*_PORTS, BANDIAN_CONSOLE_*) the run stops with a usage error (never silently skipped).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from tests.scale.topology import app_database, tracker_database

REQUIRED = ("BANDIAN_PROD_URL", "RASA_TOKEN", "DATABASE_URL", "DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD",
            "DB_DATABASE", "PROD_DIR", "PROD_NGINX_PORT", "PROD_ACTIONS_LB_PORT", "PROD_RASA_PORTS",
            "PROD_ACTIONS_PORTS", "PROD_WEB_PORTS", "PROD_LIMIT_BURST", "PROD_METRICS_PORT_OFFSET",
            "PROD_PROMETHEUS_PORT", "BANDIAN_CONSOLE_USER", "BANDIAN_CONSOLE_PASSWORD")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if not missing:
        return
    if any("tests/scale/" in item.nodeid.replace("\\", "/") for item in items):
        raise pytest.UsageError("tests/scale needs the running topology (make test-scale); "
                                f"missing {', '.join(missing)}")


@pytest.fixture(scope="session")
def run_id() -> str:
    """Tells this run's conversations apart from earlier ones in the same databases."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def app_db() -> Iterator[Engine]:
    engine = app_database()
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def tracker_db() -> Iterator[Engine]:
    engine = tracker_database()
    yield engine
    engine.dispose()
