"""bot/rasa_plugins/action_server_down.py: a failed call to the action server gets a polite notice, not silence.

Rasa's MessageProcessor runs one predicted action here (`_run_action`, as in a real turn) against an action
server that is down, answers 502 or 400, or answers garbage.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction, action_for_name_or_text
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_plugins import action_server_down
from bot.rasa_plugins.action_server_down import UNAVAILABLE_TEXT, ActionServerFailed

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [affirm]
slots:
  confirmed: {type: bool, influence_conversation: false, mappings: [{type: custom}]}
forms:
  some_form:
    required_slots: [confirmed]
responses:
  utter_ask_confirmed: [{text: "确认吗？"}]
actions: [action_confirm, validate_some_form]
""")


@pytest.fixture(autouse=True)
def installed(monkeypatch):
    """The patch installed for the test only (a Rasa channel or tracker store installs it for good)."""
    monkeypatch.setattr(RemoteAction, "run", action_server_down._STOCK_REMOTE_RUN)
    monkeypatch.setattr(MessageProcessor, "_run_action", action_server_down._STOCK_RUN_ACTION)
    action_server_down.install()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def action_server(status: int, body: Any) -> AsyncIterator[str]:
    async def webhook(_request: web.Request) -> web.Response:
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = closed_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        await runner.cleanup()


def confirm_turn() -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c1", [ActionExecuted(ACTION_LISTEN_NAME),
                                                   UserUttered("确认", {"name": "affirm"})], slots=DOMAIN.slots)


def form_turn() -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c2", [
        ActionExecuted(ACTION_LISTEN_NAME), UserUttered("预约", {"name": "affirm"}), ActionExecuted("some_form"),
        ActiveLoop("some_form"), SlotSet("requested_slot", "confirmed"), ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("确认", {"name": "affirm"})], slots=DOMAIN.slots)


async def run_action(name: str, tracker: DialogueStateTracker, url: str) -> tuple[bool, list[dict[str, Any]]]:
    processor = MessageProcessor.__new__(MessageProcessor)  # only what _run_action uses
    processor.domain = DOMAIN
    processor.action_endpoint = EndpointConfig(url)
    output = CollectingOutputChannel()
    action = action_for_name_or_text(name, DOMAIN, processor.action_endpoint)
    again = await processor._run_action(action, tracker, output, TemplatedNaturalLanguageGenerator(DOMAIN.responses),
                                        PolicyPrediction.for_action_name(DOMAIN, name))
    return again, output.messages


def test_a_custom_action_with_the_action_server_down_gets_the_notice_and_the_turn_ends():
    tracker = confirm_turn()
    before = len(tracker.events)
    again, sent = asyncio.run(run_action("action_confirm", tracker, f"http://127.0.0.1:{closed_port()}/webhook"))
    assert [m["text"] for m in sent] == [UNAVAILABLE_TEXT]
    assert "稍后再试" in UNAVAILABLE_TEXT and "95598" in UNAVAILABLE_TEXT
    assert again and tracker.followup_action == ACTION_LISTEN_NAME  # the next action is listen: nothing else runs
    new = list(tracker.events)[before:]
    assert [type(e).__name__ for e in new] == ["ActionExecuted", "BotUttered", "FollowupAction"]  # nothing written


def test_a_5xx_from_the_action_server_gets_the_notice():
    async def scenario() -> list[dict[str, Any]]:
        async with action_server(502, {"error": "action server unreachable"}) as url:
            return (await run_action("action_confirm", confirm_turn(), url))[1]

    assert [m["text"] for m in asyncio.run(scenario())] == [UNAVAILABLE_TEXT]


def test_a_form_whose_validation_cannot_reach_the_action_server_stays_open_and_unchanged():
    tracker = form_turn()
    again, sent = asyncio.run(run_action("some_form", tracker, f"http://127.0.0.1:{closed_port()}/webhook"))
    assert [m["text"] for m in sent] == [UNAVAILABLE_TEXT]
    assert tracker.active_loop_name == "some_form" and tracker.get_slot("requested_slot") == "confirmed"
    assert tracker.get_slot("confirmed") is None and tracker.followup_action == ACTION_LISTEN_NAME


def test_a_rejection_stays_a_rejection():
    rejection = {"action_name": "action_confirm", "error": "no"}

    async def scenario() -> tuple[DialogueStateTracker, list[dict[str, Any]]]:
        tracker = confirm_turn()
        async with action_server(400, rejection) as url:
            return tracker, (await run_action("action_confirm", tracker, url))[1]

    tracker, sent = asyncio.run(scenario())
    assert sent == [] and isinstance(tracker.events[-1], ActionExecutionRejected)


def test_other_failures_keep_rasas_behaviour():
    """An answer that is not a valid action-server response is a bug, not an outage: logged, no notice."""
    async def scenario() -> list[dict[str, Any]]:
        async with action_server(200, {"events": "not a list"}) as url:
            return (await run_action("action_confirm", confirm_turn(), url))[1]

    assert asyncio.run(scenario()) == []


def test_the_remote_action_names_the_failure_for_every_caller():
    """Callers that catch Rasa's exceptions (action_extract_slots) still catch it: a RasaException subclass."""
    from rasa.shared.exceptions import RasaException

    action = RemoteAction("action_confirm", EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook"))
    with pytest.raises(ActionServerFailed) as raised:
        asyncio.run(action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses),
                               confirm_turn(), DOMAIN))
    assert isinstance(raised.value, RasaException) and action_server_down.action_server_failed(raised.value)


def test_install_is_idempotent():
    patched = MessageProcessor._run_action, RemoteAction.run
    action_server_down.install()
    assert (MessageProcessor._run_action, RemoteAction.run) == patched
    assert patched != (action_server_down._STOCK_RUN_ACTION, action_server_down._STOCK_REMOTE_RUN)
