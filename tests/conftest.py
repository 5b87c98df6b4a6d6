from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.service import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
SEEDS = KNOWLEDGE / "seeds"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load(KNOWLEDGE, SEEDS)
