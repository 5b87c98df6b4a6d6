from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.service import KnowledgeBase
from bot.services import install, load_knowledge

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
SEEDS = KNOWLEDGE / "seeds"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The project's KB as the services load it: its words added to the segmenter before any search (the
    clause index is built on first search, with the segmenter of that moment)."""
    return load_knowledge(KNOWLEDGE, SEEDS)


@pytest.fixture(autouse=True)
def _services_from_this_tests_environment():
    """Each test's process services are built from its own environment (the fixtures' DATABASE_URL, keys…) on
    first use, as an entry point builds them; the loaded knowledge base is shared (bot/services.py)."""
    install(None)
    yield
    install(None)
