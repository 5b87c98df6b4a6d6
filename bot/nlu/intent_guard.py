"""A policy question is not a booking: correct that one confusion of the intent classifier.

"我想问下10千伏双电源办电多久" shares words with "我想申请新装用电", and a misread question would
start the booking form. When the classifier says request_booking or check_status but the message
asks about a policy topic (the same topic cues the answers use), carries a question word, and
makes no booking request of its own (预约, 登记, 帮我…), the intent becomes the topic's question
intent. Nothing else is touched.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.understand import find_topics, normalize_text

GUARDED_INTENTS = ("request_booking", "check_status")
TOPIC_INTENTS = {
    "materials": "ask_materials", "cert_mode": "ask_materials", "steps": "ask_steps",
    "time_limit": "ask_time_limit", "investment": "ask_cost", "fees": "ask_cost",
    "capacity": "ask_capacity", "approval": "ask_approval", "reliability": "ask_reliability",
    "live_work": "ask_live_work", "channels": "ask_channels", "hotline": "ask_channels",
    "service": "ask_channels", "transfer": "ask_channels", "definition": "ask_definition",
    "warning": "ask_warning",
}
_QUESTION = re.compile(r"吗|么|多久|几|什么|啥|哪|怎么|多少|是否|能不能|要不要|可不可以|可以吗|\?")
_REQUEST = re.compile(r"预约|登记|约个|约一下|上门|帮我|给我|我要报装|我想报装|我要办|我要申请|我想申请|报装一户"
                      r"|工单|进度|查询")


def question_intent(text: str) -> str | None:
    """The question intent a message really carries, when it reads as a policy question."""
    folded = normalize_text(text)
    if not _QUESTION.search(folded) or _REQUEST.search(folded):
        return None
    topics = [t for t in find_topics(folded) if t in TOPIC_INTENTS]
    return TOPIC_INTENTS[topics[0]] if topics else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PolicyQuestionGuard(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> PolicyQuestionGuard:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) not in GUARDED_INTENTS:
                continue
            corrected = question_intent(message.get(TEXT) or "")
            if corrected:
                confidence = intent.get(PREDICTED_CONFIDENCE_KEY, 1.0)
                message.set(INTENT, {INTENT_NAME_KEY: corrected, PREDICTED_CONFIDENCE_KEY: confidence},
                            add_to_output=True)
        return messages
