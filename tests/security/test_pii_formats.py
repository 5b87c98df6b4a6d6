"""Personal data masked in every format the parsers accept, on every path that stores or logs text.

Before: the masker knew one way of writing a mobile number (3-4-4 digits with at most one space or dash),
the booking parser several more (any run of spaced digits, +86), so "1 3 9 1 2 3 4 5 6 7 8" was booked and
logged raw; dots, landlines and contact names were not masked at all; REST `metadata` was stored as sent;
and the house-number rule masked document numbers in stored answers (安供电营销〔2022〕*号). Now one
definition (bot/phones.py) serves the parser and the masker.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.booking.phone import find_phone, parse_phone
from bot.masking import PiiFilter, mask_text

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 10, 0)
PHONE = "13912345678"

PHONE_FORMATS = [
    "13912345678", "139 1234 5678", "139-1234-5678", "139.1234.5678", "139 - 1234 - 5678", "139—1234—5678",
    "1 3 9 1 2 3 4 5 6 7 8", "139  1234  5678", "139\u30001234\u30005678", "139－1234－5678",
    "+86 139 1234 5678", "+8613912345678", "+86-139-1234-5678", "0086 13912345678", "0086-139-1234-5678",
    "8613912345678", "(+86)13912345678", "（+86）139 1234 5678", "+86 139.1234.5678",
    "１３９１２３４５６７８", "１３９ １２３４ ５６７８", "１３９．１２３４．５６７８", "𝟏𝟑𝟗𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖",
]
LANDLINES = ["0539-1234567", "(0371)12345678", "（0371）12345678", "0371 1234 5678", "010-12345678",
             "0371-1234-5678", "+86 371 1234 5678", "0086 10 12345678", "０５３９－１２３４５６７"]


def digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in unicodedata.normalize("NFKC", text) if c.isdecimal())


def hides(number: str, masked: str) -> bool:
    return number not in digits(masked) and "****" in masked


# ---- formats ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("written", PHONE_FORMATS)
def test_every_way_of_writing_a_mobile_number_is_booked_and_masked(written):
    assert parse_phone(written).value == PHONE
    for text in (written, f"我的电话是{written}，谢谢", f"电话写错了，是{written}", f"{written}是我的手机"):
        assert find_phone(text).value == PHONE, text
        masked = mask_text(text)
        assert hides(PHONE, masked), (text, masked)
        assert any(last in masked for last in ("5678", "５６７８", "𝟓𝟔𝟕𝟖")), masked  # the last four stay


@pytest.mark.parametrize("written", LANDLINES)
def test_landlines_are_masked_and_not_taken_as_a_mobile_number(written):
    masked = mask_text(f"座机{written}，白天打")
    subscriber = digits(written)[-7:]
    assert subscriber not in digits(masked) and "****" in masked, masked
    parsed = parse_phone(written)
    assert parsed.value is None and "手机号" in (parsed.error or "")


@pytest.mark.parametrize(("text", "name"), [
    ("我叫张三", "张三"), ("联系人：李四，电话13912345678", "李四"), ("姓名是欧阳娜娜", "欧阳娜娜"),
    ("登记零证预约：王小明 13912345678 安阳市文峰区中华路1号 居民新装 明天上午", "王小明"),
    ("名字写错了，是赵六", "赵六"), ("联系人改成孙七", "孙七"), ("户主是周八", "周八"),
])
def test_contact_names_after_a_cue_are_masked(text, name):
    masked = mask_text(text)
    assert name not in masked and name[0] + "*" in masked, masked


@pytest.mark.parametrize(("text", "expected"), [
    ("安阳市文峰区中华路12号3单元502室", "安阳市文峰区中华路*号*单元*室"),
    ("幸福小区5栋2-301室", "幸福小区*栋*-*室"), ("人民路８８号", "人民路*号"),
])
def test_house_numbers_are_masked(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", [
    "连政办传〔2021〕56号", "安供电营销〔2022〕24号", "枣能源字〔2021〕33号", "烟发改能源〔2020〕205号",
    "黔东南发改能源〔2021〕57号", "在“安发改运行〔2019〕262号”文件基础上", "鲁发改能源[2020]1号",
    "8000千伏安", "1000米", "160千瓦", "2021年12月31日", "12月1号上午", "第3号公告", "三、主要工作（一）2.精简办电证件",
    "工单38412-09357 尾号5678，150千瓦", "请问联系人怎么称呼？", "帮您登记零证预约：您什么资料都不用带",
    "供电服务热线95598", "客户主体资格证明", "我是小微企业", "139.212.134.56", "10千伏 20千伏 35千伏 110千伏",
])
def test_document_numbers_sections_years_and_amounts_are_never_masked(text):
    assert mask_text(text) == text


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def kb_texts() -> list[tuple[str, str]]:
    """Every fact's statement and source excerpt and section, and each region's document number and title."""
    texts = []
    for path in sorted((ROOT / "knowledge" / "regions").glob("*.yml")):
        region = yaml.safe_load(path.read_text(encoding="utf-8"))
        document = region["region"]["document"]
        texts += [(path.name, document["number"]), (path.name, document["title"])]
        for fact in region.get("facts") or []:
            source = fact.get("source") or {}
            for value in (fact.get("statement"), source.get("excerpt"), source.get("section"), fact.get("value")):
                texts += [(f"{path.name}:{fact['id']}", text) for text in _strings(value)]
    return texts


def test_no_knowledge_base_text_is_changed_by_the_masker():
    texts = kb_texts()
    assert len(texts) > 500
    changed = [(where, text, mask_text(text)) for where, text in texts if mask_text(text) != text]
    assert not changed, changed[:10]


# ---- the property: whatever the parser takes, the masker hides -------------------------------------

def _render(digit: int, style: str) -> str:
    return {"ascii": str(digit), "full": chr(0xFF10 + digit), "bold": chr(0x1D7CE + digit)}[style]


@st.composite
def written_mobile(draw: st.DrawFn) -> tuple[str, str]:
    """A valid mainland mobile number, written in one of the ways people type them."""
    prefix = draw(st.sampled_from(["13", "14", "15", "16", "17", "18", "19"]))
    third = {"14": "5679", "15": "0123456789".replace("4", ""), "16": "2567", "17": "012345678",
             "19": "012356789"}.get(prefix, "0123456789")
    number = prefix + draw(st.sampled_from(list(third))) + "".join(draw(st.lists(
        st.sampled_from("0123456789"), min_size=8, max_size=8)))
    style = draw(st.sampled_from(["ascii", "full", "bold"]))
    chars = [_render(int(d), style) for d in number]
    if draw(st.booleans()):
        gaps = [draw(st.sampled_from(["", "", "", " ", "-", "  ", " - ", "\u3000", "－", "—", "\t"]))
                for _ in range(10)]
    else:
        dot = draw(st.sampled_from([".", "．", " . "]))
        gaps = ["", "", dot, "", "", "", dot, "", "", ""]
    written = chars[0] + "".join(gap + char for gap, char in zip(gaps, chars[1:], strict=True))
    country = draw(st.sampled_from(["", "", "+86", "+86 ", "+86-", "0086", "0086 ", "86", "(+86)", "（+86）"]))
    return country + written, number


CHINESE = st.text(alphabet=st.sampled_from(list("我的电话是手机号码改成写错了请联系人张三安阳市文峰区中华路，。：！ ")),
                  max_size=12)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_mobile(), CHINESE, CHINESE)
def test_every_number_the_booking_parser_accepts_is_masked_also_inside_chinese_text(mobile, before, after):
    written, number = mobile
    assert parse_phone(written).value == number, written
    text = before + written + after
    masked = mask_text(text)
    if find_phone(text).ok:  # (digits of the surrounding text cannot join it: there are none)
        assert find_phone(text).value == number
        assert number not in digits(masked), (text, masked)
    assert not find_phone(masked).ok and not parse_phone(masked).ok, (text, masked)


ANYTHING = st.text(alphabet=st.sampled_from(list("0123456789１３９５８ -－.．+()（）　\t\n号室栋我电话是：，8６")),
                   max_size=40)


@settings(max_examples=400, deadline=None, database=None)
@given(ANYTHING)
@example("1 3 9 1 2 3 4 5 6 7 8")
@example("139.1234.5678 和 0086 13812345678")
def test_no_text_keeps_a_number_the_parser_would_take_after_masking(text):
    masked = mask_text(text)
    assert not find_phone(masked).ok, (text, masked)
    assert not parse_phone(masked).ok, (text, masked)
    if find_phone(text).ok:
        assert masked != text


# ---- the paths that store or log text --------------------------------------------------------------

DIRTY = "我叫张三，电话1 3 9 1 2 3 4 5 6 7 8，座机0539-1234567，住中华路12号"
RAW = ("张三", "0539-1234567", "中华路12号")


def clean(text: str) -> bool:
    return PHONE not in digits(text) and not any(raw in text for raw in RAW)


def _tracker_events() -> list[Any]:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    return [
        ActionExecuted("action_session_start"), SessionStarted(),
        SlotSet("session_started_metadata", {"phone": "139-1234-5678", "note": "联系人：张三"}),
        ActionExecuted("action_listen"),
        UserUttered(DIRTY, {"name": "request_booking"}, parse_data={"text": DIRTY},
                    metadata={"phone": "139.1234.5678", "contact": {"name": "我叫张三"}}),
        SlotSet("requested_slot", "booking_name"),
        BotUttered("好的，帮您登记零证预约：您什么资料都不用带，客户经理会上门收资。请问联系人怎么称呼？"),
        ActionExecuted("action_listen"),
        UserUttered("张三", {"name": "inform"}, parse_data={"text": "张三"}),
        SlotSet("booking_name", "张三"),
        SlotSet("requested_slot", "booking_phone"),
        BotUttered("依据：安供电营销〔2022〕24号，8000千伏安"),
    ]


DOMAIN_YAML = """
version: "3.1"
slots:
  booking_name: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  requested_slot: {type: any, influence_conversation: false, mappings: [{type: custom}]}
"""


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("kind", ["in-memory", "sql"])
def test_tracker_events_are_stored_masked_and_read_back_with_the_name_slot(tmp_path, kind):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_plugins.tracker_store import MaskingInMemoryTrackerStore, MaskingSQLTrackerStore

    domain = Domain.from_yaml(DOMAIN_YAML)
    store = (MaskingInMemoryTrackerStore(domain) if kind == "in-memory"
             else MaskingSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db")))
    tracker = DialogueStateTracker.from_events("c1", _tracker_events(), slots=domain.slots)
    asyncio.run(store.save(tracker))
    if kind == "in-memory":
        data: Any = json.loads(store.store["c1"])
    else:
        import sqlite3

        rows = sqlite3.connect(tmp_path / "tracker.db").execute("SELECT data FROM events")
        data = [json.loads(row[0]) for row in rows]
    stored = json.dumps(data, ensure_ascii=False)  # as stored, \u escapes read
    assert clean(stored) and "139.1234.5678" not in stored and "139-1234-5678" not in stored, stored
    assert "安供电营销〔2022〕24号" in stored and "8000千伏安" in stored  # answers keep their sources
    back = asyncio.run(store.retrieve("c1"))
    assert back is not None and back.get_slot("booking_name") == "张三"  # the live form still has the name
    texts = [event.text for event in back.events if getattr(event, "text", None)]
    assert "张*" in texts and not any(clean(text) is False for text in texts), texts


def test_exchanges_are_stored_masked_with_their_sources_intact(tmp_path):
    from bot.feedback.models import Exchange
    from bot.feedback.store import record_exchange
    from bot.store.engine import make_engine, session_factory
    from bot.store.schema import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'feedback.db'}")
    upgrade(engine)
    with session_factory(engine)() as session:
        record_exchange(session, conversation="c1", channel="web", question=DIRTY,
                        answer="依据：安供电营销〔2022〕24号。请问联系人怎么称呼？", now=NOW)
        record_exchange(session, conversation="c1", channel="web", question="张三", answer="请留一个手机号。", now=NOW)
        rows = session.query(Exchange).order_by(Exchange.id).all()
        assert clean(rows[0].question) and rows[0].answer == "依据：安供电营销〔2022〕24号。请问联系人怎么称呼？"
        assert rows[1].question == "张*"  # the answer to "联系人怎么称呼" is a name
    engine.dispose()


def test_handoff_messages_and_summaries_are_stored_masked(tmp_path):
    from bot.livechat import store as live
    from bot.store.engine import make_engine, session_factory
    from bot.store.schema import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(engine)
    with session_factory(engine)() as session:
        live.mark_present(session, "agent1", NOW)
        request = live.request_handoff(session, conversation="c1", channel="web", summary=DIRTY, now=NOW)
        live.customer_message(session, "c1", "我的手机 +86 139.1234.5678，联系人：李四", NOW)
        handoff = live.get_handoff(session, request.handoff_id)
        assert handoff is not None and clean(handoff.summary), handoff.summary
        [message] = [m for m in handoff.messages if m.sender == "customer"]
        assert PHONE not in digits(message.text) and "李四" not in message.text, message.text
        live.take_handoff(session, request.handoff_id, "agent1", NOW)
        sent = live.agent_reply(session, request.handoff_id, "agent1", "您留的号码是139 1234 5678吗？", NOW)
        [said] = [m for m in live.get_handoff(session, request.handoff_id).messages if m.sender == "agent"]
        assert PHONE not in digits(said.text) and sent.text == "您留的号码是139 1234 5678吗？"  # delivered as written
    engine.dispose()


def test_log_records_are_masked_by_the_rasa_plugin_filter():
    from bot.rasa_plugins import log_masking

    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    root = logging.getLogger()
    handler = Collect()
    root.addHandler(handler)
    try:
        log_masking.install()
        logging.getLogger("rasa.core.processor").warning("Received user message '%s'", DIRTY)
        logging.getLogger("x").warning("landline (0371)12345678, dotted 139.1234.5678")
    finally:
        root.removeHandler(handler)
    assert len(records) == 2 and all(clean(r) and "139.1234.5678" not in r for r in records), records
    assert isinstance(handler.filters[0], PiiFilter)


def test_rest_metadata_over_4kb_is_refused_and_smaller_metadata_is_accepted():
    from boundary_helpers import rest_requests

    small = {"note": "x" * 1000}
    large = {"note": "枣" * 1400}  # 4,200 bytes of UTF-8
    statuses, messages = rest_requests([{"sender": "m1", "message": "你好", "metadata": small},
                                        {"sender": "m2", "message": "你好", "metadata": large}])
    assert statuses == [200, 400]
    assert [m.sender_id for m in messages] == ["m1"] and messages[0].metadata["note"] == small["note"]


def test_masking_stays_linear_on_long_runs_of_digits_and_separators():
    import time

    for text in ("9" * 5000, "1 " * 5000, "1-" * 5000, "０" * 5000, "(" * 3000 + "0" * 3000):
        began = time.monotonic()
        mask_text(text)
        assert time.monotonic() - began < 0.5, text[:20]
    assert re.fullmatch(r"139\*{4}5678", mask_text("13912345678"))
