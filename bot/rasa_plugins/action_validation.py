"""Validate action-server answers with a JSON-schema validator built once per process.

Rasa 3.6 calls `jsonschema.validate(result, spec)` after every custom action. That function checks the
(constant) schema against its meta-schema and builds a new validator on each call: about 20 ms of a
40 ms turn on our machines (docs/benchmarks.md, "Where a turn's time goes"). Here the check and the
construction happen once; the answer is validated exactly as before and a bad answer raises the same
`ValidationError` with the same message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_HINT = (". Failed to validate Action server response from API, make sure your response from the Action "
         f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions")
_STOCK = RemoteAction._validate_action_result


def cached_validator() -> Callable[[RemoteAction, dict[str, Any]], bool]:
    spec = RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)
    validator = cls(spec)

    def _validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
        error: ValidationError | None = best_match(validator.iter_errors(result))
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
