"""Ranked full-text search over the clauses of the seed documents (jieba + BM25).

Used for questions the structured facts do not cover: the answer is then the best clause,
quoted with its document and section.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.models import Clause, Region
from bot.knowledge.textnorm import normalize
from bot.text import tokenize

_NUMERAL = "[一二三四五六七八九十]+"
_HEADING = re.compile(rf"^(?:{_NUMERAL}、|（{_NUMERAL}）|\({_NUMERAL}\)|附件\s*\d)")
_ITEM = re.compile(r"^\d+[.．、]\s*\S")
_SCAN_STAMP = re.compile(r"\d{1,4}-\d{2}-\d{2}")
_STOPWORDS = frozenset((
    "的", "了", "和", "与", "及", "或", "在", "是", "要", "我", "你", "吗", "呢", "啊", "吧", "么",
    "什么", "怎么", "多少", "几", "个", "请问", "一下", "有", "没有", "能", "可以", "办",
    "文件", "里", "讲", "这个", "那个", "有没有", "能不能", "随便", "我们", "他们", "这边", "那边", "哪些", "哪个",
    "规定", "说", "吧", "呀", "嘛", "还", "就", "都", "想", "问", "问问", "一个", "这样",
    # the utility itself: in every document, so it says nothing about which sentence is meant
    "供电局", "供电公司", "供电企业", "电网企业", "公司", "凯里供电局",
))
# '（责任单位：州发展改革委、凯里供电局）' after a task names who is responsible, not what is done
# '25\t\t不得增设…': the row number of a table the seed was typed from
# '17. 加强故障跳闸管控和故障处理。': an item's heading says what follows, it states nothing itself
_ITEM_HEADING = re.compile(r"^\d+[.．、]\s*[^，。；]{2,24}。$")
_TABLE_ROW = re.compile(r"(?<![\d.])\d{1,3}\t+")
_RESPONSIBLE = re.compile(r"[（(]责任单位[:：][^）)]*[）)]")
_SENTENCE_END = re.compile(r"(?<=[。；])")
_K1, _B = 1.5, 0.75


@dataclass(frozen=True)
class _Passage:
    clause: Clause
    terms: Counter[str]
    length: int


def split_clauses(text: str, region: str, doc: str) -> list[Clause]:
    """Paragraphs of a seed with the nearest heading above them as their section."""
    clauses: list[Clause] = []
    heading, item = "", ""
    for raw in re.split(r"\n\s*\n", text):
        paragraph = " ".join(line.strip() for line in raw.strip().splitlines())
        paragraph = paragraph.replace("**", "")
        if len(normalize(paragraph)) < 8 or _is_scan_stamp(paragraph):
            continue
        if _HEADING.match(paragraph) and len(paragraph) < 40:
            heading, item = paragraph, ""
            continue
        if not heading:  # the letterhead, title and addressees before the first heading
            continue
        if _ITEM.match(paragraph):
            item = paragraph.split("。")[0][:30]
        section = " ".join(part for part in (heading, item) if part)
        if clauses and _continues(clauses[-1].text, paragraph):
            previous = clauses.pop()
            paragraph = previous.text + paragraph
            section = previous.section
        clauses.append(Clause(region=region, doc=doc, section=section, text=paragraph))
    return clauses


def _is_scan_stamp(paragraph: str) -> bool:
    """Short margin stamps left by scanning, e.g. '部、客户服务中心) 孙志翔 2021-12-02'."""
    return len(paragraph) < 40 and bool(_SCAN_STAMP.search(paragraph))


def _continues(previous: str, paragraph: str) -> bool:
    """The seeds break pages mid-sentence; glue a paragraph to one that did not end."""
    return not previous.rstrip().endswith(("。", "；", "：", ":", "|")) and not _ITEM.match(paragraph)


def _terms(text: str, ignore: frozenset[str] = frozenset()) -> list[str]:
    """jieba words, plus the character pairs inside longer words, so that a question and a clause
    segmented differently ('服务理念' vs '服务' '理念') still share terms."""
    words = [t for t in tokenize(text) if t not in _STOPWORDS and t not in ignore and not t.isspace()]
    return words + [w[i:i + 2] for w in words if len(w) > 2 for i in range(len(w) - 1)]


def split_sentences(clause: Clause) -> list[Clause]:
    """A clause's sentences (。 and ；), each citing the clause's section."""
    text = _TABLE_ROW.sub("", _RESPONSIBLE.sub("", clause.text))
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [Clause(clause.region, clause.doc, clause.section, p) for p in parts
            if len(normalize(p)) >= 8 and not _ITEM_HEADING.match(p)]


@dataclass
class ClauseIndex:
    passages: list[_Passage]
    document_frequency: Counter[str]
    average_length: float
    sentences: list[_Passage] = field(default_factory=list)
    sentence_frequency: Counter[str] = field(default_factory=Counter)
    sentence_length: float = 1.0

    @classmethod
    def build(cls, regions: tuple[Region, ...], seeds_dir: Path) -> ClauseIndex:
        clauses = []
        for region in regions:
            text = (seeds_dir / region.document.seed).read_text(encoding="utf-8")
            clauses += split_clauses(text, region.id, region.document.number)
        passages, frequency, average = _passages(clauses)
        sentences, sentence_frequency, sentence_length = _passages(
            [s for clause in clauses for s in split_sentences(clause)])
        return cls(passages, frequency, average, sentences, sentence_frequency, sentence_length)

    def search(self, text: str, region: str | None = None, limit: int = 3,
               ignore: frozenset[str] = frozenset()) -> list[Clause]:
        """Clauses ranked by BM25 over jieba terms; `ignore` drops terms (e.g. place names) that
        say where, not what."""
        return self._search(self.passages, self._passages_by_region, self.document_frequency, self.average_length,
                            set(_terms(text, ignore)), region, limit)

    def search_sentences(self, text: str, region: str | None = None, limit: int = 3,
                         ignore: frozenset[str] = frozenset()) -> list[Clause]:
        """Single sentences ranked the same way: the one that states what was asked."""
        return self._search(self.sentences, self._sentences_by_region, self.sentence_frequency, self.sentence_length,
                            set(_terms(text, ignore)), region, limit)

    def rare_terms(self, text: str, ignore: frozenset[str] = frozenset(), at_most: int = 4) -> set[str]:
        """The question's words found in only a few sentences of all documents: what it is about."""
        return {t for t in _terms(text, ignore)
                if 0 < self.sentence_frequency.get(t, 0) <= at_most and len(t) >= 2 and not any(c.isdigit() for c in t)}

    def of_region(self, region: str) -> list[_Passage]:
        """A region's passages in document order."""
        return self._passages_by_region.get(region, [])

    def __post_init__(self) -> None:
        self._passages_by_region = _by_region(self.passages)
        self._sentences_by_region = _by_region(self.sentences)

    @staticmethod
    def _search(passages: list[_Passage], by_region: dict[str, list[_Passage]], frequency: Counter[str],
                average: float, query: set[str], region: str | None, limit: int) -> list[Clause]:
        """BM25 over all passages' statistics; a region's search scores only its own passages."""
        scored = []
        for passage in by_region.get(region, []) if region else passages:
            score = _bm25(query, passage, frequency, len(passages), average)
            if score > 0:
                scored.append((score, passage.clause))
        scored.sort(key=lambda pair: pair[0], reverse=True)
        return [_with_score(clause, score) for score, clause in scored[:limit]]


def _passages(clauses: list[Clause]) -> tuple[list[_Passage], Counter[str], float]:
    passages = []
    for clause in clauses:
        terms = _terms(clause.text)
        passages.append(_Passage(clause, Counter(terms), len(terms)))
    frequency: Counter[str] = Counter()
    for passage in passages:
        frequency.update(passage.terms.keys())
    average = sum(p.length for p in passages) / max(len(passages), 1)
    return passages, frequency, average


def _by_region(passages: list[_Passage]) -> dict[str, list[_Passage]]:
    grouped: dict[str, list[_Passage]] = {}
    for passage in passages:
        grouped.setdefault(passage.clause.region, []).append(passage)
    return grouped


def _bm25(query: set[str], passage: _Passage, frequency: Counter[str], total: int, average: float) -> float:
    score = 0.0
    for term in query:
        tf = passage.terms.get(term, 0)
        if not tf:
            continue
        df = frequency[term]
        idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
        norm = _K1 * (1 - _B + _B * passage.length / average)
        score += idf * tf * (_K1 + 1) / (tf + norm)
    return score


def _with_score(clause: Clause, score: float) -> Clause:
    return Clause(clause.region, clause.doc, clause.section, clause.text, round(score, 3))
