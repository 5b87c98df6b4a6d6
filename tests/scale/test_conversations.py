"""Many conversations at once through nginx, with consecutive turns on different Rasa replicas.

Each conversation carries context from turn to turn (region, customer type, a pending clarifying
question), which only works when every replica reads the same tracker store; each answer must be
the answer to its own turn; every turn must be in the shared tracker, in order.
"""

from __future__ import annotations

import os
import re

from sqlalchemy.engine import Engine

from tests.scale.topology import (
    RASA_REPLICAS,
    Check,
    Turn,
    say,
    stored_user_texts,
    together,
    tracker,
    user_texts,
)

CITIES = ("烟台", "枣庄", "黔东南", "连云港", "安阳")
CONVERSATIONS = int(os.environ.get("SCALE_CONVERSATIONS", "24"))

# Four-turn scripts; what each answer must and must not contain tells it apart from the answers
# to the conversation's other turns.
SCRIPTS: tuple[tuple[Check, ...], ...] = (
    (Check("枣庄10千伏双电源办电要多久", must=("枣庄", "18个工作日"), must_not=("连云港",)),
     Check("那要带什么资料", must=("枣庄", "提供"), must_not=("18个工作日", "连云港")),
     Check("连云港呢", must=("连云港", "提供"), must_not=("枣庄", "工作日")),
     Check("那要多久", must=("连云港", "工作日"), must_not=("枣庄",))),
    (Check("10千伏双电源办电多久", must=CITIES, no_day_counts=True),
     Check("枣庄", must=("枣庄", "18个工作日"), must_not=("安阳",)),
     Check("那要带什么资料", must=("枣庄", "提供"), must_not=("18个工作日", "安阳")),
     Check("安阳呢", must=("安阳", "提供"), must_not=("枣庄",))),
    (Check("赣榆区居民接电全流程多少天", must=("连云港", "5个工作日"), must_not=("烟台", "黔东南")),
     Check("那要带什么资料", must=("连云港", "身份证明"), must_not=("工作日", "烟台", "黔东南")),
     Check("烟台呢", must=("烟台",), must_not=("连云港", "黔东南")),
     Check("黔东南呢", must=("黔东南",), must_not=("烟台", "连云港"))),
    (Check("你好", must=(*CITIES, "办电助手"), must_not=("杭州",)),
     Check("杭州的企业办电要多久", must=("杭州", "95598"), must_not=("办电助手",), no_day_counts=True),
     Check("莱州农村80千伏安的作坊接电要自己出钱吗", must=("烟台", "电能表"), must_not=("杭州", "安阳")),
     Check("那安阳呢", must=("安阳",), must_not=("杭州", "烟台"))),
)


def script_of(index: int) -> tuple[Check, ...]:
    return SCRIPTS[index % len(SCRIPTS)]


def wrong_answers(sender: str, script: tuple[Check, ...], turns: list[Turn]) -> list[str]:
    found = []
    for number, (check, turn) in enumerate(zip(script, turns, strict=True), start=1):
        problem = check.problem(turn)
        if problem:
            found.append(f"{sender} turn {number} {check.message!r} ({turn.upstream}): {problem}\n{turn.text}")
    return found


def test_concurrent_conversations_keep_their_context_order_and_events(run_id: str, tracker_db: Engine):
    senders = [f"scale-{run_id}-c{index:02d}" for index in range(CONVERSATIONS)]

    def converse(index: int) -> list[Turn]:
        return [say(senders[index], check.message) for check in script_of(index)]

    conversations = together(CONVERSATIONS, converse)

    problems = [p for i, turns in enumerate(conversations) for p in wrong_answers(senders[i], script_of(i), turns)]
    assert not problems, "\n\n".join(problems)

    for index, sender in enumerate(senders):
        sent = [check.message for check in script_of(index)]
        assert user_texts(tracker(sender)["events"]) == sent, f"{sender}: the tracker lost or reordered turns"
        assert stored_user_texts(tracker_db, sender) == sent, f"{sender}: PostgreSQL lost or reordered turns"

    served = [{turn.upstream for turn in turns} for turns in conversations]
    assert set().union(*served) == RASA_REPLICAS, f"turns were answered by {set().union(*served)}"
    spread = sum(len(replicas) == len(RASA_REPLICAS) for replicas in served)
    # round robin: a four-turn conversation stays on one of two replicas with probability 1/8
    assert spread >= CONVERSATIONS // 2, f"only {spread} of {CONVERSATIONS} conversations used every replica"


def test_consecutive_turns_of_one_conversation_go_to_different_replicas(run_id: str):
    sender = f"scale-{run_id}-alternate"
    script = SCRIPTS[1]  # a clarifying question, then the answer in the next turn on the other replica
    turns = [say(sender, check.message) for check in script]
    assert not wrong_answers(sender, script, turns)
    upstreams = [turn.upstream for turn in turns]
    assert set(upstreams) == RASA_REPLICAS
    repeated = [number for number in range(1, len(upstreams)) if upstreams[number] == upstreams[number - 1]]
    assert not repeated, f"consecutive turns on one replica: {upstreams}"


# Rasa Open Source's RedisLockStore (`type: redis`) issues tickets with a GET and a SET: two
# replicas receiving messages of one conversation within the same few milliseconds can both get
# the same ticket and the later tracker save drops the other's events (RasaHQ/rasa#9213; measured
# with it: 13 of 30 runs of this test lost events). deploy/endpoints.prod.yml therefore uses
# bot.rasa_plugins.lock_store.AtomicRedisLockStore, which this test holds to it.
def test_messages_of_one_conversation_arriving_together_are_handled_one_at_a_time(run_id: str, tracker_db: Engine):
    """The lock store serialises them across replicas: no turn lost, no answers interleaved."""
    sender = f"scale-{run_id}-lock"
    messages = {"枣庄10千伏双电源办电要多久": "枣庄", "赣榆区居民接电全流程多少天": "连云港",
                "烟台10千伏普通用户办电要多久": "烟台", "黔东南小微企业办电要多久": "黔东南"}
    questions = list(messages)
    turns = together(len(questions), lambda index: say(sender, questions[index]))

    assert {turn.upstream for turn in turns} == RASA_REPLICAS
    for turn in turns:
        assert messages[turn.message] in turn.compact, f"{turn.message!r} got {turn.text}"

    events = tracker(sender)["events"]
    assert sorted(user_texts(events)) == sorted(questions)
    assert sorted(stored_user_texts(tracker_db, sender)) == sorted(questions)
    # each user message is followed by its own answer before the next user message comes in
    current = None
    for event in events:
        if event.get("event") == "user":
            current = event["text"]
        elif event.get("event") == "bot" and current is not None:
            reply = re.sub(r"\s+", "", event.get("text") or "")
            assert messages[current] in reply, f"answer to {current!r} interleaved with another turn: {reply}"
