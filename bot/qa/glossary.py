"""Definitions of the documents' own terms: every term a document puts in quotes (“三零”,
“双经理”+“双专员”, “容缺办理”) is answered from the passage that introduces it, verbatim."""

from __future__ import annotations

import re
import unicodedata

from bot.knowledge.models import Clause

_QUOTED_IN_QUESTION = re.compile(r"[“\"「『‘']([^”\"」』’']{2,16})[”\"」』’']")
_QUOTES = re.compile(r"[“”\"「」『』‘’]")
_SENTENCE_END = re.compile(r"(?<=[。；])")
MAX_CHARS = 260


def unquoted(text: str) -> str:
    """Without quotation marks, punctuation folded to half width as the question reader folds it."""
    return unicodedata.normalize("NFKC", _QUOTES.sub("", text))


def quoted_terms(clauses: list[Clause]) -> list[str]:
    """The terms the documents put in quotes, longest first, then in the order the documents first use them
    (the same every run: a set's order changes with the process's hash seed)."""
    terms = dict.fromkeys(t for clause in clauses for t in re.findall(r"“([^”]{2,16})”", clause.text))
    return sorted(terms, key=len, reverse=True)


def terms_asked(question: str, terms: list[str], at_most: int = 3) -> list[str]:
    """The terms a definition question is about: those it quotes itself, else the documented terms
    it names (longest first, none inside another)."""
    quoted = [unquoted(q) for q in _QUOTED_IN_QUESTION.findall(question)]
    if quoted:
        return quoted[:at_most]
    named: list[str] = []
    for term in terms:
        if term in question and not any(term in longer for longer in named):
            named.append(term)
    return named[:at_most]


def introduction(term: str, clauses: list[Clause]) -> Clause | None:
    """The passage that introduces a term: the first clause using it, from its first mention on,
    cut at a sentence end."""
    for clause in clauses:
        plain = unquoted(clause.text)
        start = plain.find(term)
        if start < 0:
            continue
        sentences = _SENTENCE_END.split(clause.text)
        taken: list[str] = []
        length, seen = 0, False
        for sentence in sentences:
            seen = seen or term in unquoted(sentence)
            if not seen:
                continue
            if taken and length + len(sentence) > MAX_CHARS:
                break
            taken.append(sentence)
            length += len(sentence)
        return Clause(clause.region, clause.doc, clause.section, "".join(taken).strip())
    return None
