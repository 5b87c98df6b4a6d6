"""Fixtures for the fuzz tests: the shared stack, the console session, and the after-fuzz sanity check."""

from __future__ import annotations

import json

import pytest

from tests.faults.client import (
    NORMAL_ANSWER,
    NORMAL_QUESTION,
    ConsoleSession,
    console_session,
    new_sender,
    new_web_session,
    post_json,
    request,
    say,
)
from tests.faults.stack import Stack, shared_stack, stop_shared_stack


@pytest.fixture(scope="session")
def stack() -> Stack:
    return shared_stack()


@pytest.fixture(scope="session")
def console(stack: Stack) -> ConsoleSession:
    return console_session(stack)


def still_answers(stack: Stack) -> None:
    """After the fuzzing, a normal question still gets its sourced answer on the REST channel and in the web chat."""
    status, reply = say(stack, new_sender("sanity"), NORMAL_QUESTION)
    assert status == 200 and NORMAL_ANSWER in reply.replace(" ", ""), reply
    chat = post_json(f"{stack.web_url}/api/chat", {"session": new_web_session(stack), "message": NORMAL_QUESTION})
    assert chat.status == 200, chat.text
    assert NORMAL_ANSWER in json.dumps(chat.body.decode(), ensure_ascii=False).replace(" ", ""), chat.text
    assert request(f"{stack.web_url}/healthz").status == 200


def pytest_sessionfinish(session, exitstatus):
    stop_shared_stack()
