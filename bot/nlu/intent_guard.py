"""Correct the intent classifier where the words settle the dialogue act (bot/reading/acts.py).

A policy question misread as a booking request, a status lookup, a complaint or a goodbye goes to
its question intent; anger with no question in it becomes a complaint. Nothing else is touched.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.reading.acts import corrected_intent
from bot.reading.frame import normalize_text

PLACE_ENTITIES = ("region", "district")
SITUATION_ENTITIES = ("region", "district", "customer_type", "voltage", "supply", "area", "capacity")


def question_intent(text: str) -> str | None:
    """The question intent of a message the classifier took for a booking request (kept for tests)."""
    return corrected_intent(text, "request_booking", names_place=False)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PolicyQuestionGuard(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> PolicyQuestionGuard:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            kinds = {e.get("entity") for e in message.get("entities") or []}
            corrected = corrected_intent(message.get(TEXT) or "", intent.get(INTENT_NAME_KEY),
                                         names_place=bool(kinds & set(PLACE_ENTITIES)),
                                         names_situation=bool(kinds & set(SITUATION_ENTITIES)))
            if corrected:
                confidence = intent.get(PREDICTED_CONFIDENCE_KEY, 1.0)
                message.set(INTENT, {INTENT_NAME_KEY: corrected, PREDICTED_CONFIDENCE_KEY: confidence},
                            add_to_output=True)
        return messages


__all__ = ["PolicyQuestionGuard", "question_intent", "normalize_text"]
