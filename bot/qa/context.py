"""What a conversation has established (kept in Rasa slots) and the reply to one message.

Plain data shared by the planner, the wording and the actions; no Rasa here."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.knowledge.models import Fact

TOPIC_JOIN = "+"
VOLTAGES = ("hv_10kv", "hv_35kv")
SUPPLIES = ("single", "double")


@dataclass(frozen=True)
class Context:
    """What the conversation has established so far (kept in Rasa slots)."""

    region: str | None = None
    district: str | None = None
    topic: str | None = None
    category: str | None = None
    area: str | None = None
    capacity: str | None = None
    agent_mode: bool = False
    pending: str | None = None  # the question a clarifying question is waiting to complete
    step: str | None = None  # the process step asked about, kept for "那双电源呢"

    @property
    def topics(self) -> tuple[str, ...]:
        """The topics the last question asked (the slot keeps them joined: 'materials+time_limit')."""
        return tuple(t for t in (self.topic or "").split(TOPIC_JOIN) if t)


@dataclass(frozen=True)
class Reply:
    text: str
    context: Context
    buttons: tuple[tuple[str, str], ...] = ()
    answered: bool = True
    facts: tuple[Fact, ...] = field(default=(), repr=False)

    @property
    def gap(self) -> bool:
        """Neither an answer nor a clarifying question: the knowledge base has nothing for it."""
        return not self.answered and not self.buttons


def refine_category(previous: str | None, new: str) -> str:
    """'那双电源呢' after a 10千伏单电源 question means 10千伏双电源, not any 双电源 user."""
    if previous is None:
        return new
    voltage = next((v for v in VOLTAGES if previous.startswith(v) or new.startswith(v)), None)
    supply = next((s for s in SUPPLIES if new.endswith("_" + s)), None)
    if new in ("hv_single", "hv_double") and voltage and previous.startswith(voltage):
        return f"{voltage}_{supply}"
    previous_supply = next((s for s in SUPPLIES if previous.endswith("_" + s)), None)
    if new in VOLTAGES and previous_supply and previous.startswith("hv_"):
        return f"{new}_{previous_supply}"
    return new
