"""Every term a document puts in quotes is answered as 'X是什么意思' from that document."""

from __future__ import annotations

import pytest

from bot.qa.context import Context
from bot.qa.glossary import quoted_terms, unquoted
from bot.qa.planner import Answerer


@pytest.fixture(scope="module")
def answerer(kb) -> Answerer:
    return Answerer(kb)


def test_every_quoted_term_of_every_document_is_defined(kb, answerer):
    unanswered = []
    for region in kb.regions:
        for term in quoted_terms(kb.clauses_of(region)):
            reply = answerer.reply(f"{region.name}文件里说的“{term}”是什么意思？", Context())
            if unquoted(term) not in unquoted(reply.text) or reply.context.region != region.id:
                unanswered.append((region.name, term))
    assert not unanswered


def test_a_definition_is_quoted_from_its_own_documents_passage(answerer):
    text = answerer.reply("安阳说的“容缺办理”指什么", Context()).text
    assert "容缺" in text and "安供电营销〔2022〕24号" in text
