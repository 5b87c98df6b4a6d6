"""The contact person's name."""

from __future__ import annotations

import re

from bot.booking.text import Parsed, fold
from bot.phones import fold as fold_fast  # the same folding, table-driven (the masker calls this on every text)

_PREFIX = re.compile(r"^(?:我叫|我是|叫|姓名是?|名字是?|名字叫|联系人是?|联系人叫|客户叫|客户是|户主是?|是)[:：\s]*")
_CORRECTION = re.compile(r"(?:姓名|名字|联系人|户主)(?:写错了|错了|不对|有误)?[,，\s]*"
                         r"(?:是|改成|改为|应该是|叫)[:：\s]*"
                         r"([\u4e00-\u9fff·]{2,10}(?:先生|女士)?)")
_NAME = re.compile(r"^[\u4e00-\u9fff][\u4e00-\u9fff·]{1,9}$")
_NOT_NAMES = re.compile(r"预约|办电|装电|用电|电话|手机|地址|不知道|你好|您好|谢谢|取消|确认|可以|好的|没有|不是|是的"
                        r"|上午|下午|明天|后天|今天|新装|增容|千瓦|什么|怎么|客服|人工|问题|区|县|市|路|号")


# What the assistant asks when it wants the contact's name (domain/booking.yml utter_ask_booking_name): the
# next message answers it, and is masked as a name where it is stored (bot/feedback/store.py).
NAME_QUESTIONS = ("怎么称呼", "联系人姓名", "联系人的姓名")


def asks_for_name(text: str | None) -> bool:
    return text is not None and any(question in text for question in NAME_QUESTIONS)


# A name that follows one of these in free text ("我叫张三", "联系人：张三", "登记零证预约：张三 139…") is a
# contact name: the masker hides it wherever it appears (bot/masking.py); the candidate must pass is_name.
_CUE = re.compile(r"(?:我叫|叫我|我的名字(?:是|叫)|名字(?:是|叫|改成|改为|应该是)|姓名(?:是|改成|改为|应该是)?"
                  r"|联系人(?:是|叫|改成|改为|应该是|[:：])|户主(?:是|叫|[:：])|登记零证预约[:：])[:：\s]*")
_CANDIDATE = re.compile(r"[\u4e00-\u9fff·]{2,10}")


def find_names(text: str, folded: str | None = None) -> list[tuple[int, int]]:
    """Spans of contact names given in free text after a cue, or in a correction ('名字写错了，是李四')."""
    folded = fold_fast(text) if folded is None else folded
    spans = []
    for cue in _CUE.finditer(folded):
        run = _CANDIDATE.match(folded, cue.end())
        if run is None:
            continue
        for length in range(min(len(run.group()), 4), 1, -1):  # the longest that is a name: 欧阳娜娜, 张三
            if is_name(run.group()[:length]):
                spans.append((run.start(), run.start() + length))
                break
    corrected = _CORRECTION.search(folded)
    if corrected and not _NOT_NAMES.search(corrected[1]):
        spans.append(corrected.span(1))
    return spans


def find_name_correction(text: str) -> Parsed[str]:
    match = _CORRECTION.search(fold(text))
    if match and not _NOT_NAMES.search(match[1]):
        return Parsed(match[1], span=match.span())
    return Parsed()


def clean_name(text: str) -> str:
    return _PREFIX.sub("", fold(text).strip().strip("。.!！,，")).strip()


def is_name(text: str) -> bool:
    return bool(_NAME.match(text)) and not _NOT_NAMES.search(text) and text[0] not in "我你您他她在想要"


def parse_name(text: str) -> Parsed[str]:
    corrected = find_name_correction(text)
    if corrected.ok:
        return corrected
    name = clean_name(text)
    if is_name(name):
        return Parsed(name)
    if re.search(r"\d", name):
        return Parsed(error="姓名里不能有数字，请告诉我联系人的姓名，例如“张三”。")
    return Parsed(error="请告诉我联系人的姓名（2–10个汉字），例如“张三”或“张先生”。")
