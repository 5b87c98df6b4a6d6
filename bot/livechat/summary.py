"""The short summary an agent sees for a queued handoff: where, who, what was asked, any order."""

from __future__ import annotations

from collections.abc import Sequence

from bot.knowledge.service import KnowledgeBase
from bot.masking import mask_text

MAX_QUESTIONS = 3
MAX_QUESTION_CHARS = 80


def handoff_summary(kb: KnowledgeBase, *, region: str | None, district: str | None, category: str | None,
                    questions: Sequence[str], order_number: str | None) -> str:
    place = kb.region(region).name + (f"（{district}）" if district else "") if region else "未说明"
    kind = kb.vocab.categories[category]["name"] if category in kb.vocab.categories else "未说明"
    asked = [f"“{mask_text(q.strip())[:MAX_QUESTION_CHARS]}”" for q in questions if q.strip()][-MAX_QUESTIONS:]
    parts = [f"地区：{place}", f"用户类型：{kind}", f"最近的问题：{'；'.join(asked) or '无'}"]
    if order_number:
        parts.append(f"工单：{order_number}")
    return "；".join(parts)
