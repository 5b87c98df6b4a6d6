"""Turn knowledge-base facts into short Chinese replies with their source.

Customers get a one-line source (the document number); hotline agents (agent mode) get the
section and the verbatim excerpt of every fact stated.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.knowledge.eligibility import Eligibility, Verdict
from bot.knowledge.models import Clause, Fact, Quantity, Region
from bot.knowledge.service import SUBGROUP_RANK, KnowledgeBase
from bot.qa.context import Context
from bot.reading.frame import category_words

SENTENCE_MIN_SCORE = 6.0
BROAD_CATEGORIES = ("lv", "hv")  # general rules obviously apply to these; no "not stated for you" note
# Ordinary customers whom a wider group's rule plainly covers; special groups (双电源, 重要用户, 5G基站,
# 充电桩 …) still hear that their document has no rule of their own.
PLAIN_CATEGORIES = ("resident", "lv_nonresident", "lv_enterprise", "small_micro", "lv_nonresident_sanling",
                    "hv_10kv", "hv_35kv")
CLAUSE_CHARS = 220


class Renderer:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb

    def scope(self, region: Region, facts: list[Fact], context: Context) -> tuple[str, str]:
        """The heading of an answer and, when the document has nothing for the group asked
        itself, a note saying which group's rules are given instead."""
        place = region.name + (f"（{context.district}）" if context.district else "")
        asked = context.category
        if not asked:
            return place, ""
        names = self.kb.vocab.categories
        ranks = self.kb.category_ranks(asked)
        if any(ranks.get(f.category) in (0, SUBGROUP_RANK) for f in facts):  # its own or its subgroups' rules
            return place + names[asked]["name"], ""
        general = {f.category for f in facts}
        if general == {"all"}:
            if asked in BROAD_CATEGORIES or asked in PLAIN_CATEGORIES:
                return place, ""
            return place, f"{region.document.number}未单独规定{names[asked]['name']}，以下为通用规定。"
        nearest = min(general, key=lambda c: ranks.get(c, 9))
        if any(word in f.statement for f in facts for word in category_words(asked)):
            return place + names[nearest]["name"], ""  # the rule names the customer's group itself
        if asked in PLAIN_CATEGORIES and nearest in self.kb.category_lineage(asked):
            # a wider group's rule covers an ordinary customer ('高压用户' for a 10千伏 one): no caveat
            return place + names[nearest]["name"], ""
        return place + names[nearest]["name"], (f"{region.document.number}未单独规定{names[asked]['name']}，"
                                                f"以下为{names[nearest]['name']}的规定。")

    def facts(self, region: Region, facts: list[Fact], context: Context, note: str = "") -> str:
        scope, category_note = self.scope(region, facts, context)
        lines = [n for n in (category_note, note) if n]
        if len(facts) == 1:
            lines.append(f"{scope}：{sentence(facts[0])}")
        else:
            lines += [f"{scope}："] + [f"· {sentence(f)}" for f in facts]
        lines.append(source_line(facts, context.agent_mode))
        return "\n".join(lines)

    def breakdown(self, steps: list[Fact], context: Context, cited: Sequence[Fact] = ()) -> str:
        """The per-step limits; their excerpts are cited unless the facts above already quoted them."""
        lines = ["分环节时限："] + [f"· {sentence(f)}" for f in steps]
        source = source_line(steps, context.agent_mode, already=cited)
        return "\n".join(lines + ([source] if source else []))

    def eligibility(self, region: Region, capacity: Quantity, result: Eligibility,
                    context: Context, topic: str = "capacity") -> tuple[str, list[Fact]]:
        rule = result.rule
        assert rule is not None and rule.max_capacity is not None
        if result.verdict is Verdict.UNIT_MISMATCH:
            rules = [rule, *result.alternatives]
            text = (f"{region.name}的低压接入标准按{rule.max_capacity.unit}规定：{''.join(sentence(r) for r in rules)}"
                    f"您提供的容量单位是{capacity.unit}，两者不能直接换算，请按{rule.max_capacity.unit}确认容量，"
                    f"或拨打95598由供电公司核定。")
            return text + "\n" + source_line(rules, context.agent_mode), rules
        within = result.verdict is Verdict.ELIGIBLE
        outcome = "在低压接入标准内，可以低压方式接入" if within else "超过了低压接入标准，需按高压方式接入"
        lines = [f"{region.name}：您的容量{capacity}{outcome}（标准为{rule.max_capacity}及以下）。",
                 f"适用规定：{sentence(rule)}"]
        if topic == "investment" and not within:
            lines[0] = f"{region.name}：不能零投资，{lines[0].split('：', 1)[1]}"
        shown = [rule]
        refused = [f for f in result.investment_rules if f.max_capacity and f.max_capacity.unit == capacity.unit]
        if topic == "investment" and within and result.investment:
            lines[0] = f"{region.name}：可以零投资，{lines[0].split('：', 1)[1]}"
        if topic == "investment" and within and not result.investment and refused:
            limit = refused[0]
            lines[0:0] = [f"{region.name}：不能零投资，您的容量{capacity}超过了{limit.max_capacity}的零投资标准。",
                          f"零投资规定：{sentence(limit)}"]
            lines[2] = lines[2].replace(f"{region.name}：", "另外，")
            shown.insert(0, limit)
        elif within:
            for fact in result.investment[:2]:
                if fact is not rule:
                    lines.append(f"费用：{sentence(fact)}")
                    shown.append(fact)
        lines.append(source_line(shown, context.agent_mode))
        return "\n".join(lines), shown

    def best_clause(self, region: Region, text: str, context: Context) -> str | None:
        """The region's own sentences that best state what was asked, quoted with their citation."""
        found = self.kb.search_sentences(text, region, limit=3) if self.kb.seeds_dir else []
        if not found or found[0].score < SENTENCE_MIN_SCORE:
            return None
        found = _most_on_subject(found, self.kb.subject_words(text))[:2]
        shown = [found[0]] + [c for c in found[1:] if c.score >= found[0].score * 0.8 and c.section == found[0].section]
        quoted = "".join(c.text for c in shown)
        if len(quoted) > CLAUSE_CHARS:
            quoted = quoted[:CLAUSE_CHARS] + "……"
        citation = f"{found[0].doc} {found[0].section}" if context.agent_mode else found[0].doc
        return f"{region.name}：{quoted}\n（依据：{citation}）"


def _most_on_subject(found: list[Clause], subject: set[str]) -> list[Clause]:
    """Close scores (within 15% of the best) are ordered by how many of the question's rare words each
    sentence holds: one common-enough word repeated must not outrank the sentence on what was asked."""
    close = [c for c in found if c.score >= found[0].score * 0.85]
    ranked = sorted(close, key=lambda c: -sum(word in c.text for word in subject))  # stable: BM25 order on ties
    return ranked + [c for c in found if c not in close]


def sentence(fact: Fact) -> str:
    return fact.statement.rstrip("。；;，, ") + "。"


def source_line(facts: list[Fact], agent_mode: bool, already: Sequence[Fact] = ()) -> str:
    """Customers: the document number. Agents: each section once, with its excerpts, leaving out
    excerpts quoted already (in `already` or inside a longer excerpt of this answer)."""
    doc = facts[0].source.doc
    if not agent_mode:
        return f"（依据：{doc}）"
    quoted = [f.source.excerpt for f in already]
    sections: dict[str, list[str]] = {}
    for fact in facts:
        excerpt = fact.source.excerpt
        if any(excerpt in q for q in quoted) or any(excerpt in e for e in sum(sections.values(), []) if e != excerpt):
            continue
        sections.setdefault(fact.source.section, [])
        if excerpt not in sections[fact.source.section]:
            sections[fact.source.section].append(excerpt)
    lines = [f"【{doc} {section}】" + "".join(f"“{e}”" for e in excerpts) for section, excerpts in sections.items()]
    return "依据：\n" + "\n".join(lines) if lines else ""
