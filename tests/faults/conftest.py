"""The shared stack (tests/faults/stack.py); each fault test starts from all servers running."""

from __future__ import annotations

import pytest

from tests.faults.stack import Stack, shared_stack, stop_shared_stack


@pytest.fixture(scope="session")
def stack() -> Stack:
    return shared_stack()


@pytest.fixture(autouse=True)
def _all_servers_running(request: pytest.FixtureRequest):
    """Tests that use the stack start with every server up, and leave it so (restarting what they killed)."""
    if "stack" not in request.fixturenames:
        yield
        return
    stack: Stack = request.getfixturevalue("stack")
    stack.ensure_running()
    yield
    stack.ensure_running()


def pytest_sessionfinish(session, exitstatus):
    stop_shared_stack()
