"""The conversations `make bench` plays: scripted turns of every type, with what a right reply contains.

A scenario is a generator: it yields a Turn, receives the assistant's reply text, yields the next
turn. The same turns drive the sequential latency comparison (bench/latency.py), the time split
(bench/split.py) and the concurrent load (bench/load.py).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass

KB_ANSWER = "kb_answer"
CLARIFICATION = "clarification"
BOOKING_FORM = "booking_form"
BOOKING_CONFIRM = "booking_confirm"
STATUS = "status_lookup"
OUT_OF_SCOPE = "out_of_scope"
TURN_TYPES = (KB_ANSWER, CLARIFICATION, BOOKING_FORM, BOOKING_CONFIRM, STATUS, OUT_OF_SCOPE)
LABELS = {KB_ANSWER: "KB answer", CLARIFICATION: "clarification", BOOKING_FORM: "booking form turn",
          BOOKING_CONFIRM: "booking confirmation (DB write)", STATUS: "status lookup",
          OUT_OF_SCOPE: "out-of-scope"}


@dataclass(frozen=True)
class Turn:
    kind: str
    text: str
    expect: str  # a regex the assistant's reply must match
    thread: int = 0  # 0: the scenario's conversation; 1: a second customer (another sender id)

    def ok(self, reply: str) -> bool:
        return re.search(self.expect, re.sub(r"\s+", "", reply)) is not None


Scenario = Generator[Turn, str, None]

SOURCED = r"依据"
# (question, follow-up) pairs the knowledge base answers with a source line
KB_QUESTIONS = (
    ("枣庄10千伏双电源用户办电要多久", "那要带什么资料"),
    ("赣榆区居民接电全流程多少天", "那要带什么资料"),
    ("我在滕州开了个150千瓦的厂子，接电要多久？", "那10千伏双电源呢"),
    ("莱州农村80千伏安的作坊接电要自己出钱吗", "那要几个环节"),
    ("烟台10kv普通用户办电总时间不超过多少", "那要带什么资料"),
    ("安阳居民新装要带什么资料", "那要多久"),
)
# (question without a place, the answer to the clarifying question)
CLARIFY_QUESTIONS = (("小微企业接电要多久", "连云港"), ("10千伏双电源办电多久", "枣庄"),
                     ("低压居民新装要带什么资料", "安阳"))
OUT_OF_SCOPE_MESSAGES = ("今天天气怎么样", "帮我写个请假条", "推荐几本小说", "帮我叫个滴滴")
VISIT_TIMES = ("下周三上午", "下周四上午", "下周五下午", "下下周二上午")


def kb_answer(rng: random.Random) -> Scenario:
    question, follow_up = rng.choice(KB_QUESTIONS)
    yield Turn(KB_ANSWER, question, SOURCED)
    yield Turn(KB_ANSWER, follow_up, SOURCED)


def clarification(rng: random.Random) -> Scenario:
    question, place = rng.choice(CLARIFY_QUESTIONS)
    yield Turn(CLARIFICATION, question, r"哪个城市")
    yield Turn(KB_ANSWER, place, SOURCED)


def booking_and_status(rng: random.Random) -> Scenario:
    """A 零证预约 through the form (a new order each time: random phone), then its status lookup
    by another sender with the order number and the phone's last four digits."""
    phone = "139" + "".join(rng.choice("0123456789") for _ in range(8))
    yield Turn(BOOKING_FORM, "我要预约办电", r"称呼")
    yield Turn(BOOKING_FORM, "张三", r"手机号")
    yield Turn(BOOKING_FORM, f"{phone[:3]} {phone[3:7]} {phone[7:]}", r"地址")
    yield Turn(BOOKING_FORM, f"安阳市文峰区中华路{rng.randint(1, 999)}号", r"哪类业务")
    yield Turn(BOOKING_FORM, "居民新装", r"上门")
    for visit in VISIT_TIMES:  # a holiday week re-prompts; the next candidate time is tried
        summary = yield Turn(BOOKING_FORM, visit, r"请核对")
        if "请核对" in summary:
            break
    confirmation = yield Turn(BOOKING_CONFIRM, "确认", r"工单号")
    number = re.search(r"工单号：(\d{5}-\d{5})", confirmation)
    if number:
        yield Turn(STATUS, f"查一下工单{number.group(1)} 尾号{phone[-4:]}", r"当前阶段", thread=1)


def out_of_scope(rng: random.Random) -> Scenario:
    yield Turn(OUT_OF_SCOPE, rng.choice(OUT_OF_SCOPE_MESSAGES), r"超出")


# One round of the sequential comparison: every turn type at least once.
ROUND: tuple[Callable[[random.Random], Scenario], ...] = (kb_answer, clarification, booking_and_status,
                                                          out_of_scope, kb_answer)
# The mix of conversations under concurrent load (mostly questions, some bookings).
LOAD_MIX: tuple[Callable[[random.Random], Scenario], ...] = (kb_answer, clarification, kb_answer,
                                                             booking_and_status, out_of_scope, kb_answer)
