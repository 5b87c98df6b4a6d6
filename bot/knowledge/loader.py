"""Load and validate the YAML knowledge base; fail loudly with file and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.models import (
    District,
    Document,
    Fact,
    Quantity,
    Reduction,
    Region,
    Silence,
    Source,
    Value,
)

REGION_KEYS = {"id", "name", "full_name", "province", "document", "aliases", "districts"}
DOCUMENT_KEYS = {"number", "title", "issuer", "date", "seed"}
FILE_KEYS = {"region", "facts", "silent"}
FACT_KEYS = {
    "id", "topic", "category", "aspect", "step", "area", "districts", "value",
    "max_capacity", "max_length", "effective_by", "statement", "source",
}
FACT_REQUIRED = {"id", "topic", "statement", "source"}
VALUE_KEYS = {"amount", "unit", "count", "names", "items", "text", "reductions"}
REDUCTION_KEYS = {"groups", "when", "count", "text"}
SOURCE_KEYS = {"section", "excerpt"}
SILENCE_KEYS = {"topic", "category", "aspect", "note"}
LINE = "__line__"


class KnowledgeError(ValueError):
    """Raised with every problem found, each as 'file:line: message'."""

    def __init__(self, problems: list[str]):
        super().__init__("knowledge base is invalid:\n  " + "\n  ".join(problems))
        self.problems = problems


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that records the line of each mapping under LINE."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class Vocabulary:
    topics: dict[str, dict[str, Any]]
    categories: dict[str, dict[str, Any]]
    areas: dict[str, dict[str, Any]]
    units: dict[str, dict[str, Any]]
    other_places: tuple[str, ...] = ()
    # customer words → the documents' words for the same thing (指定施工队 → 三指定), for clause search
    thesaurus: dict[str, tuple[str, ...]] = field(default_factory=dict)


def read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        raise KnowledgeError([f"{path}: YAML syntax error: {exc}"]) from exc


def strip_lines(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: strip_lines(v) for k, v in data.items() if k != LINE}
    if isinstance(data, list):
        return [strip_lines(v) for v in data]
    return data


def load_vocabulary(path: Path) -> Vocabulary:
    data = strip_lines(read_yaml(path))
    return Vocabulary(
        topics=data["topics"], categories=data["categories"],
        areas=data["areas"], units=data["units"],
        other_places=tuple(data.get("other_places") or ()),
        thesaurus={str(k): tuple(v) for k, v in (data.get("thesaurus") or {}).items()},
    )


class _RegionParser:
    """Turns one region file into a Region, collecting problems instead of stopping."""

    def __init__(self, path: Path, vocab: Vocabulary):
        self.path = path
        self.vocab = vocab
        self.problems: list[str] = []

    def problem(self, node: Any, message: str) -> None:
        line = node.get(LINE, 0) if isinstance(node, dict) else 0
        self.problems.append(f"{self.path}:{line}: {message}")

    def check_keys(
        self, node: Any, allowed: set[str], what: str, required: frozenset[str] | set[str] = frozenset()
    ) -> bool:
        if not isinstance(node, dict):
            self.problem(node, f"{what} must be a mapping")
            return False
        unknown = set(node) - allowed - {LINE}
        if unknown:
            self.problem(node, f"unknown key(s) in {what}: {sorted(unknown)}")
        missing = required - set(node)
        if missing:
            self.problem(node, f"missing key(s) in {what}: {sorted(missing)}")
        return not missing

    def parse(self) -> Region | None:
        data = read_yaml(self.path)
        if not self.check_keys(data, FILE_KEYS, "region file", {"region", "facts"}):
            return None
        head = data["region"]
        if not self.check_keys(head, REGION_KEYS, "region", REGION_KEYS - {"aliases"}):
            return None
        document = self.parse_document(head["document"])
        facts = tuple(f for f in (self.parse_fact(n, head["id"], document) for n in data["facts"] or []) if f)
        silences = tuple(s for s in (self.parse_silence(n, head["id"]) for n in data.get("silent") or []) if s)
        self.check_unique_ids(facts)
        if document is None:
            return None
        return Region(
            id=head["id"], name=head["name"], full_name=head["full_name"],
            province=head["province"], document=document,
            aliases=tuple(head.get("aliases") or ()),
            districts=tuple(self.parse_district(d) for d in head["districts"] or []),
            facts=facts, silences=silences, path=str(self.path),
        )

    def parse_document(self, node: Any) -> Document | None:
        if not self.check_keys(node, DOCUMENT_KEYS, "document", DOCUMENT_KEYS):
            return None
        if not isinstance(node["date"], date):
            self.problem(node, "document date must be YYYY-MM-DD")
            return None
        return Document(node["number"], node["title"], node["issuer"], node["date"], node["seed"])

    def parse_district(self, node: Any) -> District:
        if isinstance(node, str):
            return District(node)
        self.check_keys(node, {"name", "aliases"}, "district", {"name"})
        return District(node.get("name", ""), tuple(node.get("aliases") or ()))

    def parse_fact(self, node: Any, region: str, document: Document | None) -> Fact | None:
        if not self.check_keys(node, FACT_KEYS, "fact", FACT_REQUIRED):
            return None
        ok = self.check_vocab(node, "topic", self.vocab.topics)
        ok &= self.check_vocab(node, "category", self.vocab.categories, default="all")
        ok &= self.check_vocab(node, "area", self.vocab.areas, default=None)
        source = self.parse_source(node["source"], document)
        value = self.parse_value(node.get("value"))
        districts = node.get("districts")
        if districts is not None and districts != "others" and not isinstance(districts, list):
            self.problem(node, "districts must be a list of names or the word 'others'")
            ok = False
        effective = node.get("effective_by")
        if effective is not None and not isinstance(effective, date):
            self.problem(node, "effective_by must be a date YYYY-MM-DD")
            ok = False
        if not (ok and source and value):
            return None
        return Fact(
            id=node["id"], region=region, topic=node["topic"],
            category=node.get("category", "all"), statement=node["statement"].strip(),
            source=source, aspect=node.get("aspect"), step=node.get("step"),
            area=node.get("area"),
            districts=tuple(districts) if isinstance(districts, list) else districts,
            value=value, max_capacity=self.parse_quantity(node, "max_capacity"),
            max_length=self.parse_quantity(node, "max_length"),
            effective_by=effective, line=node[LINE],
        )

    def check_vocab(self, node: dict[str, Any], key: str, vocab: dict[str, Any], default: Any = "") -> bool:
        value = node.get(key, default)
        if value is None or value in vocab:
            return True
        self.problem(node, f"unknown {key} {value!r} (see knowledge/shared.yml)")
        return False

    def parse_source(self, node: Any, document: Document | None) -> Source | None:
        if not self.check_keys(node, SOURCE_KEYS, "source", SOURCE_KEYS):
            return None
        excerpt = node["excerpt"]
        excerpts = tuple(excerpt) if isinstance(excerpt, list) else (excerpt,)
        if not all(isinstance(e, str) and e.strip() for e in excerpts):
            self.problem(node, "excerpt must be a non-empty string or list of strings")
            return None
        return Source(document.number if document else "", str(node["section"]), excerpts)

    def parse_value(self, node: Any) -> Value | None:
        if node is None:
            return Value()
        if not self.check_keys(node, VALUE_KEYS, "value"):
            return None
        unit = node.get("unit")
        if unit is not None and unit not in self.vocab.units:
            self.problem(node, f"unknown unit {unit!r} (see knowledge/shared.yml)")
            return None
        return Value(
            amount=node.get("amount"), unit=unit, count=node.get("count"),
            names=tuple(node.get("names") or ()), items=tuple(node.get("items") or ()),
            text=node.get("text"), reductions=self.parse_reductions(node.get("reductions") or []),
        )

    def parse_reductions(self, nodes: Any) -> tuple[Reduction, ...]:
        reductions = []
        for node in nodes if isinstance(nodes, list) else [nodes]:
            if not self.check_keys(node, REDUCTION_KEYS, "reduction", REDUCTION_KEYS):
                continue
            unknown = [g for g in node["groups"] if g not in self.vocab.categories]
            if unknown or not isinstance(node["count"], int) or not node["when"]:
                self.problem(node, f"reduction needs known groups, words and a whole count: {unknown or node}")
                continue
            reductions.append(Reduction(tuple(node["groups"]), tuple(node["when"]), node["count"], str(node["text"])))
        return tuple(reductions)

    def parse_quantity(self, node: dict[str, Any], key: str) -> Quantity | None:
        raw = node.get(key)
        if raw is None:
            return None
        if not self.check_keys(raw, {"amount", "unit"}, key, {"amount", "unit"}):
            return None
        if raw["unit"] not in self.vocab.units:
            self.problem(raw, f"unknown unit {raw['unit']!r}")
            return None
        return Quantity(float(raw["amount"]), raw["unit"])

    def parse_silence(self, node: Any, region: str) -> Silence | None:
        if not self.check_keys(node, SILENCE_KEYS, "silent entry", {"topic", "note"}):
            return None
        if not self.check_vocab(node, "topic", self.vocab.topics):
            return None
        return Silence(region, node["topic"], node["note"], node.get("category"), node.get("aspect"))

    def check_unique_ids(self, facts: tuple[Fact, ...]) -> None:
        seen: set[str] = set()
        for fact in facts:
            if fact.id in seen:
                self.problems.append(f"{self.path}:{fact.line}: duplicate fact id {fact.id!r}")
            seen.add(fact.id)


def load_region_files(paths: list[Path], vocab: Vocabulary) -> list[Region]:
    problems: list[str] = []
    regions: list[Region] = []
    for path in paths:
        parser = _RegionParser(path, vocab)
        try:
            region = parser.parse()
        except (KeyError, TypeError, AttributeError) as exc:
            problems.append(f"{path}: malformed structure near {exc!r}")
            continue
        problems.extend(parser.problems)
        if region:
            regions.append(region)
    if problems:
        raise KnowledgeError(problems)
    return regions


def load_regions(directory: Path, vocab: Vocabulary) -> list[Region]:
    paths = sorted(directory.glob("*.yml"))
    if not paths:
        raise KnowledgeError([f"{directory}: no region files found"])
    return load_region_files(paths, vocab)
