"""Red team round 1, F6 and F10, and the phone formats the booking form's phone prompt missed.

F6 before: phone numbers in Chinese numerals (一三九一二三四五六九四) were neither masked nor taken by the booking
form, and a contact name without a cue ("呼延灼灼 139…" at the name prompt, "王小明，139…，…" as a first message)
was stored as typed in exchanges, handoff summaries and tracker events. Now bot/phones.py reads Chinese
numerals as digits for phone numbers (one definition: the booking parser and the masker), and the contact
name the booking form took is masked wherever the conversation's text is stored (tracker store, web chat
and WeChat exchanges, and so the summaries built from the stored events).
F10 before: var/bandian.db (names, phones, addresses) was created 0644. Now 0600, with its -wal and -shm.
Phone prompt before: "0086-13912345679", "139-1234-5683" and "0371-12345678" were classified as a status
query (an order number looks like digits and a dash) and the form never saw them.
"""

from __future__ import annotations

import asyncio
import os
import stat
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from boundary_helpers import free_socket, wechat_requests, wechat_signed, wechat_text
from sanic import Sanic
from sqlalchemy import select, text

from bot.booking.phone import parse_phone
from bot.masking import mask_text
from bot.services import Services

# ---- Chinese numerals -------------------------------------------------------------------------------------

SPOKEN = {
    "一三九一二三四五六七八": "13912345678",
    "幺三九 幺二三四 五六七八": "13912345678",
    "139一二三四5678": "13912345678",
    "一三九-一二三四-五六七八": "13912345678",
    "我的电话是一三九一二三四五六九四，谢谢": "13912345694",
    "手机：一八〇零零零零一一一一": "18000001111",
    "+86 一三九 一二三四 五六七八": "13912345678",
}


@pytest.mark.parametrize("typed", list(SPOKEN))
def test_a_phone_number_in_chinese_numerals_is_booked_and_masked(typed):
    assert parse_phone(typed).value == SPOKEN[typed]
    masked = mask_text(typed)
    assert "****" in masked and not parse_phone(masked).ok, masked


def test_a_landline_in_chinese_numerals_is_masked_and_other_numerals_are_left_alone():
    assert "****" in mask_text("座机零三七一-一二三四五六七八")
    for untouched in ("一二三四五", "第一三九条", "十一月二十三日", "三号楼二单元", "一九九八年一二月"):
        assert mask_text(untouched) == untouched


# ---- the contact name the booking form took ----------------------------------------------------------------

DOMAIN_YAML = """
version: "3.1"
slots:
  booking_name: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  region: {type: text, influence_conversation: false, mappings: [{type: custom}]}
"""


def _store():  # type: ignore[no-untyped-def]
    from rasa.shared.core.domain import Domain

    from bot.rasa_plugins.tracker_store import MaskingInMemoryTrackerStore

    domain = Domain.from_yaml(DOMAIN_YAML)
    return MaskingInMemoryTrackerStore(domain), domain


async def _turn(store, domain, sender: str, said: str, name: str | None, action: str = "booking_form") -> None:  # type: ignore[no-untyped-def]
    """One turn as Rasa records it: the message, the action that answered, the name slot the form set."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, domain.slots)
    tracker.update(UserUttered(said, {"name": "inform", "confidence": 1.0}))
    tracker.update(ActionExecuted(action))
    if name:
        tracker.update(SlotSet("booking_name", name))
    tracker.update(BotUttered("好的"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)


@pytest.mark.filterwarnings("ignore")
def test_the_tracker_store_masks_the_contact_name_wherever_it_appears():
    from bot.knowledge.service import KnowledgeBase
    from bot.livechat.summary import handoff_summary, read_turns
    from bot.rasa_plugins.tracker_store import contact_names_of

    store, domain = _store()

    async def main() -> list[dict]:
        await _turn(store, domain, "c1", "王二麻子，13912345730，想预约居民新装", "王二麻子")
        await _turn(store, domain, "c1", "王二麻子家的电表要带什么资料", None, action="action_answer")
        back = await store.retrieve("c1")
        assert back is not None and back.get_slot("booking_name") == "王二麻子"  # the form still has it
        return [event.as_dict() for event in back.events]

    events = asyncio.run(main())
    stored = store.store["c1"]
    assert "王二麻子" not in stored and "1391234" not in stored
    assert contact_names_of("c1") == ("王二麻子",)
    questions, _ = read_turns(events)
    root = Path(__file__).resolve().parents[2] / "knowledge"
    summary = handoff_summary(KnowledgeBase.load(root, root / "seeds"), region=None, district=None, category=None,
                              questions=questions, order_number=None)
    assert "王二麻子" not in summary and "王***家的电表" in summary  # the red team's handoffs.summary


def test_the_web_chat_stores_its_exchange_with_the_contact_name_masked(tmp_path):
    """The whole way: the masking store (what Rasa saves) → the REST channel (X-Bandian-Contact-Names, sealed)
    → the web app's exchange."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from bot.feedback.models import Exchange
    from bot.rasa_plugins.rest import CheckedRestInput
    from bot.settings import Settings
    from bot.store.engine import make_engine, session_factory
    from bot.store.schema import upgrade
    from bot.web.app import create_app
    from bot.web.context import WebContext

    store, domain = _store()
    said = ["王小明，13912345704，枣庄市市中区光明路3号，想预约居民新装", "呼延灼灼 13912345702", "谢谢"]
    names = {said[0]: "王小明", said[1]: "呼延灼灼"}

    async def on_new_message(message: UserMessage) -> None:
        await _turn(store, domain, message.sender_id, message.text or "", names.get(message.text or ""))
        if isinstance(message.output_channel, CollectingOutputChannel):
            await message.output_channel.send_text_message(message.sender_id, "好的")

    async def main() -> list[str]:
        Sanic.test_mode = True
        rasa = Sanic(f"rest_{uuid.uuid4().hex[:12]}")
        rasa.config.MOTD = False
        rasa.blueprint(CheckedRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
        sock = free_socket()
        server = await rasa.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()
        await server.before_start()
        await server.after_start()
        await server.start_serving()
        engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
        upgrade(engine)
        try:
            settings = replace(Settings.from_env(), database_url=str(engine.url),
                               rasa_url=f"http://127.0.0.1:{sock.getsockname()[1]}", console_password="pw-123456")
            context = WebContext(settings=settings, factory=session_factory(engine),
                                 extras={"console_key_file": tmp_path / "console-secret.key"})
            async with TestClient(TestServer(create_app(Services.from_settings(settings), context))) as client:
                session = (await (await client.post("/api/session", json={})).json())["session"]
                for message in said:
                    answer = await client.post("/api/chat", json={"session": session, "message": message})
                    assert answer.status == 200
                    assert "X-Bandian-Contact-Names" not in answer.headers  # for the web app, not the page
                with context.session() as db:
                    return list(db.execute(select(Exchange.question).order_by(Exchange.id)).scalars())
        finally:
            engine.dispose()
            await server.before_stop()
            await server.close()
            await server.after_stop()

    questions = asyncio.run(main())
    assert questions == ["王**，139****5704，枣庄市市中区光明路*号，想预约居民新装", "呼*** 139****5702", "谢谢"]


def test_the_wechat_exchange_is_stored_with_the_contact_name_masked():
    import time

    from bot.channels.wechat import WeChatInput
    from bot.livechat.store import Routed
    from bot.rasa_plugins.tracker_store import remember_contact_names
    from bot.senders import wechat_sender

    recorded: list[tuple[str, str, str]] = []
    channel = WeChatInput("wechat-test-token", router=lambda openid, said: Routed(held=False),
                          recorder=lambda openid, question, answer: recorded.append((openid, question, answer)))
    remember_contact_names(wechat_sender("oName-0001"), ("欧阳娜娜",))  # what the store does when it saves
    now = int(time.time())
    said = wechat_text("欧阳娜娜 一三九一二三四五六七九", "oName-0001")
    answers, _ = wechat_requests(channel, [(wechat_signed(now), said)])
    assert answers[0][0] == 200
    assert [question for _, question, _ in recorded] == ["欧*** 一三九一二三四五六七九"]  # the name, here ...
    assert mask_text(recorded[0][1]) == "欧*** 一三九****五六七九"  # ... the number by record_exchange (bot/feedback)


# ---- F10: the database file -----------------------------------------------------------------------------

def test_the_sqlite_database_and_its_wal_files_are_private(tmp_path):
    from bot.store.engine import make_engine

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    previous = os.umask(0o022)  # what a shell usually has: files 0644
    try:
        folder = tmp_path / "var"
        engine = make_engine(f"sqlite:///{folder / 'bandian.db'}")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x TEXT)"))
            connection.execute(text("INSERT INTO t VALUES ('13912345678')"))
            files = sorted(folder.iterdir())
            assert {f.name for f in files} >= {"bandian.db", "bandian.db-wal", "bandian.db-shm"}
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        engine.dispose()
        assert mode(folder) == 0o700  # the directory it made
        old = tmp_path / "old.db"  # a database made before: tightened when it is opened
        for suffix in ("", "-wal", "-shm"):
            Path(f"{old}{suffix}").touch(mode=0o644)
            os.chmod(f"{old}{suffix}", 0o644)
        make_engine(f"sqlite:///{old}").dispose()
        assert [mode(Path(f"{old}{suffix}")) for suffix in ("", "-wal", "-shm")] == [0o600] * 3
    finally:
        os.umask(previous)


def test_the_scripts_keep_var_private():
    script = (Path(__file__).resolve().parents[2] / "scripts" / "env.sh").read_text(encoding="utf-8")
    assert "chmod 700 var" in script


# ---- the phone prompt ---------------------------------------------------------------------------------------

def _at_phone_prompt():  # type: ignore[no-untyped-def]
    from actions.booking import ValidateBookingForm
    from tests.actions.booking_sim import Sim

    sim = Sim(active_loop="booking_form")
    sim.say("我要预约办电", "request_booking")
    sim.run(ValidateBookingForm())
    sim.say("张三")
    sim.run(ValidateBookingForm())
    assert sim.slots["requested_slot"] == "booking_phone"
    return sim


@pytest.mark.parametrize("typed", ["0086-13912345679", "139-1234-5683", "+86 139 1234 5678", "一三九一二三四五六七八"])
def test_the_phone_prompt_takes_a_number_the_classifier_called_a_status_query(typed):
    from actions.booking import ValidateBookingForm, booking_fields

    sim = _at_phone_prompt()
    sim.say(typed, "check_status")
    assert sim.run(ValidateBookingForm()), "rejected: the rules would answer 您正在填写预约，查询进度请先完成…"
    assert booking_fields(sim.tracker())["phone"] == parse_phone(typed).value
    assert sim.slots["requested_slot"] == "booking_address"


def test_a_landline_at_the_phone_prompt_is_answered_by_the_form_and_a_real_status_query_still_pauses_it():
    from actions.booking import ValidateBookingForm

    sim = _at_phone_prompt()
    sim.say("0371-12345678", "check_status")
    assert sim.run(ValidateBookingForm()) and "固定电话" in sim.last_text()  # the form's own explanation
    assert sim.slots["requested_slot"] == "booking_phone"
    for status_query in ("查一下工单 58878-86343", "13912345678 查进度"):
        sim.say(status_query, "check_status")
        assert sim.run(ValidateBookingForm()) == [], status_query  # for the rules (the status lookup)
