"""The action-server answer validation Rasa runs after every custom action: ours (validators built once,
each event checked against its own type) must accept and refuse exactly what Rasa's stock one does."""

from __future__ import annotations

import copy
import random
from datetime import datetime
from typing import Any

import pytest
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events as E

from bot.rasa_plugins import action_validation

GOOD = {"events": [{"event": "slot", "name": "region", "value": "烟台"}], "responses": [{"text": "好的"}]}
BAD = [{"events": "slot"}, {"responses": [{"text": 1}], "events": [{"no": "event key"}]}, {"events": [1]},
       {"events": [{"event": "no_such_type"}]}, {"events": [{"event": "slot"}]}, {"responses": "text"},
       {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "region"}]}}]}]
STRANGE = [None, 0, 1.5, True, "", "slot", [], [1], {}, {"x": 1}]


def real_events() -> list[dict[str, Any]]:
    """One of each kind of event Rasa knows, as an action server would send it."""
    when = datetime(2026, 11, 26, 9).timestamp()
    made = [
        E.UserUttered("安阳居民接电要几天", {"name": "ask_duration", "confidence": 0.9},
                      [{"entity": "region", "value": "安阳", "start": 0, "end": 2}], input_channel="rest"),
        E.BotUttered("需要 3 个工作日", {"buttons": [{"title": "好", "payload": "/affirm"}]}, {"utter_action": "x"}),
        E.SlotSet("region", "安阳"), E.SlotSet("booking_capacity", 150.5), E.SlotSet("booking_phone", None),
        E.ActionExecuted("action_answer", policy="RulePolicy", confidence=1.0), E.FollowupAction("action_listen"),
        E.ActiveLoop("booking_form"), E.ActiveLoop(None), E.LoopInterrupted(True), E.Restarted(), E.AllSlotsReset(),
        E.ConversationPaused(), E.ConversationResumed(), E.UserUtteranceReverted(), E.ActionReverted(),
        E.StoryExported(), E.SessionStarted(), E.AgentUttered("hi"), E.ActionExecutionRejected("booking_form"),
        E.ReminderScheduled("remind", datetime(2026, 11, 27, 9), name="r"), E.ReminderCancelled(name="r"),
        E.EntitiesAdded([{"entity": "region", "value": "安阳"}]), E.DefinePrevUserUtteredFeaturization(False),
    ]
    return [{**event.as_dict(), "timestamp": when} for event in made]


def mutations(event: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """The event with one value replaced by a value of another type, one key dropped, or one added."""
    found = []
    for key in event:
        for value in rng.sample(STRANGE, 4):
            changed = copy.deepcopy(event)
            changed[key] = value
            found.append(changed)
        found.append({k: v for k, v in event.items() if k != key})
    found.append({**event, "unexpected": rng.choice(STRANGE)})
    return found


def full_schema_accepts(answer: Any) -> bool:
    """What `jsonschema.validate(answer, spec)` (Rasa's stock validation) decides, without re-checking the
    schema against the meta-schema on every call (which only makes it slow)."""
    spec = RemoteAction.action_response_format_spec()
    return validator_for(spec)(spec).is_valid(answer)


def ours_accepts(action: RemoteAction, answer: Any) -> bool:
    try:
        return action._validate_action_result(answer)
    except ValidationError:
        return False


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_answer", None)


def test_installed_by_the_patches_rasa_s_channels_install():
    from bot.rasa_plugins import patches

    patches.install()
    assert RemoteAction._validate_action_result is not action_validation._STOCK


def test_every_event_type_of_rasa_s_schema_is_covered_here():
    spec = RemoteAction.action_response_format_spec()
    alternatives = spec["properties"]["events"]["items"]["oneOf"]
    types = {alternative["properties"]["event"]["const"] for alternative in alternatives}
    assert types == {event["event"] for event in real_events()} | {"form", "form_validation"}


@pytest.mark.parametrize("answer", [GOOD, {}, {"events": [], "responses": []}, {"events": real_events()}])
def test_accepts_what_rasa_accepts(action, answer):
    assert action._validate_action_result(answer) is True
    assert action_validation._STOCK(action, answer) is True


@pytest.mark.parametrize("answer", BAD)
def test_refuses_what_rasa_refuses_with_the_same_message(action, answer):
    with pytest.raises(ValidationError) as stock:
        action_validation._STOCK(action, answer)
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(answer)
    assert ours.value.message == stock.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_same_decision_as_rasa_on_every_mutated_event(action):
    rng = random.Random(20261126)
    cases = [event for original in real_events() for event in mutations(original, rng)]
    answers = [{"events": [event]} for event in cases] + [{"events": [rng.choice(cases) for _ in range(3)],
                                                           "responses": rng.choice([[], [{"text": "x"}], [1]])}
                                                          for _ in range(200)]
    differ = [answer for answer in answers if ours_accepts(action, answer) != full_schema_accepts(answer)]
    assert differ == [], differ[:3]
    refused = sum(not full_schema_accepts(answer) for answer in answers)
    assert 0.2 * len(answers) < refused < 0.9 * len(answers), refused  # both kinds were really tried
