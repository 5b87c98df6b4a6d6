"""The growth benchmark's synthetic knowledge base (bench/growth_kb.py): the five real cities' documents
copied to other real prefecture-level cities. A broken copy would measure a KB the assistant cannot use,
so: it must prove against its seeds, name every place once, and answer for the new cities."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.growth_kb import GrowthKB, generate, provenance_problems
from bot.knowledge.service import KnowledgeBase
from bot.qa.context import Context
from bot.qa.planner import Answerer

ROOT = Path(__file__).resolve().parents[2]
CITIES = 8


@pytest.fixture(scope="module")
def growth(tmp_path_factory: pytest.TempPathFactory) -> GrowthKB:
    return generate(tmp_path_factory.mktemp("growth") / "knowledge", CITIES, check=False)


@pytest.fixture(scope="module")
def kb(growth: GrowthKB) -> KnowledgeBase:
    return KnowledgeBase.load(growth.directory, growth.seeds)


def test_it_has_the_real_cities_and_synthetic_copies_of_them(growth: GrowthKB, kb: KnowledgeBase):
    real = KnowledgeBase.load(ROOT / "knowledge")
    assert len(kb.regions) == CITIES and len(growth.synthetic) == CITIES - len(real.regions)
    assert {r.id for r in real.regions} < {r.id for r in kb.regions}
    for synthetic in growth.synthetic:
        region, template = kb.region(synthetic.region_id), real.region(synthetic.template_id)
        assert len(region.facts) >= len(template.facts) - 2  # only facts of a district it has no county for go
        assert region.document.seed != template.document.seed
    assert not (ROOT / "knowledge" / "regions" / f"{growth.synthetic[0].region_id}.yml").exists()


def test_every_fact_proves_against_its_seed(growth: GrowthKB):
    assert provenance_problems(growth) == []


def test_places_and_documents_are_distinct(growth: GrowthKB, kb: KnowledgeBase):
    ambiguous = {name: [p.region.id for p in places] for name, places in kb.gazetteer.items()
                 if len({p.region.id for p in places}) > 1}
    assert ambiguous == {}
    for attribute in ("id", "name", "full_name"):
        values = [getattr(region, attribute) for region in kb.regions]
        assert len(set(values)) == len(values), attribute
    numbers = [region.document.number for region in kb.regions]
    seeds = [region.document.seed for region in kb.regions]
    assert len(set(numbers)) == len(numbers) and len(set(seeds)) == len(seeds)
    real_names = set(KnowledgeBase.load(ROOT / "knowledge").gazetteer)
    for synthetic in growth.synthetic:
        region = kb.region(synthetic.region_id)
        names = {*region.all_names(), *(n for d in region.districts for n in (d.name, *d.aliases))}
        assert not names & real_names, synthetic.city.name


def test_a_question_about_a_synthetic_city_is_answered_from_its_own_document(growth: GrowthKB, kb: KnowledgeBase):
    answerer = Answerer(kb)
    for synthetic in growth.synthetic:
        template = kb.region(synthetic.template_id)
        reply = answerer.reply(f"{synthetic.city.short}居民用户办电要多久", Context())
        assert synthetic.document_number in reply.text, reply.text
        assert template.document.number not in reply.text
        assert reply.context.region == synthetic.region_id


def test_a_question_retargeted_at_a_synthetic_city_names_it(growth: GrowthKB, kb: KnowledgeBase):
    """The benchmark asks the real cities' questions again with the place names replaced."""
    by_template = {s.template_id: s for s in growth.synthetic}
    synthetic = by_template.get("zaozhuang") or growth.synthetic[0]
    template = kb.region(synthetic.template_id)
    district = next(d for d in template.districts if not d.name.endswith("开发区"))
    question = synthetic.rename(f"{template.name}{district.name}居民用户办电要多久")
    places = kb.places_in(question)
    assert {p.region.id for p in places} == {synthetic.region_id}, question
    assert any(p.district for p in places), question  # the district was replaced by one of the new city's
