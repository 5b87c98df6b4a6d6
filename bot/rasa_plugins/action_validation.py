"""Validate action-server answers as Rasa 3.6 does, in a fraction of the time.

Rasa calls `jsonschema.validate(result, spec)` after every custom action. That function checks the
(constant) schema against its meta-schema and builds a new validator on each call, and the schema
lists the 23 event types as a `oneOf`, so every event of the answer is checked against all 23 of them:
about 20 ms of a 40 ms turn on our machines (docs/benchmarks.md, "Where a turn's time goes").

Here the validators are built once, and each event is checked against the one alternative its own
`event` names. The alternatives are told apart by `event: {"const": …}`, so an event can match no
other: "exactly one of the 23" is the same as "the one for its type" (checked when the validators are
built; if a later Rasa changed that, every answer would go through the full schema). Only an answer
the fast path refuses is validated again with the full schema, so that a bad answer raises the same
`ValidationError` with the same message as before.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_HINT = (". Failed to validate Action server response from API, make sure your response from the Action "
         f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions")
_STOCK = RemoteAction._validate_action_result

Check = Callable[[dict[str, Any]], bool]


def _validator(schema: dict[str, Any]) -> Validator:
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _by_event_type(spec: dict[str, Any]) -> Check | None:
    """The fast check, or None when the schema's event alternatives are not told apart by a constant."""
    items = spec.get("properties", {}).get("events", {}).get("items", {})
    alternatives = items.get("oneOf", [])
    types = [alternative.get("properties", {}).get("event", {}).get("const") for alternative in alternatives]
    if not alternatives or not all(isinstance(name, str) for name in types) or len(set(types)) != len(types):
        return None
    common = {key: value for key, value in items.items() if key != "oneOf"}
    per_type = {name: _validator({"allOf": [common, alternative]})
                for name, alternative in zip(types, alternatives, strict=True)}
    outer = copy.deepcopy(spec)
    outer["properties"]["events"]["items"] = {}
    rest = _validator(outer)

    def valid(result: dict[str, Any]) -> bool:
        if not rest.is_valid(result):
            return False
        events = result.get("events") if isinstance(result, dict) else None
        for event in events if isinstance(events, list) else []:
            name = event.get("event") if isinstance(event, dict) else None
            kind = per_type.get(name) if isinstance(name, str) else None
            if kind is None or not kind.is_valid(event):
                return False
        return True

    return valid


def cached_validator() -> Callable[[RemoteAction, dict[str, Any]], bool]:
    spec = RemoteAction.action_response_format_spec()
    full = _validator(spec)
    fast = _by_event_type(spec)

    def _validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
        if fast is not None and fast(result):
            return True
        error: ValidationError | None = best_match(full.iter_errors(result))
        if error is not None:
            error.message += _HINT
            raise error
        return True

    return _validate_action_result


def install() -> None:
    if RemoteAction._validate_action_result is _STOCK:
        RemoteAction._validate_action_result = cached_validator()


def uninstall() -> None:
    """Back to Rasa's own validation (the benchmark's profile measures both)."""
    RemoteAction._validate_action_result = _STOCK
