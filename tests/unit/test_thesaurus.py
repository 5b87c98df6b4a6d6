"""The knowledge base's thesaurus (customer words → the documents' words) and area nesting."""

from __future__ import annotations

from bot.knowledge.eligibility import Verdict, low_voltage_access
from bot.knowledge.models import Quantity


def test_every_thesaurus_word_occurs_in_some_document(kb):
    documents = "".join(clause.text for region in kb.regions for clause in kb.clauses_of(region))
    missing = [(k, w) for k, words in kb.vocab.thesaurus.items() for w in words if w not in documents]
    assert not missing


def test_customer_words_find_the_documents_sentence(kb):
    found = kb.search_sentences("供电局让我找他们指定的施工队，行吗", "qiandongnan", limit=1)
    assert "三指定" in found[0].text


def test_an_area_inside_a_wider_one_takes_the_wider_rule(kb):
    result = low_voltage_access(kb, kb.region("yantai"), Quantity(50, "千伏安"), area="urban")
    assert result.verdict is Verdict.ELIGIBLE
    assert result.rule is not None and result.rule.area == "city_planning"
