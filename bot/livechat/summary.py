"""The short summary an agent sees for a queued handoff (or a call-back request): where, who, what the customer
asked, what they were unhappy about, any order.

"What the customer asked" are their own questions, read from the conversation's events: the messages the
assistant answered as questions (action_answer, action_out_of_scope ran on them). Answers to a form's prompts
(the booking's name, phone, address …), button payloads, a bare "枣庄" answering "which city?" and the 转人工
request itself are not questions. Everything is masked (bot/masking.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.knowledge.service import KnowledgeBase
from bot.masking import mask_text

MAX_QUESTIONS = 3
MAX_QUESTION_CHARS = 80
QUESTION_ACTIONS = frozenset({"action_answer", "action_out_of_scope"})
COMPLAINT_ACTIONS = frozenset({"action_complaint"})
# a short reply to a clarifying question ("枣庄", "居民", "10千伏") is context, not a question
_ASKS = re.compile(r"[?？吗呢么啥哪几多怎]|什么|是否|能不能|要不要|可不可以")
SHORT_REPLY = 6


def _is_question(text: str, intent: str | None) -> bool:
    return intent != "inform" or len(text) > SHORT_REPLY or bool(_ASKS.search(text))


def read_turns(events: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """(questions, complaints) in the order asked: each customer message with the first action that answered it."""
    questions: list[str] = []
    complaints: list[str] = []
    text: str | None = None
    intent: str | None = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            raw = str(event.get("text") or "").strip()
            text = raw if raw and not raw.startswith("/") else None
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        elif kind == "action" and text is not None:
            name = event.get("name")
            if name in QUESTION_ACTIONS and _is_question(text, intent):
                questions.append(text)
            elif name in COMPLAINT_ACTIONS:
                complaints.append(text)
            text = None  # only the first action after a message says what the message was
    return questions, complaints


def _quoted(texts: Sequence[str]) -> list[str]:
    return [f"“{mask_text(t.strip())[:MAX_QUESTION_CHARS]}”" for t in texts if t.strip()][-MAX_QUESTIONS:]


def handoff_summary(kb: KnowledgeBase, *, region: str | None, district: str | None, category: str | None,
                    questions: Sequence[str], order_number: str | None, complaints: Sequence[str] = ()) -> str:
    place = kb.region(region).name + (f"（{district}）" if district else "") if region else "未说明"
    kind = kb.vocab.categories[category]["name"] if category in kb.vocab.categories else "未说明"
    parts = [f"地区：{place}", f"用户类型：{kind}", f"客户的问题：{'；'.join(_quoted(questions)) or '无'}"]
    if complaints:
        parts.append(f"不满：{'；'.join(_quoted(complaints))}")
    if order_number:
        parts.append(f"工单：{order_number}")
    return "；".join(parts)
