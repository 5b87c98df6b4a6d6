"""How a question is asked: yes/no, comparison, arithmetic over steps, per year, a premise to check,
and which kind of measure it wants (days, money, a percentage, a name)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Form(Enum):
    WHAT = "what"
    SAME = "same"            # 一样吗 / 相同吗
    WHICH_FASTER = "faster"  # 谁更短 / 哪个快
    HOW_MANY_MORE = "more"   # 多几天 / 差几天
    SUM = "sum"              # 加起来 / 一共
    MINUS = "minus"          # 扣掉 / 除了…还剩
    PREMISE = "premise"      # 我记得…对吧
    EXCEEDS = "exceeds"      # 用了6个工作日，算不算超时
    SINCE_WHEN = "since"     # 哪年开始 / 什么时候起
    YES_NO = "yes_no"


class Measure(Enum):
    DURATION = "duration"
    MONEY = "money"
    PERCENT = "percent"
    NAME = "name"
    PHONE = "phone"
    MATERIALS = "materials"


@dataclass(frozen=True)
class Asserted:
    """A figure the customer states as fact ('我记得是10个工作日')."""

    amount: float
    unit: str


_FORMS = (
    (Form.HOW_MANY_MORE, r"(?<![最至])多(花|用|出|要|等)(几|多少)|(?<![最至])多几|差(几|多少)|相差|少(几|多少)"
                         r"|长(几|多少)|快(几|多少)|慢(几|多少)|(压减|减少|缩短|降低|下降|少|减)了(几|多少)"
                         r"|多出(几|多少)"),
    (Form.WHICH_FASTER, r"(谁|哪个|哪边|哪里|哪家|哪一个|哪种)(的)?[^，。？?]{0,8}(更|比较|最)?(短|快|长|慢|少|多)"),
    (Form.SAME, r"一样|相同|一致|有区别|有差别|有啥区别|有什么区别|有何不同|不同吗|区别|差异|对比|比较|分别是?多少"
                r"|各(是|为|要)?多少|各几"),
    (Form.MINUS, r"扣掉|扣除|除去|去掉|刨去|刨掉|减去|减掉|不算|除了[^，。]{1,12}(还剩|剩下|其余|其他)|还剩|剩下|其余"
                 r"|其[他它](几个)?环节"),
    (Form.EXCEEDS, r"超时|超期|算不算(超|慢|晚)|是否超|超没超|有没有超|超过(时限|期限|规定)?了?吗"),
    (Form.SINCE_WHEN, r"哪年|哪一年|什么时候(开始|起)|啥时候(开始|起)|何时(开始|起)?|从什么时候|几几年"),
    (Form.SUM, r"加起来|加在一起|合起来|一共|总共|共计|总和|相加"),
    (Form.PREMISE, r"对吧|没错吧|是吧|对不对|对吗|是不是这样|没错吗|我记得|听说|据说|肯定|应该是|不是说"
                   r"|(也|就|只)是[^，。？?]{0,12}吧|吧[？?。!！]*$"),
)
_YES_NO = re.compile(r"吗|(?<![什怎这那多要])么|能不能|可不可以|是不是|要不要|需不需要|用不用|有没有|行不行|算不算"
                     r"|必须|[?？]$")
_MEASURES = (
    (Measure.PERCENT, r"百分之|百分比|比率|比例|%|率(是|有|要|达到)?多少|几成"),
    (Measure.MONEY, r"多少钱|几块|多少元|租金|价格|价钱|收费标准|费用是多少|要多少费用|花多少|几个钱|怎么收费|收多少"),
    (Measure.PHONE, r"电话(号码)?是多少|号码是多少|打哪个电话|联系电话"),
    (Measure.NAME, r"叫什么|名字|哪家公司|哪个单位|是谁|谁负责"),
    (Measure.MATERIALS, r"带什么|带啥|带哪些|什么材料|啥材料|哪些材料|什么资料|啥资料|哪些资料|准备什么|准备啥"
                        r"|要什么证"),
    (Measure.DURATION, r"多久|几天|多少天|几个工作日|多少个?工作日|多长时间|几个小时|多少小时|时限|时长|多快|几分钟"),
)
_YEAR = re.compile(r"(20\d\d)年")
TIME_UNITS = ("工作日", "小时", "分钟", "个月")
_HALF_MONTH = re.compile(r"半个月")
_FIGURE = re.compile(r"(\d+(?:\.\d+)?)个?(工作日|天|小时|分钟|个月|千瓦|千伏安|千伏|米|环节|项|个环节|v|伏)")
_UNIT = {"天": "工作日", "个环节": "个", "v": "伏", "环节": "个"}


def question_forms(text: str) -> frozenset[Form]:
    """Every form the question takes ('谁更短？差几天？' is both which-faster and how-many-more)."""
    found = {form for form, pattern in _FORMS if re.search(pattern, text)}
    if not found:
        found.add(Form.YES_NO if _YES_NO.search(text) else Form.WHAT)
    return frozenset(found)


def measures(text: str) -> tuple[Measure, ...]:
    return tuple(measure for measure, pattern in _MEASURES if re.search(pattern, text))


def years(text: str) -> tuple[int, ...]:
    return tuple(dict.fromkeys(int(y) for y in _YEAR.findall(text)))


def asserted_figure(text: str) -> Asserted | None:
    """The figure a premise question (or 'is 6 days too long?') states, when it states one."""
    if _HALF_MONTH.search(text):
        return Asserted(0.5, "个月")
    found = [Asserted(float(a), _UNIT.get(u, u)) for a, u in _FIGURE.findall(_YEAR.sub("", text))]
    # '10千伏单电源用户是15个工作日吧': the figure asserted is the time, not the voltage naming the group
    for kinds in (TIME_UNITS, ("伏",), None):
        chosen = [f for f in found if kinds is None or f.unit in kinds]
        if chosen:
            return chosen[0]
    return None
