"""What a question asks about: the policy terms it names (as the documents word them), leaving out
what it sets aside or says does not apply to the customer."""

from __future__ import annotations

import re

from bot.reading.cues import FOCUS_TERMS

# '除了网上国网，还能在哪办' sets a term aside: the question asks for the others
_SET_ASIDE = re.compile(r"(?:除了|除去)([^，,。？?！!；;]{1,12}?)(?:以外|之外|外)?(?=[，,。？?！!；;]|还|另|别|也)")
# '不是重要用户，也不需要资产移交，…还要设计审查吗': a clause that only says what the customer is not
_NOT_US = re.compile(r"^(?:我们|我家|我)?(?:也|又|并|都)?(?:不是|不属于|并非|不需要|不用|不涉及|没有)")
_ASKING = re.compile(r"[吗么呢?？]|是不是|要不要|需不需要|用不用")


def asked_part(text: str) -> str:
    """The message without what it sets aside ('除了网上国网') or names only to say it does not apply
    ('不是重要用户，也不需要资产移交，…')."""
    clauses = re.split(r"[，,；;]", _SET_ASIDE.sub("", text))
    return "，".join(c for i, c in enumerate(clauses)
                    if i == len(clauses) - 1 or not _NOT_US.search(c) or _ASKING.search(c))


def find_focus(text: str) -> tuple[tuple[str, ...], ...]:
    """For each policy term the question asks about, the words the documents use for it."""
    kept = asked_part(text)
    return tuple(words for cues, words in FOCUS_TERMS if any(cue in kept for cue in cues))
