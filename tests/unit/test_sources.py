"""Every fact is proven against its seed document, and every figure of the seeds is in the KB."""

from __future__ import annotations

import pytest

from bot.knowledge.models import Fact, Source, Value
from bot.knowledge.sources import check_fact, check_region, uncovered_figures, unit_figures
from bot.knowledge.textnorm import normalize, numbers_in
from tests.conftest import KNOWLEDGE, SEEDS

SHARED_SEEDS = KNOWLEDGE.parent.parent / "shared" / "seeds"
REGION_IDS = ["yantai", "zaozhuang", "qiandongnan", "lianyungang", "anyang"]


@pytest.mark.parametrize("region_id", REGION_IDS)
def test_every_excerpt_is_in_the_seed_and_carries_the_fact_numbers(kb, region_id):
    assert check_region(kb.region(region_id), SEEDS) == []


@pytest.mark.parametrize("region_id", REGION_IDS)
def test_every_figure_of_the_seed_is_stated_by_some_fact(kb, region_id):
    assert uncovered_figures(kb.region(region_id), SEEDS) == set()


def test_vendored_seeds_are_identical_to_the_shared_ones():
    if not SHARED_SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    shared = {p.name: p.read_bytes() for p in SHARED_SEEDS.glob("*.txt")}
    vendored = {p.name: p.read_bytes() for p in SEEDS.glob("*.txt")}
    assert shared == vendored


def _fact(statement: str, excerpt: str, amount: float | None = None) -> Fact:
    return Fact(id="t", region="r", topic="time_limit", category="all", statement=statement,
                source=Source("doc", "一", (excerpt,)), value=Value(amount=amount, unit="工作日"))


SEED = normalize("10千伏单电源、双电源用户电网环节办理时长分别不超过 11 个、18 个工作日")


def test_a_wrong_number_in_a_statement_is_caught():
    fact = _fact("10千伏双电源用户不超过19个工作日",
                 "10千伏单电源、双电源用户电网环节办理时长分别不超过 11 个、18 个工作日")
    assert any("['19']" in p for p in check_fact(fact, SEED, "f"))


def test_a_wrong_number_in_a_value_is_caught():
    fact = _fact("双电源用户不超过18个工作日",
                 "双电源用户电网环节办理时长分别不超过 11 个、18 个工作日", amount=17)
    assert any("['17']" in p for p in check_fact(fact, SEED, "f"))


def test_an_excerpt_not_in_the_seed_is_caught():
    fact = _fact("不超过18个工作日", "双电源用户办理时长不超过18个工作日")
    assert any("excerpt not found" in p for p in check_fact(fact, SEED, "f"))


def test_matching_ignores_whitespace_width_and_markup():
    fact = _fact("不超过１８个工作日", "双电源用户电网环节办理时长分别不超过11个、**18**个工作日")
    assert check_fact(fact, SEED, "f") == []


def test_unit_figures_expand_lists():
    figures = unit_figures("分别压减至 1.5、4、8、12 小时以内；审批时限不超过 2 个工作日；比率不低于 90%")
    assert {("1.5", "小时"), ("4", "小时"), ("8", "小时"), ("12", "小时"), ("2", "工作日"), ("90", "%")} <= figures


def test_numbers_in_separate_table_cells():
    assert numbers_in("10 千伏双电源用户\t1\t7\t3\t2\t3\t2\t18") == ["10", "1", "7", "3", "2", "3", "2", "18"]


def test_unit_figures_accept_a_measure_word_inside_a_list():
    assert unit_figures("分别压减至 5 个、10 个工作日以内") == {("5", "工作日"), ("10", "工作日")}


def test_numbers_fold_full_width_digits():
    assert numbers_in("１６０千瓦 and 1.50") == ["160", "1.5"]
