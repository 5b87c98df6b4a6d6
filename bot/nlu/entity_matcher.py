"""Knowledge-base entity extraction for Chinese customer messages: the plain core of the Rasa component
(bot/nlu/entities.py).

`EntityMatcher` (no Rasa) finds, with character offsets into the original text:

- region: the short region name (枣庄), from KB region names/aliases; a place the KB does not
  cover (杭州, shared.yml other_places) is a region too, valued with its own name.
- district: the canonical district name (滕州市), from KB district names/aliases;
  `EntityMatcher.region_of("滕州市")` gives "枣庄".
- customer_type: a category name from shared.yml (低压小微企业, 居民用户, 10千伏单电源用户), from
  category names/synonyms and bot.reading.frame's cues; or the generic 企业 / 充电设施 / 机井.
- area: the area's name in shared.yml (农村地区, 市区, 中心区), from area synonyms.
- voltage: 10千伏, 0.4千伏, 35千伏, 380伏, 低压, 高压 (rules in bot.reading.quantities).
- supply: 单电源 / 双电源 (双回路 → 双电源).
- capacity: 150千瓦 / 80千伏安 — kW reads 千瓦, kVA reads 千伏安, never converted into each other.
- length: 300米 / 2公里.

Candidates come from a spaCy EntityRuler (blank zh + jieba, the phrase patterns of the names in
bot/nlu/entity_names.py and quantity token patterns) and from a character scan of the same names plus
the quantity regexes (so a name is found even if jieba splits it). Overlaps are resolved by the cover
that spans the most characters with the fewest entities — longest wins, a district inside a longer name
is not reported twice, and "烟台市区" reads as 烟台 + 市区. With Rasa tokens at hand, spans are widened to
token boundaries when that takes no text from another entity.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.knowledge.service import KnowledgeBase
from bot.nlu.dictionary import domain_words
from bot.nlu.entity_names import GENERIC_CUSTOMER_TYPES, PRIORITY, build_names, spacy_patterns
from bot.nlu.spacy_zh import build_pipeline, ruler_matches
from bot.reading.quantities import QuantityReader, fold

logger = logging.getLogger(__name__)

EXTRACTOR_NAME = "KnowledgeEntityExtractor"
MAX_CHARS = 2000
MAX_SNAP = 2  # at most this many characters added when widening a span to Rasa token boundaries


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    entity: str
    value: str
    source: str
    aligned: bool = False  # also found by spaCy on jieba token boundaries

    @property
    def length(self) -> int:
        return self.end - self.start


def _resolve(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The non-overlapping subset covering the most characters, then fewest spans, then most
    spaCy-aligned spans, then highest priority (weighted interval scheduling)."""
    if not candidates:
        return []
    ordered = sorted(candidates, key=lambda c: (c.end, c.start))
    ends = [c.end for c in ordered]
    best: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)]
    take: list[bool] = []
    previous: list[int] = []
    for index, cand in enumerate(ordered):
        before = bisect.bisect_right(ends, cand.start, 0, index)
        base = best[before]
        with_it = (base[0] + cand.length, base[1] - 1, base[2] + int(cand.aligned), base[3] + PRIORITY[cand.source])
        previous.append(before)
        if with_it > best[index]:
            best.append(with_it)
            take.append(True)
        else:
            best.append(best[index])
            take.append(False)
    chosen: list[Candidate] = []
    index = len(ordered)
    while index > 0:
        if take[index - 1]:
            chosen.append(ordered[index - 1])
            index = previous[index - 1]
        else:
            index -= 1
    return sorted(chosen, key=lambda c: c.start)


def _merge_generic_customer(chosen: list[Candidate]) -> list[Candidate]:
    """'非居民' + '企业' → one customer_type span with the specific value."""
    generic = set(GENERIC_CUSTOMER_TYPES)
    merged: list[Candidate] = []
    for cand in chosen:
        last = merged[-1] if merged else None
        if (
            last is not None and cand.entity == last.entity == "customer_type" and cand.start == last.end
            and (cand.value in generic) != (last.value in generic)
        ):
            value = last.value if cand.value in generic else cand.value
            merged[-1] = replace(last, end=cand.end, value=value, aligned=False)
        else:
            merged.append(cand)
    return merged


def _snap(chosen: list[Candidate], tokens: Sequence[Any]) -> list[tuple[int, int]]:
    """Spans widened to the Rasa tokens they touch, unless that would eat into another entity."""
    spans = []
    bounds = sorted((int(t.start), int(t.end)) for t in tokens)
    for index, cand in enumerate(chosen):
        touching = [(s, e) for s, e in bounds if s < cand.end and cand.start < e]
        if not touching:
            spans.append((cand.start, cand.end))
            continue
        start, end = min(cand.start, touching[0][0]), max(cand.end, touching[-1][1])
        left = chosen[index - 1].end if index > 0 else -1
        right = chosen[index + 1].start if index + 1 < len(chosen) else 1 << 30
        if (end - start) - cand.length <= MAX_SNAP and start >= left and end <= right:
            spans.append((start, end))
        else:
            spans.append((cand.start, cand.end))
    return spans


class EntityMatcher:
    """The extractor's core: KB names and quantity rules over one message, compiled once."""

    def __init__(self, kb: KnowledgeBase, max_chars: int = MAX_CHARS, use_spacy: bool = True):
        self.kb = kb
        self.max_chars = max_chars
        self.reader = QuantityReader(kb.vocab.units)
        self.names = build_names(kb)
        self.regions_of_districts = {
            n.value: n.region for n in self.names.values() if n.entity == "district" and n.region
        }
        self._lengths: dict[str, list[int]] = {}
        for surface in self.names:
            self._lengths.setdefault(surface[0], []).append(len(surface))
        for first, lengths in self._lengths.items():
            self._lengths[first] = sorted(set(lengths), reverse=True)
        self.nlp = build_pipeline(spacy_patterns(self.names, self.reader), domain_words(kb)) if use_spacy else None

    def region_of(self, district: str) -> str | None:
        """The short region name of a district value (滕州市 → 枣庄)."""
        return self.regions_of_districts.get(district)

    def candidates(self, folded: str) -> list[Candidate]:
        found: dict[tuple[int, int, str], Candidate] = {}

        def add(cand: Candidate) -> None:
            key = (cand.start, cand.end, cand.entity)
            current = found.get(key)
            if current is None or PRIORITY[cand.source] > PRIORITY[current.source]:
                found[key] = cand

        size = len(folded)
        for index, char in enumerate(folded):
            for length in self._lengths.get(char, ()):
                if index + length > size:
                    continue
                name = self.names.get(folded[index:index + length])
                if name is not None:
                    add(Candidate(index, index + length, name.entity, name.value, name.source))
        for match in self.reader.find(folded):
            add(Candidate(match.start, match.end, match.entity, match.value, "rule"))
        if self.nlp is not None:
            for start, end, entity, _ in ruler_matches(self.nlp, folded):
                cand = found.get((start, end, entity))
                if cand is not None:  # the character scan found it too and knows its value
                    found[(start, end, entity)] = replace(cand, aligned=True)
        # the same span under two entity types: keep the higher priority
        by_span: dict[tuple[int, int], Candidate] = {}
        for cand in found.values():
            other = by_span.get((cand.start, cand.end))
            if other is None or PRIORITY[cand.source] > PRIORITY[other.source]:
                by_span[(cand.start, cand.end)] = cand
        return list(by_span.values())

    def extract(self, text: str | None, tokens: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """Entities in `text` as Rasa entity dicts, in text order. Never raises on odd input."""
        if not text or not isinstance(text, str):
            return []
        try:
            return self._extract(text[: self.max_chars], tokens)
        except Exception:  # noqa: BLE001 - a bad message must never break a conversation
            logger.exception("entity extraction failed for a message of %d characters", len(text))
            return []

    def _extract(self, text: str, tokens: Sequence[Any] | None) -> list[dict[str, Any]]:
        folded = fold(text)
        chosen = _merge_generic_customer(_resolve(self.candidates(folded)))
        if any(c.source == "kb" for c in chosen):  # 江苏连云港: the province adds nothing
            chosen = [c for c in chosen if c.source != "province"]
        spans = _snap(chosen, tokens) if tokens else [(c.start, c.end) for c in chosen]
        return [
            {
                "entity": cand.entity,
                "start": start,
                "end": end,
                "value": cand.value,
                "confidence_entity": 1.0,
                "extractor": EXTRACTOR_NAME,
            }
            for cand, (start, end) in zip(chosen, spans, strict=True)
        ]


@lru_cache(maxsize=4)
def matcher_for(knowledge_dir: str | None = None, max_chars: int = MAX_CHARS, use_spacy: bool = True) -> EntityMatcher:
    """One matcher per knowledge folder (default: the services' KB, bot/services.py), built once."""
    from bot.services import current

    kb = KnowledgeBase.load(Path(knowledge_dir)) if knowledge_dir else current().kb
    return EntityMatcher(kb, max_chars=max_chars, use_spacy=use_spacy)


def extract(text: str, kb: KnowledgeBase | None = None) -> list[dict[str, Any]]:
    """Entities of one text (the project KB unless one is given; a given KB is compiled each call)."""
    matcher = EntityMatcher(kb) if kb is not None else matcher_for()
    return matcher.extract(text)


def values(entities: Iterable[dict[str, Any]], entity: str) -> list[str]:
    """The values of one entity type, in text order (a small helper for callers and tests)."""
    return [e["value"] for e in entities if e["entity"] == entity]
