"""Yes or no, read off the rule that answers the question.

A yes/no question names who would act and how ('我能自己选吗', '他们能随便拉闸吗', '必须签吗'); the
rule's own words say whether it is forbidden (不得, 严禁) or waived (免于, 无需, 取消). Together they
give the verdict the customer asked for, before the rule is quoted. No verdict when they do not
settle it.
"""

from __future__ import annotations

import re

FORBIDDEN = re.compile(r"不得|严禁|禁止|不允许|不准|杜绝")
WAIVED = re.compile(r"免于|免除|免办|无需|无须|不需要|不再|取消|不用")
# the customer asking whether they may do something themselves
CUSTOMER_MAY = re.compile(r"我们?(能|可以|可不可以|能不能)|(能|可以)自己|自己(选|找|定|挑|做|办)|自主"
                          r"|能不能不|可以不|可不可以不")
# asking whether something is required of the customer
_ASKS = r"[^，。？?]{0,12}(?:吗|(?<![什怎多这那])么)"
REQUIRED = re.compile(rf"必须|一定要|非得|要不要|需不需要|用不用|还要{_ASKS}|需要{_ASKS}|得{_ASKS}"
                      r"|少不了")
# asking whether the utility (or its staff) may do something
UTILITY_MAY = re.compile(r"(供电|电网|他们|工作人员|供电局|公司|物业)[^，。？?]{0,10}"
                         r"(能|可以|能不能|可不可以|随便|让|要求|就)")


def verdict(question: str, rule: str) -> str | None:
    """'可以。' / '不能。' / '不需要。' for a yes/no question the rule settles, else None."""
    forbidden, waived = bool(FORBIDDEN.search(rule)), bool(WAIVED.search(rule))
    if REQUIRED.search(question) and (waived or forbidden):
        return "不需要。"
    if forbidden and CUSTOMER_MAY.search(question):
        return "可以。"
    if forbidden and UTILITY_MAY.search(question):
        if re.search(r"合规|合法|违规", question):
            return "不合规。"
        return "不行。" if re.search(r"行吗|行不行", question) else "不能。"
    return None
