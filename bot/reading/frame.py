"""Rule-based reading of a customer's question: place, topic(s), customer category, area, capacity.

Plain Python over the knowledge-base vocabulary; the Rasa NLU pipeline and the actions both
use it, and it is tested without Rasa.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.knowledge.models import Quantity
from bot.knowledge.service import KnowledgeBase, Place
from bot.reading.forms import Asserted, Form, Measure, asserted_figure, measures, question_forms, years
from bot.reading.places import china_gazetteer, sound_alike
from bot.reading.quantities import first_capacity, first_length

# Topic cues, checked in this order; a question may carry several topics.
TOPIC_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("live_work", ("不停电作业", "带电作业", "不停电接火")),
    ("reliability", ("停电时间", "停电时长", "年均停电", "平均停电", "供电可靠", "可靠性", "停电多久",
                     "停多久电")),
    ("warning", ("预警", "告警", "超时了", "督办")),
    ("booking", ("零证预约", "预约", "派单", "派发")),
    ("cert_mode", ("刷脸", "一证", "两证", "容缺", "零证办理", "不带证", "没带证", "一个证", "几个证",
                   "什么证", "证照")),
    ("materials", ("资料", "材料", "证件", "证明", "带什么", "准备什么", "提供什么", "要啥", "收资", "手续",
                   "带啥", "准备啥", "要准备", "需要啥", "需要准备", "带哪些", "交什么", "交啥")),
    ("steps", ("环节", "步骤", "几步", "流程", "程序")),
    ("approval", ("审批", "行政许可", "许可", "挖路", "占道", "挖掘", "告知承诺", "备案", "并联")),
    ("capacity", ("多大容量", "容量上限", "容量标准", "多大的容量", "容量多大", "多少千瓦", "多少千伏安",
                  "走低压", "低压行不行", "能不能低压", "能低压", "可以低压", "低压供电", "用低压",
                  "低压接入标准", "低压接入容量", "低压接入吗", "低压接入么", "低压吗", "低压么", "按低压",
                  "走低压接入", "低压方式")),
    ("fees", ("收费", "收钱", "服务费", "高可靠性供电费", "收不收", "还收", "收哪些", "收什么", "费用", "交钱")),
    ("investment", ("投资", "出钱", "花钱", "多少钱", "花多少", "几个钱",
                    "花不花钱", "要钱", "掏钱", "红线", "电能表", "谁出", "谁承担",
                    "零投资", "补贴", "成本", "自己出", "谁掏")),
    ("time_limit", ("多久", "几天", "多少天", "多长时间", "时限", "时长", "工作日", "多快", "什么时候",
                    "要多少时间", "啥时候", "多会儿", "最快", "更快", "时间", "当天", "当日", "次日", "几个月")),
    ("hotline", ("95598", "12398", "热线", "投诉", "举报", "监督电话", "打电话")),
    ("channels", ("网上国网", "APP", "app", "公众号", "线上", "网上", "渠道", "营业厅", "手机上")),
    ("transfer", ("过户",)),
    ("service", ("客户经理", "项目经理", "双经理", "专员", "代办")),
    ("definition", ("是什么", "什么意思", "指的是", "定义", "啥意思", "算不算", "哪些算", "适用于",
                    "包括哪些", "什么叫", "何为", "啥叫", "是指", "指什么", "指啥", "是啥", "是哪", "含义", "界定",
                    "怎么算", "咋理解", "怎么理解")),
)
# Policy terms that make a question a definition question when nothing else is asked.
DEFINITION_TERMS = ("三零", "三省", "三公开", "双经理", "开门接电", "阳光业扩")
# A measure asked about in passing: "审批要几天" is an approval question, not a connection-time one.
TIME_IS_SECONDARY_TO = ("approval", "reliability", "booking", "warning", "live_work")

# Words that pin a question to the facts that use them ("一个证" → the 一证 facts). Each entry:
# the words a customer types → the words the documents use for it.
FOCUS_TERMS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("一证", "一个证"), ("一证",)), (("两证",), ("两证",)), (("刷脸",), ("刷脸",)), (("容缺",), ("容缺",)),
    (("零证",), ("零证",)), (("没带", "没有带", "不带", "忘带", "没资料", "没有资料"), ("未携带", "容缺", "零证")),
    (("产权证", "房产证", "房本", "没有产权"), ("产权",)), (("委托", "代办", "别人办", "代理"), ("委托", "代理")),
    (("地址一致", "地址一样", "地址相同"), ("一致",)), (("营业执照",), ("营业执照",)),
    (("并联",), ("并联",)), (("告知承诺",), ("告知承诺",)), (("备案",), ("备案",)),
    (("免审批", "不用审批", "免于", "要审批吗", "需要审批吗", "用审批吗", "免行政许可", "免许可", "免办"), ("免",)),
    (("只带", "只有", "仅有", "就带了"), ("仅能提供", "容缺")), (("电价",), ("电价",)),
    (("跑几趟", "跑几次", "跑一次", "跑腿", "跑多少趟", "不用跑"), ("跑一次", "一次都不跑", "零上门")),
    (("理念", "品牌"), ("理念", "品牌")),
    (("多少伏", "几伏", "多少v", "伏以下", "伏及以下"), ("380V", "（6）KV", "400伏")),
    (("电子证照", "电子签章", "电子合同"), ("电子证照", "电子签章", "电子合同")),
    (("投资界面", "投资到哪", "投到哪", "投资到什么", "出钱到哪"), ("投资界面", "红线", "投资至", "投资到")),
    (("新立杆", "立杆"), ("新立杆",)), (("分支箱",), ("分支箱",)), (("管沟",), ("管沟",)),
    (("红线",), ("红线",)), (("电能表", "电表"), ("电能表",)), (("零投资",), ("零投资",)), (("补贴",), ("补贴",)),
    (("高可靠性供电费",), ("高可靠性供电费",)), (("三零",), ("三零",)), (("三省",), ("三省",)),
    (("三公开",), ("三公开",)), (("双经理",), ("双经理",)), (("项目经理",), ("项目经理",)), (("过户",), ("过户",)),
    (("网上国网",), ("网上国网",)), (("公众号",), ("公众号",)), (("电话",), ("电话",)),
    (("派单", "派发", "多久派", "有人联系", "联系我"), ("派",)), (("当天", "当日"), ("当日",)),
    (("次日", "第二天"), ("次日",)), (("专线",), ("专线",)), (("租赁",), ("租赁",)),
    (("小微",), ("小微",)), (("重要用户", "重要客户"), ("重要",)), (("资产移交",), ("资产移交",)),
    (("主动办电",), ("主动办电",)), (("居住区", "小区"), ("居住区", "小区")), (("机井",), ("机井",)),
    (("充电",), ("充电",)), (("5g", "基站"), ("5G",)), (("临时用电",), ("临时用电",)),
    (("挖掘", "挖路", "占路", "占道"), ("挖掘", "占用")), (("绿地", "树木"), ("绿",)),
    (("一次都不跑",), ("一次都不跑",)), (("中压",), ("中压",)), (("同比",), ("同比",)),
    (("蓝色", "橙色", "黄色", "红色"), ("色",)), (("农村",), ("农村",)), (("全过程", "全流程"), ("全过程", "全流程")),
    (("设计审查",), ("设计审查",)), (("中间检查",), ("中间检查",)), (("竣工",), ("竣工",)),
)

# Steps (环节) of the connection process, as customers name them → the words the documents use.
STEP_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("供电方案答复", ("供电方案答复", "方案答复", "答复供电方案", "出方案", "供电方案")),
    ("设计审查", ("设计审查", "图纸审查", "审图")),
    ("中间检查", ("中间检查",)),
    ("竣工检验", ("竣工检验", "竣工验收", "验收送电", "验收")),
    ("装表接电", ("装表接电", "装表送电", "装表")),
    ("业务受理", ("业务受理", "用电申请", "申请受理", "受理签约", "受理")),
    ("外部工程", ("外线工程", "外部工程", "外线施工", "完工", "施工接电")),
)

# Small shops and eateries: a low-voltage small/micro business without asking.
SMALL_SHOPS = ("奶茶店", "小饭馆", "饭馆", "小餐馆", "小吃店", "小超市", "便利店", "小卖部", "理发店", "水果店",
               "烧烤店", "早餐店", "面馆", "花店", "网店", "开了个店", "开个店", "开了家店", "开家店", "开店",
               "门面", "铺面",
               "个体工商户", "小作坊", "小门店")
CATEGORY_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    # (category, any of these cues, and also one of these (empty: no second condition))
    ("important", ("重要用户", "重要客户", "重要电力用户"), ()),
    ("lv_nonresident_no_sanling", ("未实行三零", "没有实行三零", "没实行三零", "不实行三零", "非三零", "没有三零"), ()),
    ("lv_nonresident_sanling", ("实行三零", "三零服务的低压非居民", "三零低压非居民"), ("非居民",)),
    ("lv_nonresident_sanling", ("三零企业", "三零服务的企业", "三零的企业", "三零服务企业"), ()),
    ("hv_35kv_double", ("35千伏", "35kv", "三十五千伏"), ("双电源",)),
    ("hv_35kv_single", ("35千伏", "35kv", "三十五千伏"), ("单电源",)),
    ("hv_35kv", ("35千伏", "35kv", "三十五千伏", "110千伏", "110kv"), ()),
    ("hv_10kv_double", ("10千伏", "10kv", "十千伏", "20千伏", "20kv", "10(20)千伏"), ("双电源",)),
    ("hv_10kv_single", ("10千伏", "10kv", "十千伏", "20千伏", "20kv", "10(20)千伏"), ("单电源",)),
    ("hv_10kv", ("10千伏", "10kv", "十千伏", "20千伏", "20kv", "10(20)千伏"), ()),
    ("hv_double", ("双电源",), ()),
    ("hv_single", ("单电源",), ()),
    ("charging_resident", ("充电桩", "充电设施"), ("居民", "个人", "家", "小区", "车位")),
    ("charging_nonresident", ("充电桩", "充电设施", "充换电"), ()),
    ("well_collective", ("机井",), ("集体", "村委")),
    ("well_individual", ("机井",), ()),
    ("base_5g", ("5g", "基站"), ()),
    ("temporary", ("临时用电", "临时用", "临电"), ()),
    ("lv_no_works", ("无配套", "没有配套", "无工程", "不涉及配套", "不需要配套", "不用配套", "无需配套", "不需配套",
                     "不带配套", "不含配套", "没配套", "没工程", "没有工程", "不用施工",
                     "无需施工", "不需要施工"), ()),
    ("small_micro", ("小微", "小企业", "小厂", "作坊", "小店", "个体户", "小商户", *SMALL_SHOPS), ()),
    ("resident_estate", ("新建居住区", "住宅小区", "居民小区", "新建小区", "新小区", "小区"), ()),
    ("lv_with_works", ("配套工程", "有配套", "新立杆", "分支箱", "管沟"), ("低压",)),
    ("lv_nonresident", ("低压非居民", "非居民"), ()),
    ("resident", ("居民", "家里", "家用", "住宅", "自家", "老百姓", "个人", "家庭", "自建房", "房子", "我家", "新房",
                  "老家", "家中", "住房", "农房"), ()),
    ("lv_enterprise", ("企业", "公司", "厂", "商铺", "门店", "工商业", "店铺"), ("低压",)),
    ("hv", ("高压",), ()),
    ("lv", ("低压",), ()),
)

BUSINESS_CUES = ("企业", "公司", "厂", "商铺", "门店", "工商业", "店铺", "单位", "饭店", "超市", "商户")
# the utility is no customer's business: '供电公司抢修' says nothing about who is asking
_UTILITY = re.compile(r"供电(公司|企业|单位|所|局)|电网(公司|企业)|电力公司|国家电网")

_STEP_COUNT = re.compile(r"几个环节|哪些环节|几步|多少个?环节|什么环节|哪几个|哪几步|几个步骤")
# "Which city is fastest": the question is asked of every covered region.
EVERY_REGION_CUES = ("哪个城市", "哪个地方", "哪个地区", "哪里最", "哪儿最", "各地", "五个地方", "五地", "各个城市",
                     "各城市", "五个城市", "哪个市")
# "How do I get connected": no topic named, so the two first things to know.
HOW_TO_CUES = ("咋弄", "怎么弄", "怎么办理", "怎么申请", "如何办理", "如何申请", "咋办", "怎么报装", "咋申请",
               "怎么接电", "咋接电", "想通电", "要通电", "想接电", "想装电")


@dataclass
class Question:
    text: str
    places: list[Place] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    category: str | None = None
    business: bool = False
    area: str | None = None
    capacity: Quantity | None = None
    unknown_place: str | None = None
    every_region: bool = False
    asks_meaning: bool = False
    steps: tuple[str, ...] = ()
    focus: tuple[tuple[str, ...], ...] = ()
    # the question frame: how it is asked and what measure it wants
    forms: frozenset[Form] = frozenset({Form.WHAT})
    measures: tuple[Measure, ...] = ()
    years: tuple[int, ...] = ()
    asserted: Asserted | None = None
    categories: tuple[str, ...] = ()  # every group named, in order ('双电源比单电源' names two)
    length: Quantity | None = None  # a line length the customer gives ('管线有250米')

    def asks(self, *forms: Form) -> bool:
        return any(form in self.forms for form in forms)

    @property
    def anchors(self) -> tuple[tuple[str, ...], ...]:
        """The focus terms distinctive enough to find facts across all topics."""
        return tuple(words for words in self.focus if words not in WEAK_FOCUS)

    @property
    def place(self) -> Place | None:
        return self.places[0] if len(self.places) == 1 else None


# Typing slips (pinyin input picks a homophone) seen in customer messages → the intended word.
TYPOS = (("办店", "办电"), ("接店", "接电"), ("通店", "通电"), ("资科", "资料"), ("资斜", "资料"), ("材枓", "材料"),
         ("材科", "材料"), ("工做日", "工作日"), ("环结", "环节"), ("千伏案", "千伏安"), ("停店", "停电"),
         ("报状", "报装"), ("双电元", "双电源"), ("单电元", "单电源"), ("双电原", "双电源"), ("单电原", "单电源"),
         ("双电园", "双电源"), ("单电园", "单电源"), ("居名", "居民"), ("千伏按", "千伏安"), ("千佤", "千瓦"))


# Spoken voltages → the documents' units: 一万伏 = 10千伏, 三万五 = 35千伏; "100个千瓦" = 100千瓦.
SPOKEN_UNITS = ((re.compile(r"(?:一万|1万|10000)(?:伏|v)(?:特)?"), "10千伏"),
                (re.compile(r"(?:两万|2万|20000)(?:伏|v)(?:特)?"), "20千伏"),
                (re.compile(r"(?:三万五千?|3\.5万|35000)(?:伏|v)?(?:特)?"), "35千伏"),
                (re.compile(r"个(千瓦|千伏安|kw|kva)"), r"\1"),
                (re.compile(r"(?:220|380)(?:伏|v)(?:特)?(?!低压)"), r"\g<0>低压"))


def normalize_text(text: str) -> str:
    """Full-width to half-width, lower-case Latin, no spaces, common typing slips fixed."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()
    for typo, word in TYPOS:
        folded = folded.replace(typo, word)
    for pattern, replacement in SPOKEN_UNITS:
        folded = pattern.sub(replacement, folded)
    return folded


def find_capacity(text: str) -> Quantity | None:
    """The first capacity in the text, read by the one quantity reader (一百五千瓦 = 150千瓦)."""
    return first_capacity(text)


def find_topics(text: str) -> list[str]:
    found = []
    for topic, cues in TOPIC_CUES:
        if any(cue in text for cue in cues) and topic not in found:
            found.append(topic)
    if not found and any(term in text for term in DEFINITION_TERMS):
        found.append("definition")
    if "time_limit" in found and any(t in found for t in TIME_IS_SECONDARY_TO):
        found.remove("time_limit")
    if "time_limit" in found and "steps" in found and not _STEP_COUNT.search(text):
        found.remove("steps")
    if "definition" in found and len(found) > 1:
        found.remove("definition")
    if not found and any(cue in text for cue in HOW_TO_CUES):
        found.extend(("materials", "steps"))
    if not found and find_steps(text):
        # a step named alone: "还要设计审查吗" asks whether it remains, "10kv双电源 中间检查" its time limit
        found.append("steps" if re.search(r"吗|么|吧|有没有|还要|需不需要|要不要|取消|少不了|必须|省掉|免", text)
                     else "time_limit")
    return found


# Focus words that narrow a topic's facts but are too common to look for across all topics.
WEAK_FOCUS = frozenset({("农村",), ("小微",), ("重要",), ("机井",), ("充电",), ("5G",), ("临时用电",),
                        ("居住区", "小区"), ("全过程", "全流程"), ("设计审查",), ("中间检查",), ("竣工",),
                        ("电话",), ("营业执照",), ("电能表",), ("投资界面", "红线", "投资至", "投资到")})


def find_focus(text: str) -> tuple[tuple[str, ...], ...]:
    """For each policy term the question names, the words the documents use for it."""
    return tuple(words for cues, words in FOCUS_TERMS if any(cue in text for cue in cues))


_CLAUSE_BREAK = re.compile(r"[，,。？?！!；;]")
# '从报装申请到装表接电' names the span of the whole process, not a step
_FROM_TO = re.compile(r"从[^，,。？?]{0,12}到[^，,。？?]{0,6}")
_TIME_ASKED = re.compile(r"多久|几天|多少天|几个工作日|多少个?工作日|多长时间|时限|时长|多快"
                         r"|加起来|合计|总共|一共|扣|其余|剩")


def _time_clauses(text: str) -> str:
    """In a message asking several things ('要带啥材料？多少个工作日能接上电？'), a step named in
    another part ('用电申请要准备啥材料') is not the step whose time is asked."""
    clauses = [c for c in _CLAUSE_BREAK.split(text) if c]
    if len(clauses) < 2 or len(find_topics(text)) < 2:
        return text
    return "，".join(c for c in clauses if _TIME_ASKED.search(c)) or text


def find_steps(text: str) -> tuple[str, ...]:
    """The process steps a question is about ('供电方案答复要几天' → 供电方案答复)."""
    return tuple(step for step, cues in STEP_CUES if any(cue in text for cue in cues))


# Steps the documents state as an aspect of their own rather than as a named step.
STEP_ASPECTS = {"外部工程": ("supporting_works", "external_works")}


def step_matches(step: str, fact_step: str | None, fact_aspect: str | None = None) -> bool:
    """Whether a fact is about the step asked (named as its document names it)."""
    if fact_aspect in STEP_ASPECTS.get(step, ()):
        return True
    if not fact_step:
        return False
    cues = dict(STEP_CUES).get(step, (step,))
    return any(cue in fact_step or fact_step in cue for cue in cues)


_NEGATION = re.compile(r"(?:不是|并非|不属于|不需要|不用|无需|不涉及|没有|没|不|无|非)$")


def says(text: str, cue: str) -> bool:
    """Whether `text` uses `cue` without negating it ('不是双电源', '非居民' do not say 双电源, 居民)."""
    start = text.find(cue)
    while start >= 0:
        if not _NEGATION.search(text[max(0, start - 3):start]) and _whole_quantity(text, cue, start):
            return True
        start = text.find(cue, start + 1)
    return False


def _whole_quantity(text: str, cue: str, start: int) -> bool:
    """'20千伏' is not inside '120千伏安': a number cue starts a number and a voltage is no capacity."""
    end = start + len(cue)
    if cue[:1].isdigit() and start > 0 and (text[start - 1].isdigit() or text[start - 1] == "."):
        return False
    return not (cue.endswith(("千伏", "kv")) and text[end:end + 1] in ("安", "a"))


def category_words(category: str) -> tuple[str, ...]:
    """The words that set a group apart ('无工程' for the no-works group, '双电源' for 10千伏双电源)."""
    return tuple(dict.fromkeys(word for name, cues, also in CATEGORY_RULES if name == category
                               for word in (also or cues)))


def find_category(text: str) -> str | None:
    for category, cues, also in CATEGORY_RULES:
        if any(says(text, c) for c in cues) and (not also or any(says(text, a) for a in also)):
            return category
    return None


def find_categories(text: str) -> tuple[str, ...]:
    """Every group a comparison names, in the order named: '10千伏双电源比单电源' → the double
    supply group, then the single one (refined to the same voltage by the caller)."""
    parts = re.split(r"比|和|与|跟|同|还是|vs|对比", text)
    found = [category for part in parts if (category := find_category(part))]
    return tuple(dict.fromkeys(found))


def find_area(kb: KnowledgeBase, text: str) -> str | None:
    """The area type named: the longest synonym, the first named on a tie ('县城里' is a county town)."""
    best: tuple[int, int, str] | None = None
    for area, entry in kb.vocab.areas.items():
        for synonym in entry.get("synonyms", []):
            position = text.find(synonym)
            if position >= 0 and (best is None or (len(synonym), -position) > best[:2]):
                best = (len(synonym), -position, area)
    return best[2] if best else None


def find_unknown_place(kb: KnowledgeBase, text: str) -> str | None:
    """A real place of China the KB does not cover ('杭州', '西湖区'); words that merely contain
    市/省/县 (市场监管, 省级园区, 县城) are not places."""
    for name in kb.vocab.other_places:
        if name in text:
            return name
    return china_gazetteer().find(text, kb.gazetteer)


def find_places(kb: KnowledgeBase, text: str) -> list[Place]:
    """Covered places named in the text, else one typed as a homophone slip (凯利 → 凯里)."""
    places = kb.places_in(text)
    if places:
        return places
    intended = sound_alike(text, kb.gazetteer)
    return kb.places_in(intended) if intended else []


def understand(kb: KnowledgeBase, raw: str) -> Question:
    text = normalize_text(raw)
    places = find_places(kb, text)
    question = Question(
        text=text,
        places=_dedupe_regions(places),
        topics=find_topics(text),
        category=find_category(text),
        business=any(c in _UTILITY.sub("", text) for c in BUSINESS_CUES),
        area=find_area(kb, text),
        capacity=find_capacity(text),
        steps=find_steps(_FROM_TO.sub("", _time_clauses(text))),
        focus=find_focus(text),
        forms=question_forms(text),
        measures=measures(text),
        years=years(text),
        categories=find_categories(text),
        length=first_length(text),
    )
    if question.asks(Form.PREMISE, Form.EXCEEDS):
        question.asserted = asserted_figure(text)
    if question.asks(Form.EXCEEDS) and question.asserted and question.asserted.unit == "工作日":
        # '用了6个工作日，算不算超时' asks about the time limit, not about the warning rules
        question.topics = ["time_limit", *(t for t in question.topics if t not in ("warning", "time_limit"))]
    question.every_region = any(cue in text for cue in EVERY_REGION_CUES)
    question.asks_meaning = any(cue in text for cue in dict(TOPIC_CUES)["definition"])
    if not question.places:
        question.unknown_place = find_unknown_place(kb, text)
    return question


def _dedupe_regions(places: list[Place]) -> list[Place]:
    """One place per region, preferring the district (it is more specific)."""
    by_region: dict[str, Place] = {}
    for place in places:
        current = by_region.get(place.region.id)
        if current is None or (current.district is None and place.district):
            by_region[place.region.id] = place
    return list(by_region.values())
