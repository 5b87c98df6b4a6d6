"""The one query interface over the knowledge base. No Rasa imports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from bot.knowledge.clauses import ClauseIndex
from bot.knowledge.loader import Vocabulary, load_regions, load_vocabulary
from bot.knowledge.models import Clause, Fact, Region, Silence

SUBGROUP_RANK = 100.0


@dataclass(frozen=True)
class Place:
    region: Region
    district: str | None = None


@dataclass(frozen=True)
class FactQuery:
    topic: str
    category: str | None = None
    area: str | None = None
    district: str | None = None
    aspect: str | None = None
    step: str | None = None


@dataclass
class KnowledgeBase:
    vocab: Vocabulary
    regions: tuple[Region, ...]
    seeds_dir: Path | None = None
    _clauses: ClauseIndex | None = field(default=None, repr=False)
    _ranks: dict[str, Mapping[str, float]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, directory: Path, seeds_dir: Path | None = None) -> KnowledgeBase:
        vocab = load_vocabulary(directory / "shared.yml")
        regions = sorted(load_regions(directory / "regions", vocab), key=lambda r: (r.document.date, r.id))
        return cls(vocab, tuple(regions), seeds_dir)

    # ---- regions and places -------------------------------------------------

    def region(self, region_id: str) -> Region:
        """A region by its id or its name."""
        return self._regions_by_key[region_id]

    @cached_property
    def _regions_by_key(self) -> dict[str, Region]:
        keys = {region.name: region for region in reversed(self.regions)}
        keys.update({region.id: region for region in reversed(self.regions)})
        return keys

    @cached_property
    def gazetteer(self) -> dict[str, list[Place]]:
        """Every name people use for a region or district → the places it may mean."""
        names: dict[str, list[Place]] = {}
        for region in self.regions:
            for name in region.all_names():
                names.setdefault(name, []).append(Place(region))
            for district in region.districts:
                for name in (district.name, *district.aliases):
                    names.setdefault(name, []).append(Place(region, district.name))
        return names

    @cached_property
    def place_names(self) -> frozenset[str]:
        """Every name of a place: words that say where a question is, not what it is about."""
        return frozenset(self.gazetteer)

    @cached_property
    def _names_by_first_character(self) -> dict[str, list[tuple[int, str]]]:
        """Each name under its first character, with its rank among all names longest first."""
        found: dict[str, list[tuple[int, str]]] = {}
        for rank, name in enumerate(sorted(self.gazetteer, key=len, reverse=True)):
            found.setdefault(name[0], []).append((rank, name))
        return found

    def _names_in(self, text: str) -> list[str]:
        """The names that may occur in `text` (their first character does), longest first: only these need a
        search, however many places the KB has."""
        index = self._names_by_first_character
        return [name for _, name in sorted(entry for char in set(text) for entry in index.get(char, ()))]

    def names_in(self, text: str) -> list[str]:
        """The KB's place names that occur in `text`, longest first."""
        return [name for name in self._names_in(text) if name in text]

    def resolve_region(self, name: str) -> Region | None:
        place = self.resolve_place(name)
        return place.region if place else None

    def resolve_place(self, name: str) -> Place | None:
        """An exact name (region, district or alias) → the one place it means, else None."""
        places = self.gazetteer.get(name.strip(), [])
        regions = {p.region.id for p in places}
        if len(regions) != 1:
            return None
        return next((p for p in places if p.district is None), places[0])

    def places_in(self, text: str) -> list[Place]:
        """Places mentioned in free text, in order of mention, unambiguous ones only; a longer
        name wins over a shorter one inside it (东海县 over 东海)."""
        found: dict[Place, int] = {}
        taken: list[tuple[int, int]] = []
        for start, name in sorted(self._occurrences(text), key=lambda hit: (-len(hit[1]), hit[0])):
            span = (start, start + len(name))
            if not any(a < span[1] and span[0] < b for a, b in taken):
                taken.append(span)
                place = self.resolve_place(name)
                if place and place not in found:
                    found[place] = start
        return sorted(found, key=found.__getitem__)

    def _occurrences(self, text: str) -> list[tuple[int, str]]:
        """Where each place name occurs: of two names of one length that overlap, the earlier is read
        ('安阳高压' is 安阳 then 高压, not 阳高)."""
        hits = []
        for name in self._names_in(text):
            start = text.find(name)
            while start >= 0:
                hits.append((start, name))
                start = text.find(name, start + 1)
        return hits

    # ---- facts --------------------------------------------------------------

    def category_lineage(self, category: str) -> list[str]:
        """The category and its ancestors, nearest first."""
        order, frontier = [category], [category]
        while frontier:
            parents = [p for c in frontier for p in self.vocab.categories[c]["parents"]]
            frontier = [p for p in parents if p not in order]
            order.extend(frontier)
        return order

    def subgroups(self, category: str) -> list[str]:
        """The categories whose lineage includes `category` (itself among them)."""
        return [c for c in self.vocab.categories if category in self.category_lineage(c)]

    def category_ranks(self, category: str) -> Mapping[str, float]:
        """How closely each related category answers a question about `category`: the category
        itself 0, its ancestors 1, 2, … (their rules apply to it), and last its subgroups, used only
        where nothing applies to the whole group (their facts name the subgroup). Computed once
        per category: every fact query of every reply asks for it."""
        if category not in self._ranks:
            # the subgroups and the other groups they belong to: a 10千伏 question (supply unknown)
            # is also answered by 高压单电源 / 高压双电源 rules, since 10千伏单电源 belongs to both
            ranks = {c: SUBGROUP_RANK for sub in self.subgroups(category) for c in self.category_lineage(sub)}
            ranks.update({c: float(i) for i, c in enumerate(self.category_lineage(category))})
            self._ranks[category] = MappingProxyType(ranks)
        return self._ranks[category]

    def facts(self, region: Region | str, query: FactQuery) -> list[Fact]:
        """Facts of one region answering the query, most specific category first."""
        region = self.region(region) if isinstance(region, str) else region
        ranks = self.category_ranks(query.category) if query.category else None
        matches = [f for f in region.facts if self._matches(f, query, ranks, region)]
        if ranks is not None:
            matches.sort(key=lambda f: ranks[f.category])
        return matches

    def best_facts(self, region: Region | str, query: FactQuery) -> list[Fact]:
        """Only the facts at the most specific category level found."""
        return self.nearest(self.facts(region, query), query.category)

    def nearest(self, facts: list[Fact], category: str | None) -> list[Fact]:
        """Of facts matching a category, per aspect those of the most specific level present:
        a 10千伏双电源 question gets the 高压双电源 total and the 10千伏 works limit, but not the
        高压用户 total that the 双电源 one refines."""
        if not facts or not category:
            return facts
        ranks = self.category_ranks(category)
        level: dict[str | None, float] = {}
        for fact in facts:
            level[fact.aspect] = min(ranks[fact.category], level.get(fact.aspect, ranks[fact.category]))
        return [f for f in facts if ranks[f.category] == level[f.aspect]]

    def _matches(self, fact: Fact, query: FactQuery, ranks: Mapping[str, float] | None, region: Region) -> bool:
        if fact.topic != query.topic:
            return False
        if ranks is not None and fact.category not in ranks:
            return False
        if query.aspect and fact.aspect != query.aspect:
            return False
        if query.step and fact.step != query.step:
            return False
        if query.area and fact.area and fact.area != query.area:
            return False
        return not query.district or self.covers_district(fact, query.district, region)

    @staticmethod
    def covers_district(fact: Fact, district: str, region: Region) -> bool:
        """Whether a fact applies to a district: it names none, names this one, or is for
        'others' and no fact of its topic names this district."""
        if fact.districts is None:
            return True
        if fact.districts == "others":
            named = {d for f in region.facts if f.topic == fact.topic and isinstance(f.districts, tuple)
                     for d in f.districts}
            return district not in named
        return district in fact.districts

    def silence(self, region: Region | str, topic: str, category: str | None = None) -> Silence | None:
        """The region's explicit 'the document does not say' entry for a topic, if any."""
        region = self.region(region) if isinstance(region, str) else region
        lineage = set(self.category_lineage(category)) if category else None
        for entry in region.silences:
            if entry.topic == topic and (entry.category is None or lineage is None or entry.category in lineage):
                return entry
        return None

    # ---- clause search --------------------------------------------------------

    @property
    def clause_index(self) -> ClauseIndex:
        if self._clauses is None:
            if self.seeds_dir is None:
                raise RuntimeError("clause search needs seeds_dir")
            self._clauses = ClauseIndex.build(self.regions, self.seeds_dir)
        return self._clauses

    def search_clauses(self, text: str, region: Region | str | None = None, limit: int = 3) -> list[Clause]:
        return self.clause_index.search(text, _region_id(region), limit, self.place_names)

    def search_sentences(self, text: str, region: Region | str | None = None, limit: int = 3) -> list[Clause]:
        """The single sentences of the documents that best match the text (cited by section); the
        customer's words are joined by the documents' words for them (shared.yml `thesaurus`)."""
        return self.clause_index.search_sentences(self.in_document_words(text), _region_id(region), limit,
                                                  self.place_names)

    def subject_words(self, text: str) -> set[str]:
        """What a question is about, in the documents' words: its rare words and the documents'
        words for its customer words (thesaurus)."""
        return self.rare_terms(text) | set(self._thesaurus_words(text))

    def in_document_words(self, text: str) -> str:
        return " ".join([text, *self._thesaurus_words(text)])

    def _thesaurus_words(self, text: str) -> list[str]:
        return [w for word, words in self.vocab.thesaurus.items() if word in text for w in words]

    def clauses_of(self, region: Region | str) -> list[Clause]:
        """A region's document as clauses (paragraphs with their section), in document order."""
        region_id = _region_id(region)
        return [p.clause for p in self.clause_index.of_region(region_id)] if region_id else []

    def rare_terms(self, text: str) -> set[str]:
        return self.clause_index.rare_terms(text, self.place_names)


def _region_id(region: Region | str | None) -> str | None:
    return (region if isinstance(region, str) else region.id) if region else None
