"""The particulars an answer adds to the facts of a topic: definitions of quoted terms, the steps behind a total
(for agents), notes when the step or area asked has no rule of its own, since when a capacity is paid for,
whether a capacity connects at low voltage, and times asked about something other than connecting."""

from __future__ import annotations

from dataclasses import replace

from bot.knowledge.eligibility import Eligibility, Verdict, first_paying_date
from bot.knowledge.models import Fact, Quantity, Region
from bot.qa.choosing import FIGURES, MAX_FACTS, first_use
from bot.qa.clarify import HOTLINE, Clarifying
from bot.qa.context import Context, Reply
from bot.qa.figures import exception_line, length_line
from bot.qa.glossary import introduction, quoted_terms, terms_asked, unquoted
from bot.qa.wording import sentence, source_line
from bot.reading.forms import Form
from bot.reading.frame import Question, step_matches

AREA_TOPICS = ("reliability", "capacity", "investment")  # topics whose figures differ by area type


def has_time(text: str) -> bool:
    return bool(FIGURES["time_limit"].search(text))


class Particulars(Clarifying):
    """Part of the Answerer (bot/qa/planner.py)."""

    @staticmethod
    def _step_note(region: Region, topic: str, question: Question, shown: list[Fact]) -> str:
        """Say so when the step asked has no limit of its own in the document (its totals follow)."""
        if topic != "time_limit" or not question.steps:
            return ""
        if any(step_matches(step, f.step, f.aspect) for step in question.steps for f in shown):
            return ""
        return f"{region.document.number}未单独规定{'、'.join(question.steps)}环节的时限，以下为文件规定的相关时限。"

    def _define(self, region: Region, question: Question, context: Context) -> Reply | None:
        """A term the document puts in quotes, answered from the passage that introduces it, unless
        a definition fact of the knowledge base already states it."""
        if not self.kb.seeds_dir:
            return None
        clauses = self.kb.clauses_of(region)
        terms = terms_asked(question.text, quoted_terms(clauses))
        if not terms:
            return None
        definitions = self.topic_facts(region, "definition", replace(context, category=None))
        known = [f for f in definitions if any(t in unquoted(f.statement) for t in terms)]
        if all(any(t in unquoted(f.statement) for f in known) for t in terms):
            known.sort(key=lambda f: first_use(f, (tuple(terms),)))  # a definition names its term first
            return Reply(self.render.facts(region, known[:MAX_FACTS], replace(context, category=None)),
                         replace(context, topic="definition"), facts=tuple(known[:MAX_FACTS]))
        passages = [(t, p) for t in terms if (p := introduction(t, clauses)) is not None]
        if not passages:
            return None
        lines, quoted = [], ""
        for term, passage in passages:
            if passage.text not in quoted:
                lines.append(f"“{term}”：{passage.text}")
                quoted += passage.text
        first = passages[0][1]
        citation = f"{first.doc} {first.section}" if context.agent_mode else first.doc
        return Reply(f"{region.name}文件中的" + "\n".join(lines) + f"\n（依据：{citation}）",
                     replace(context, topic="definition"))

    def _step_breakdown(self, region: Region, topic: str, question: Question, context: Context,
                        shown: list[Fact]) -> list[Fact]:
        """For hotline agents: the per-step limits behind an overall time limit, where the document gives them."""
        if not (context.agent_mode and topic == "time_limit" and context.category and not question.steps):
            return []
        steps = self.kb.nearest([f for f in self.topic_facts(region, topic, context) if f.aspect == "step"],
                                context.category)
        stated = "".join(f.statement for f in shown)
        return [] if all(f.step and f.step in stated for f in steps) else steps

    def _area_note(self, region: Region, topic: str, facts: list[Fact], context: Context) -> str:
        """Say so when the document sets no figure for the area asked but does for other areas."""
        if topic not in AREA_TOPICS or not context.area or any(f.area == context.area for f in facts):
            return ""
        if not any(f.area for f in region.facts if f.topic == topic):
            return ""
        entry = self.kb.vocab.areas[context.area]
        if any(word in f.statement for f in facts for word in (entry["name"], *entry.get("synonyms", []))):
            return ""  # the rule shown names the area itself ('省级及以上园区')
        area = entry["name"]
        return f"{region.document.number}未单列{area}的规定，以下为文件的相关规定。"

    def _paying_since(self, region: Region, topic: str, capacity: Quantity, question: Question,
                      context: Context) -> tuple[str, list[Fact]] | None:
        """'160千瓦的小微企业哪年开始零投资' → the earliest target that covers it here."""
        if topic != "investment" or not question.asks(Form.SINCE_WHEN):
            return None
        found = first_paying_date(self.kb, region, capacity, context.area, context.district)
        if not found:
            return None
        when, fact = found
        by = f"{when.year}年底" if when.month == 12 else f"{when.year}年{when.month}月底"
        lead = f"{region.name}：{capacity}的用户从{by}起由电网投资到电能表（零投资）。"
        return f"{lead}\n{sentence(fact)}\n{source_line([fact], context.agent_mode)}", [fact]

    def _eligibility(self, region: Region, capacity: Quantity, result: Eligibility, context: Context,
                     pending: str) -> tuple[str, list[Fact]] | Reply:
        if result.verdict is Verdict.NEED_AREA:
            names = [self.kb.vocab.areas[a]["name"] for a in result.areas]
            return Reply(f"{region.name}按地区类型规定不同的低压接入容量，请问用电地点在{'还是'.join(names)}？",
                         replace(context, pending=pending), tuple((n, n) for n in names), answered=False)
        return self.render.eligibility(region, capacity, result, context, (context.topics or ("capacity",))[0])

    def _other_time(self, region: Region, question: Question, context: Context) -> tuple[str, list[Fact]]:
        """A time asked about something other than connecting: the document's sentence when one
        names it, else plainly that the document sets no such time."""
        clause = self.render.best_clause(region, question.text, context)
        if clause and has_time(clause):
            return clause, []
        unset = f"{region.document.number}未规定这项时限"
        if clause and any(term in clause for term in self.kb.subject_words(question.text)):
            return f"{unset}。文件的相关规定：\n{clause}", []
        return f"{unset}。为避免给您不准确的信息，具体情况请拨打供电服务热线{HOTLINE}咨询。", []

    def _approval_verdict(self, question: Question, reply: Reply,
                          capacity: Quantity | None) -> tuple[str | None, Reply]:
        """'能免审批吗' with a line length, or naming a case the exemption leaves out (主干道): the
        verdict from the region's approval rules, also when the facts chosen for the reply do not
        include the deciding rule (it is then added to the reply)."""
        if "approval" not in question.topics or reply.context.region is None:
            return None, reply
        region = self.kb.region(reply.context.region)
        rules = list(dict.fromkeys([*reply.facts, *self.topic_facts(region, "approval", reply.context)]))
        found = exception_line(rules, question.text) or \
            (length_line(question.length, rules, capacity) if question.length else None)
        if found is None:
            return None, reply
        lead, rule = found
        if rule in reply.facts:
            return lead, reply
        body = self.render.facts(region, [rule, *reply.facts], reply.context)
        return lead, replace(reply, text=body, facts=(rule, *reply.facts))

