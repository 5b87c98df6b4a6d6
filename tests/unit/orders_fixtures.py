"""Shared helpers for the order-store tests: a fresh SQLite file per test, a synthetic KB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.knowledge.loader import load_vocabulary
from bot.knowledge.models import District, Document, Fact, Region, Source, Value
from bot.knowledge.service import KnowledgeBase
from bot.orders.times import BEIJING
from bot.orders.views import BookingDraft
from bot.store.engine import make_engine, session_factory
from bot.store.schema import upgrade

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 11, 26, 10, 0, tzinfo=BEIJING)  # a Wednesday morning in Beijing (02:00 UTC)


def fresh_engine(tmp_path: Path) -> Engine:
    """A new SQLite file with every table (each test gets its own)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'orders.db'}")
    upgrade(engine)
    return engine


def open_session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session


def draft(**changes) -> BookingDraft:
    values = dict(contact_name="张三", phone="13912345678", region="anyang", district="文峰区",
                  address="安阳市文峰区中华路1号", business="resident_new", category="resident",
                  visit_date=date(2025, 11, 27), visit_period="上午")
    return BookingDraft(**(values | changes))


def _fact(fid: str, topic: str, statement: str, *, aspect: str, amount: float, unit: str,
          category: str = "all", step: str | None = None) -> Fact:
    return Fact(id=fid, region="anyang", topic=topic, category=category, statement=statement,
                source=Source("安供电营销〔2022〕24号", "测试", (statement,)), aspect=aspect, step=step,
                value=Value(amount=amount, unit=unit))


def synthetic_kb() -> KnowledgeBase:
    """A KB with one region whose facts are made up for tests (not the real documents)."""
    vocab = load_vocabulary(ROOT / "knowledge" / "shared.yml")
    facts = (
        _fact("t-dispatch", "booking", "预约工单20分钟内派发", aspect="dispatch", amount=20, unit="分钟"),
        _fact("t-scheme-lv", "time_limit", "低压供电方案答复3个工作日", aspect="step", amount=3, unit="工作日",
              category="lv", step="供电方案答复"),
        _fact("t-scheme-hv", "time_limit", "高压供电方案答复10个工作日", aspect="step", amount=10, unit="工作日",
              category="hv", step="供电方案答复"),
        _fact("t-connect", "time_limit", "装表接电2个工作日", aspect="step", amount=2, unit="工作日",
              category="lv", step="装表接电"),
    )
    document = Document("安供电营销〔2022〕24号", "测试", "测试", date(2022, 1, 1), "x.txt")
    region = Region("anyang", "安阳", "安阳市", "河南省", document, ("安阳",),
                    (District("文峰区", ("文峰",)), District("林州市", ("林州",))), facts, ())
    plain = Region("yantai", "烟台", "烟台市", "山东省", document, ("烟台",),
                   (District("芝罘区", ("芝罘",)),), (), ())
    return KnowledgeBase(vocab, (region, plain))
