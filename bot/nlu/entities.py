"""The knowledge-base entity extractor as a Rasa 3.6 component (config.yml: bot.nlu.entities.KnowledgeEntityExtractor).

What it finds and how: bot/nlu/entity_matcher.py (`EntityMatcher`, no Rasa), with the names of
bot/nlu/entity_names.py. The patterns are built from the knowledge base when the component loads (not
stored in the model): the model name made by scripts/train.sh hashes knowledge/shared.yml,
knowledge/regions and bot/nlu, so a KB change gives a new model; the jieba words are those of
`python -m bot.nlu.dictionary`.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.entity_matcher import MAX_CHARS, EntityMatcher, matcher_for


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class KnowledgeEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Rasa component: adds the EntityMatcher's entities to each message (after the tokenizer)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # folder with shared.yml and regions/; null: BANDIAN_KNOWLEDGE_DIR or knowledge/
            "knowledge_dir": None,
            # only the first max_chars characters of a message are searched
            "max_chars": MAX_CHARS,
            # false: character scan only (no spaCy EntityRuler, no alignment preference)
            "use_spacy": True,
        }

    def __init__(self, config: dict[str, Any], matcher: EntityMatcher | None = None):
        self._config = {**self.get_default_config(), **config}
        directory = self._config["knowledge_dir"]
        self.matcher = matcher or matcher_for(
            str(directory) if directory else None, int(self._config["max_chars"]), bool(self._config["use_spacy"])
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeEntityExtractor:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            found = self.matcher.extract(text, message.get(TOKENS_NAMES[TEXT]))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
