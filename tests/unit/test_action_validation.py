"""The action-server answer validation Rasa runs after every custom action, with the validator built once."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.rasa_plugins import action_validation

GOOD = {"events": [{"event": "slot", "name": "region", "value": "烟台"}], "responses": [{"text": "好的"}]}
BAD = [{"events": "slot"}, {"responses": [{"text": 1}], "events": [{"no": "event key"}]}, {"events": [1]}]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_answer", None)


def test_installed_when_rasa_loads_the_plugins():
    assert RemoteAction._validate_action_result is not action_validation._STOCK


@pytest.mark.parametrize("answer", [GOOD, {}, {"events": [], "responses": []}])
def test_accepts_what_rasa_accepts(action, answer):
    assert action._validate_action_result(answer) is True
    assert action_validation._STOCK(action, answer) is True


@pytest.mark.parametrize("answer", BAD)
def test_refuses_what_rasa_refuses_with_the_same_message(action, answer):
    with pytest.raises(ValidationError) as stock:
        action_validation._STOCK(action, answer)
    with pytest.raises(ValidationError) as cached:
        action._validate_action_result(answer)
    assert cached.value.message == stock.value.message
    assert "Failed to validate Action server response" in cached.value.message
