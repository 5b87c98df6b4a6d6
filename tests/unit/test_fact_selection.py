"""The one fact-selection policy (bot/knowledge/selection.py), on the documents' own yearly targets."""

from __future__ import annotations

from datetime import date

from bot.knowledge import selection
from bot.knowledge.service import FactQuery


def targets(kb):
    """黔东南's centre-area reliability targets: 2021年底 3.1 hours, 2022年底 1.9 hours (发改能源〔2021〕57号)."""
    return kb.best_facts("qiandongnan", FactQuery("reliability", area="center", aspect="target"))


def amounts(facts):
    return sorted(f.value.amount for f in facts)


def test_the_years_a_question_names_win(kb):
    assert amounts(selection.select(targets(kb), years=(2021,))) == [3.1]
    assert amounts(selection.select(targets(kb), years=(2022,), on=date(2021, 1, 1))) == [1.9]


def test_a_year_no_target_has_keeps_them_all(kb):
    assert amounts(selection.select(targets(kb), years=(2030,))) == [1.9, 3.1]


def test_on_a_date_the_targets_in_force_then(kb):
    assert amounts(selection.select(targets(kb), on=date(2021, 6, 1))) == [1.9, 3.1]  # none due yet
    assert amounts(selection.select(targets(kb), on=date(2023, 1, 1))) == [1.9]  # 2021's superseded


def test_without_years_or_date_the_whole_schedule(kb):
    assert amounts(selection.select(targets(kb))) == [1.9, 3.1]


def test_focus_keeps_the_facts_using_most_of_the_terms_named(kb):
    facts = kb.best_facts("anyang", FactQuery("materials"))
    rural = selection.focused(facts, (("农村",), ("产权证明",)))
    assert [f.statement for f in rural] == ["农村地区低压办电可提供村委会及以上出具的产权证明（原件）"]
    either = selection.focused(facts, (("两证办结", "清单以外"),))
    assert len(either) >= 2 and all("两证办结" in f.statement or "清单以外" in f.statement for f in either)
    assert selection.focused(facts, (("没有这个词",),)) == []
