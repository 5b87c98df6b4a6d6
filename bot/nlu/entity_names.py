"""The names the entity extractor looks for (bot/nlu/entity_matcher.py): every folded surface form of the
knowledge base's regions, districts, other places, customer categories and areas, with what it names, and the
spaCy EntityRuler patterns for those names and for the quantity rules (bot.reading.quantities)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.knowledge.service import KnowledgeBase
from bot.reading.cues import BUSINESS_CUES, CATEGORY_RULES
from bot.reading.quantities import NUMBER, SUPPLY_TERMS, VOLTAGE_TERMS, QuantityReader, fold

# Generic customer words that do not fix a shared.yml category on their own.
GENERIC_CUSTOMER_TYPES: dict[str, tuple[str, ...]] = {
    "企业": (*BUSINESS_CUES, "厂子", "工厂", "厂家", "商家", "企业用户"),
    "充电设施": ("充电桩", "充电设施", "充电站"),
    "机井": ("机井",),
}
# Cues worth a category that bot.reading.frame's rules only give together with a second word.
EXTRA_CUSTOMER_CUES: dict[str, str] = {"小微企业": "small_micro", "小微企业用户": "small_micro"}
# Categories that are a voltage level or a supply type: voltage / supply entities cover their cues.
_VOLTAGE_CATEGORY_PREFIX = "hv"

# Priority for two candidates with exactly the same span (higher wins).
PRIORITY = {"kb": 6, "province": 5, "other": 4, "rule": 3, "customer": 2, "area": 1}


@dataclass(frozen=True)
class Name:
    entity: str
    value: str
    source: str  # kb | province | other | customer | area
    region: str | None = None  # for districts: the short name of their region


def _short_province(name: str) -> str:
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def build_names(kb: KnowledgeBase) -> dict[str, Name]:
    """Every folded surface form → what it names. Lower-priority sources never overwrite."""
    names: dict[str, Name] = {}
    _add_areas(names, kb)
    _add_customer_types(names, kb.vocab.categories)
    _add_provinces(names, kb)
    _add_gazetteer(names, kb)
    return names


def _put(names: dict[str, Name], surface: str, name: Name) -> None:
    key = fold(str(surface)).strip()
    if len(key) < 2:
        return
    current = names.get(key)
    if current is None or PRIORITY[name.source] > PRIORITY[current.source]:
        names[key] = name


def _add_areas(names: dict[str, Name], kb: KnowledgeBase) -> None:
    for area in kb.vocab.areas.values():
        for surface in (area["name"], *area.get("synonyms", [])):
            _put(names, surface, Name("area", area["name"], "area"))


def _add_customer_types(names: dict[str, Name], categories: dict[str, dict[str, Any]]) -> None:
    """shared.yml's categories and synonyms, bot.reading.frame's cues that fix a category alone, the extra
    cues, then the generic words (企业, 充电设施, 机井) where no category took them."""
    for entry in categories.values():
        for surface in (entry["name"], *entry.get("synonyms", [])):
            _put(names, surface, Name("customer_type", entry["name"], "customer"))
    conditional = {cue for _, cues, also in CATEGORY_RULES if also for cue in cues}
    generic = {cue for cues in GENERIC_CUSTOMER_TYPES.values() for cue in cues}
    for category, cues, also in CATEGORY_RULES:
        if also or category.startswith(_VOLTAGE_CATEGORY_PREFIX) or category == "lv" or category not in categories:
            continue
        for cue in cues:
            if cue not in conditional and cue not in generic and fold(cue) not in names:
                _put(names, cue, Name("customer_type", categories[category]["name"], "customer"))
    for cue, category in EXTRA_CUSTOMER_CUES.items():
        if category in categories:
            _put(names, cue, Name("customer_type", categories[category]["name"], "customer"))
    for value, cues in GENERIC_CUSTOMER_TYPES.items():
        for cue in cues:
            if fold(cue) not in names:
                _put(names, cue, Name("customer_type", value, "customer"))


def _add_provinces(names: dict[str, Name], kb: KnowledgeBase) -> None:
    """Places the KB does not cover (other_places) and the provinces of its regions, by their short names."""
    provinces = {_short_province(r.province) for r in kb.regions} | {r.province for r in kb.regions}
    for other in kb.vocab.other_places:
        source = "province" if other in provinces else "other"
        _put(names, other, Name("region", _short_province(other), source))
    for region in kb.regions:
        for surface in {region.province, _short_province(region.province)}:
            _put(names, surface, Name("region", _short_province(region.province), "province"))


def _add_gazetteer(names: dict[str, Name], kb: KnowledgeBase) -> None:
    for surface in kb.gazetteer:
        place = kb.resolve_place(surface)
        if place is None:  # a name shared by two regions names neither
            continue
        if place.district:
            _put(names, surface, Name("district", place.district, "kb", place.region.name))
        else:
            _put(names, surface, Name("region", place.region.name, "kb", place.region.name))


def spacy_patterns(names: dict[str, Name], reader: QuantityReader) -> list[dict[str, Any]]:
    patterns: list[dict[str, Any]] = [
        {"label": n.entity, "pattern": surface, "id": f"{n.source}:{n.value}"} for surface, n in names.items()
    ]
    for word, value in {**SUPPLY_TERMS, **VOLTAGE_TERMS}.items():
        entity = "supply" if word in SUPPLY_TERMS else "voltage"
        patterns.append({"label": entity, "pattern": word, "id": f"rule:{value}"})
    number = {"TEXT": {"REGEX": rf"^(?:{NUMBER})$"}}
    units = {"capacity": [], "length": []}  # type: dict[str, list[str]]
    for word, unit in reader.unit_names.items():
        units["length" if unit in ("米", "公里") else "capacity"].append(word)
    units_kv = ["千伏", "kv"]
    for entity, words in (*units.items(), ("voltage", units_kv)):
        alternation = "|".join(sorted(words, key=len, reverse=True))
        patterns.append({"label": entity, "pattern": [number, {"TEXT": {"IN": words}}]})
        patterns.append({"label": entity, "pattern": [{"TEXT": {"REGEX": rf"^(?:{NUMBER})(?:{alternation})$"}}]})
    return patterns
