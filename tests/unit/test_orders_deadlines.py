"""Current-step deadlines: limits from the KB, working days, warning levels as data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from orders_fixtures import synthetic_kb

from bot.orders.deadlines import step_deadline
from bot.orders.times import BEIJING
from bot.orders.views import OrderView
from bot.orders.warnings import load_schemes, scheme_for

KB = synthetic_kb()


def bj(*parts: int) -> datetime:
    """A Beijing wall-clock time (aware): deadlines count Beijing days whatever the machine's time zone."""
    return datetime(*parts, tzinfo=BEIJING)


def order(stage: str, since: datetime, category: str = "resident", region: str = "anyang") -> OrderView:
    return OrderView(
        number="1234567890", region=region, district="文峰区", address="x", contact_name="张三",
        phone="13912345678", business="resident_new", category=category, capacity=None,
        visit_date=None, visit_period=None, stage=stage, stage_since=since, manager=None, channel="customer",
        created_by="customer", created_at=since, dispatch_due=None, history=(),
    )


SINCE = bj(2025, 11, 26, 10, 0)


@pytest.mark.parametrize(("minutes", "remaining", "level", "overdue"), [
    (5, "还剩15分钟", None, False),
    (10, "还剩10分钟", "蓝色预警", False),
    (17, "还剩3分钟", "橙色预警", False),
    (25, "已超时5分钟", "黄色告警", True),
    (31, "已超时11分钟", "红色告警", True),
])
def test_dispatch_deadline_and_anyang_warning_levels(minutes, remaining, level, overdue):
    deadline = step_deadline(KB, order("submitted", SINCE), SINCE + timedelta(minutes=minutes))
    assert deadline.limit and deadline.limit.text == "20分钟"
    assert deadline.due == SINCE + timedelta(minutes=20)
    assert deadline.remaining == remaining and deadline.overdue is overdue
    assert (deadline.level.name if deadline.level else None) == level


def test_step_limit_follows_the_category_lineage_and_counts_working_days():
    since = bj(2025, 9, 30, 9, 0)  # the next working days are 9, 10 and (Saturday) 11 October
    deadline = step_deadline(KB, order("accepted", since), bj(2025, 10, 9, 15, 0))
    assert deadline.limit and deadline.limit.text == "3个工作日" and deadline.limit.fact.id == "t-scheme-lv"
    assert deadline.due and deadline.due.date() == date(2025, 10, 11)
    assert deadline.remaining == "还剩2个工作日" and not deadline.overdue and not deadline.approximate
    hv = step_deadline(KB, order("accepted", since, category="hv_10kv_single"), bj(2025, 10, 9))
    assert hv.limit and hv.limit.text == "10个工作日"


def test_overdue_working_days_and_levels():
    since = bj(2025, 11, 3, 9, 0)  # Monday; 3 working days → Thursday 6 Nov
    late = step_deadline(KB, order("accepted", since), bj(2025, 11, 7, 9, 0))
    assert late.overdue and late.remaining == "已超时1个工作日" and late.level and late.level.name == "黄色告警"
    later = step_deadline(KB, order("accepted", since), bj(2025, 11, 10, 9, 0))
    assert later.remaining == "已超时2个工作日" and later.level and later.level.name == "红色告警"
    weekend = step_deadline(KB, order("accepted", since), bj(2025, 11, 8, 9, 0))
    assert weekend.overdue and weekend.remaining == "已超时1个工作日"
    friday_due = step_deadline(KB, order("accepted", bj(2025, 11, 4, 9, 0)), bj(2025, 11, 8, 9, 0))
    assert friday_due.overdue and friday_due.remaining == "已过截止日期"


def test_due_today():
    since = bj(2025, 11, 3, 9, 0)
    deadline = step_deadline(KB, order("accepted", since), bj(2025, 11, 6, 9, 0))
    assert deadline.remaining == "今天到期" and not deadline.overdue
    assert deadline.level and deadline.level.name == "橙色预警"


def test_no_limit_in_the_document_means_no_deadline():
    assert step_deadline(KB, order("dispatched", SINCE), SINCE).limit is None
    assert step_deadline(KB, order("submitted", SINCE, region="yantai"), SINCE).limit is None
    assert step_deadline(KB, order("completed", SINCE), SINCE).limit is None
    # resident customers have no 竣工检验 limit in the synthetic KB, and hv facts are never borrowed
    assert step_deadline(KB, order("connecting", SINCE, category="hv"), SINCE).limit is None


def test_fallback_year_is_flagged_approximate():
    since = bj(2030, 3, 1, 9, 0)
    deadline = step_deadline(KB, order("accepted", since), since)
    assert deadline.approximate and "估算" in deadline.note


def test_other_regions_use_the_default_scheme():
    assert [lv.name for lv in scheme_for("yantai").levels] == ["即将到期", "已超时"]
    assert [lv.name for lv in scheme_for("anyang").levels] == ["蓝色预警", "橙色预警", "黄色告警", "红色告警"]
    assert load_schemes()["anyang"].source == "安供电营销〔2022〕24号"


def test_scheme_picks_the_highest_level_reached():
    scheme = scheme_for("anyang")
    assert scheme.level(0.49, None) is None
    assert scheme.level(0.99, None).name == "橙色预警"
    assert scheme.level(1.0, 0.01).name == "黄色告警"
    assert replace(scheme.level(1.0, 2.0)).name == "红色告警"
