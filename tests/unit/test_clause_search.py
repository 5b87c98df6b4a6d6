"""Clause search scoped to one region scores only that region's passages, ranked as among all documents."""

from __future__ import annotations

import pytest

from bot.knowledge.clauses import _bm25, _terms

QUESTIONS = ("高压双电源要多久", "供电方案答复几个工作日", "外线工程要不要审批", "三指定", "电费矛盾找谁")


def _ranked_by_hand(kb, text: str, region: str, sentences: bool) -> list[tuple[str, float]]:
    """Every passage of the region scored with the statistics of all documents, best three."""
    index = kb.clause_index
    passages = index.sentences if sentences else index.passages
    frequency = index.sentence_frequency if sentences else index.document_frequency
    average = index.sentence_length if sentences else index.average_length
    query = set(_terms(kb.in_document_words(text) if sentences else text, kb.place_names))
    ranked = [(p.clause.text, round(_bm25(query, p, frequency, len(passages), average), 3))
              for p in passages if p.clause.region == region]
    return sorted((r for r in ranked if r[1] > 0), key=lambda r: r[1], reverse=True)[:3]


@pytest.mark.parametrize("text", QUESTIONS)
@pytest.mark.parametrize("region", ["yantai", "qiandongnan", "anyang"])
def test_a_regions_search_ranks_its_own_passages_as_all_documents_would(kb, text, region):
    for sentences, found in ((True, kb.search_sentences(text, region)), (False, kb.search_clauses(text, region))):
        assert all(clause.region == region for clause in found)
        assert [(c.text, c.score) for c in found] == _ranked_by_hand(kb, text, region, sentences)


def test_a_regions_clauses_are_its_document_in_order(kb):
    for region in kb.regions:
        mine = kb.clauses_of(region)
        assert mine and all(c.region == region.id for c in mine)
        everything = [p.clause for p in kb.clause_index.passages if p.clause.region == region.id]
        assert mine == everything


def test_a_region_is_found_by_id_or_name(kb):
    for region in kb.regions:
        assert kb.region(region.id) is region
        assert kb.region(region.name) is region
    with pytest.raises(KeyError):
        kb.region("杭州")
