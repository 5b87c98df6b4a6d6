"""Figures stated by facts, and the verdicts and sums computed from them.

Every number a computed line states comes from the cited facts' own values (the KB proves
each value against its excerpt); the line names the addends so the customer can check it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.knowledge.models import Fact, Quantity
from bot.reading.frame import step_matches

# How a question names the measure of time it wants → the facts' aspect for it.
ASPECT_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("grid", ("电网环节",)),
    ("whole_process", ("全过程", "全流程", "从申请到", "从报装", "申请到接电", "申请到装表")),
    ("total", ("合计", "总时限", "总共", "一共", "办理时间", "办电时间")),
)
TIME_UNITS = ("工作日", "天", "小时")


def number(amount: float) -> str:
    amount = round(amount, 3)  # 11.2 - 8.9 is 2.2999… in binary
    return str(int(amount)) if float(amount).is_integer() else str(amount)


def aspects_asked(text: str) -> tuple[str, ...]:
    return tuple(aspect for aspect, cues in ASPECT_CUES if any(c in text for c in cues))


def time_figure(facts: Sequence[Fact], text: str, step: str | None = None) -> Fact | None:
    """The fact whose value answers 'how long' for the question: the step asked, else the
    aspect the question names (电网环节, 全过程, 合计), else the first overall figure."""
    timed = [f for f in facts if f.value.quantity and f.value.unit in TIME_UNITS]
    if step:
        stepped = [f for f in timed if f.aspect == "step" and step_matches(step, f.step)]
        return stepped[0] if stepped else None
    overall = [f for f in timed if f.aspect != "step"]
    for aspect in aspects_asked(text):
        match = [f for f in overall if f.aspect == aspect]
        if match:
            return match[0]
    return overall[0] if overall else None


@dataclass(frozen=True)
class Side:
    label: str
    fact: Fact
    quantity: Quantity


def figure(topic: str, facts: Sequence[Fact], text: str, step: str | None = None) -> tuple[Fact, Quantity] | None:
    """The fact and figure that answer 'how much' for a topic: a time limit, hours of outage, or
    a low-voltage capacity threshold."""
    if topic == "steps":
        fact = next((f for f in facts if f.value.count), None)
        return (fact, Quantity(float(fact.value.count), "个环节")) if fact and fact.value.count else None
    if topic == "capacity":
        fact = next((f for f in facts if f.max_capacity), None)
        return (fact, fact.max_capacity) if fact and fact.max_capacity else None
    if topic == "reliability":
        for fact in facts:
            hours = fact.value.quantity if fact.value.unit == "小时" else None
            hours = hours or next((q for q in stated_figures(fact) if q.unit == "小时"), None)
            if hours:
                return fact, hours
        return None
    fact = time_figure(facts, text, step)
    quantity = fact.value.quantity if fact else None
    return (fact, quantity) if fact and quantity else None


def comparison_line(sides: Sequence[Side], shorter_is: str = "更短") -> str:
    """'一样，都是5个工作日' / 'A更短：A15个工作日，B22个工作日，相差7个工作日'."""
    first, second = sides[0], sides[1]
    a, b = first.quantity, second.quantity
    said_a, said_b = spoken(a.amount, a.unit), spoken(b.amount, b.unit)
    if a.unit != b.unit:
        return f"不一样：{first.label}为{said_a}，{second.label}为{said_b}（计量单位也不同）。"
    if a.amount == b.amount:
        return f"一样：{first.label}和{second.label}都是{said_a}。"
    low, high = (first, second) if a.amount < b.amount else (second, first)
    gap = spoken(abs(a.amount - b.amount), a.unit)
    return (f"{low.label}{shorter_is}：{low.label}{spoken(low.quantity.amount, a.unit)}，"
            f"{high.label}{spoken(high.quantity.amount, a.unit)}，相差{gap}。")


def each_line(sides: Sequence[Side]) -> str:
    """'A 2个工作日，B 5个工作日。' — each side's figure, no verdict (none was asked)."""
    return "，".join(f"{s.label}{spoken(s.quantity.amount, s.quantity.unit)}" for s in sides) + "。"


def step_sum_line(label: str, steps: Sequence[Fact], minus: Sequence[Fact] = ()) -> str:
    """'A、B两个环节合计3个工作日（1+2）' or 'the rest after removing X'."""
    unit = steps[0].value.unit or "工作日"
    amounts = [f.value.amount or 0.0 for f in steps]
    total = number(sum(amounts))
    addends = "+".join(number(a) for a in amounts)
    names = "、".join(f.step or "" for f in steps)
    if minus:
        removed = "、".join(f.step or "" for f in minus)
        return (f"{label}扣除{removed}后，其余{names}{len(steps)}个环节合计{total}个{unit}"
                f"（{addends}）。")
    return f"{label}{names}{len(steps)}个环节合计{total}个{unit}（{addends}）。"


_STATED = re.compile(r"(\d+(?:\.\d+)?)个?(工作日|天|小时|分钟|个月|千瓦|千伏安|千伏|米|V|v|伏|KV|kV|kv)")
_SAME_UNIT = {"天": "工作日", "V": "伏", "v": "伏", "KV": "千伏", "kV": "千伏", "kv": "千伏"}


def stated_figures(fact: Fact) -> list[Quantity]:
    """Every figure a fact's statement states with a unit ('提前1个月' → 1个月)."""
    return [Quantity(float(a), _SAME_UNIT.get(u, u)) for a, u in _STATED.findall(fact.statement)]


def spoken(amount: float, unit: str) -> str:
    if unit == "个环节":
        return f"{number(amount)}个环节"
    return "半个月" if (amount, unit) == (0.5, "个月") else f"{number(amount)}{'个' if unit == '工作日' else ''}{unit}"


def agreed_time(facts: Sequence[Fact]) -> str | None:
    """'18个工作日以内。' when every time limit of a listed answer is the same figure, so the customer reads
    it before the list ('电网环节18个工作日' and '合计18个工作日' both say 18)."""
    figures = {(f.value.amount, f.value.unit) for f in facts if f.value.quantity and f.value.unit in TIME_UNITS}
    if len(facts) < 2 or len(figures) != 1:
        return None
    amount, unit = figures.pop()
    return f"{spoken(amount or 0.0, unit or '')}以内。"


def exceeds_line(amount: float, unit: str, facts: Sequence[Fact], text: str) -> str | None:
    """'用了6个工作日，算不算超时' → compared with the limit the facts state."""
    unit = _SAME_UNIT.get(unit, unit)
    limit = time_figure(facts, text)
    quantity = limit.value.quantity if limit else None
    if quantity is None or quantity.unit != unit:
        return None
    used, allowed = spoken(amount, unit), spoken(quantity.amount, unit)
    if amount > quantity.amount:
        return f"超时了：文件规定不超过{allowed}，您用了{used}，超出{spoken(amount - quantity.amount, unit)}。"
    return f"没有超时：文件规定不超过{allowed}，您用了{used}。"


def premise_line(amount: float, unit: str, facts: Sequence[Fact]) -> str | None:
    """The verdict on a figure the customer states: confirmed when a fact states it, corrected
    with the fact's own figure when the facts state another in the same unit."""
    unit = _SAME_UNIT.get(unit, unit)
    same_unit = [(f, q) for f in facts for q in stated_figures(f) if q.unit == unit]
    if not same_unit:
        return None
    if any(q.amount == amount for _, q in same_unit):
        return f"是的，文件规定的就是{spoken(amount, unit)}。"
    _, actual = same_unit[0]
    return f"不对，不是{spoken(amount, unit)}，文件规定为{spoken(actual.amount, actual.unit)}。"


_EXCEPT = re.compile(r"[（(]([^（）()]{2,60})除外[）)]")


# '涉及挖掘、占用城市快速路、主干道……的，仍按原程序审批': the cases an exemption does not cover
_STILL = re.compile(r"^(?:涉及)?([^，。]{2,60}?)的，?仍(按原程序审批|需[^，。]{1,20}|要[^，。]{1,20})")


def exception_named(rule: str, question: str) -> str | None:
    """The rule's '（在城市主次干道…挖掘占路施工的除外）' when the question names one of its cases."""
    match = _EXCEPT.search(rule)
    return match.group(1) if match and _names_case(match.group(1), question) else None


_GENERIC = ("施工", "工程", "管线", "电力", "用户", "城市", "挖掘", "占用", "占路", "道路", "路段", "以及")


def _names_case(cases: str, question: str) -> bool:
    """Whether the question names one of the cases, by a two-character word more specific than digging."""
    named = [question[i:i + 2] for i in range(len(question) - 1) if question[i:i + 2] in cases]
    return any(n not in _GENERIC for n in named)


def exception_line(facts: Sequence[Fact], question: str) -> tuple[str, Fact] | None:
    """'外线要挖主干道，也能免审批吗' → '不能免' with the rule, when the question names a case that an
    exemption excepts ('……除外') or leaves to the usual procedure ('……的，仍按原程序审批')."""
    verdict = "不能免" if "免" in question else "需要"
    for fact in facts:
        excepted = exception_named(fact.statement, question)
        if excepted:
            return f"{verdict}：文件规定{excepted}除外，这种情况仍需按规定办理。", fact
        match = _STILL.search(fact.statement)
        if match and _names_case(match.group(1), question):
            return f"{verdict}：文件规定{match.group(1)}的，仍{match.group(2)}。", fact
    return None


def length_line(length: Quantity, facts: Sequence[Fact],
                capacity: Quantity | None = None) -> tuple[str, Fact] | None:
    """'管线有250米，能免办行政许可吗' → measured against the length limit a fact sets (and the capacity
    limit the same rule sets, when there is one), with that rule; for an exemption the verdict says
    whether the approval is still needed. (A case the rule excepts is `exception_line`'s, asked first.)"""
    rule = next((f for f in facts if f.max_length and f.max_length.unit == length.unit), None)
    if rule is None or rule.max_length is None:
        return None
    limit, within = rule.max_length, length.amount <= rule.max_length.amount
    exempt = "免" in rule.statement
    if not within:
        return (f"不符合免办条件：{length}超过了{limit}的上限，仍需按规定办理。" if exempt
                else f"不符合：{length}超过了{limit}的上限。"), rule
    if rule.max_capacity:
        return _capacity_verdict(f"{length}在{limit}以内", rule.max_capacity, capacity, exempt), rule
    return (f"不需要：{length}在{limit}以内，符合免办条件。" if exempt else f"符合：{length}在{limit}以内。"), rule


def _capacity_verdict(within: str, most: Quantity, capacity: Quantity | None, exempt: bool) -> str:
    """The verdict of a rule that also limits the capacity, the length being within its limit."""
    condition = "免办条件" if exempt else "条件"
    if capacity and capacity.unit == most.unit:
        if capacity.amount > most.amount:
            return f"不符合{condition}：{within}，但报装容量{capacity}超过了{most}的上限。"
        return f"{'不需要' if exempt else '符合'}：{within}，报装容量{capacity}也未超过{most}，符合{condition}。"
    said = f"您说的{capacity}单位不同，请核对" if capacity else "您未说明容量"
    return f"不一定：{within}，但{condition}还要求报装容量不超过{most}（{said}）。"
