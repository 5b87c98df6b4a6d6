"""Rasa's JiebaTokenizer keeps spaces as tokens (rasa issue 7910); this one drops them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BlankFreeJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer with the knowledge-base user dictionary and no blank tokens."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**JiebaTokenizer.get_default_config(), "dictionary_path": "build/jieba"}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> JiebaTokenizer:
        """Builds the dictionary from the knowledge base first when its folder has none (a fresh checkout
        and a plain `rasa train` or `rasa shell`; the scripts build it before training)."""
        directory = config.get("dictionary_path")
        if directory and not any(Path(directory).glob("*")):
            from bot.nlu.dictionary import write_dictionary
            from bot.services import current

            write_dictionary(current().kb, Path(directory))
        return super().create(config, model_storage, resource, execution_context)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        return [t for t in super().tokenize(message, attribute) if t.text.strip()]
