"""Build the plain services once per process, on first use (no import-time side effects)."""

from __future__ import annotations

from functools import lru_cache

from bot.knowledge.service import KnowledgeBase
from bot.nlu.dictionary import domain_words
from bot.qa.planner import Answerer
from bot.settings import Settings
from bot.text import add_words


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    settings = Settings.from_env()
    kb = KnowledgeBase.load(settings.knowledge_dir, settings.seeds_dir)
    add_words(domain_words(kb))
    return kb


@lru_cache(maxsize=1)
def answerer() -> Answerer:
    return Answerer(knowledge_base())
