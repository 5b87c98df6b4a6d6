"""Personal identifiers other than phone numbers, as the masker (bot/masking.py) finds them in text.

- A resident ID card number (居民身份证号码): 18 characters, 17 digits and a check digit or X/x, or the old
  15 digits; spaces, dashes or underscores between any two of its characters (410502 19900101 123X,
  4105-0219-9001-0112-3X), and one punctuation mark (. / , 、 …) at the breaks after the region code and the
  birth date (410502.19900101.1234, 410502/900101/123); full-width digits and Chinese numerals read as for
  phone numbers (bot/phones.py: `phone_fold`). It must carry a plausible birth date (18: 18xx–20xx, month
  01–12, day 01–31; 15: yymmdd) and a region code that does not start with 0, and it may not touch another
  digit. The check digit is not verified: a mistyped ID number is personal too.
- An e-mail address: an ASCII local part or a name in Chinese characters (张三@qq.com), @ (or the full-width ＠,
  with up to two spaces either side), a domain with at least one dot (or 。 as a Chinese keyboard types it)
  and a top-level domain of letters: zhang.san@qq.com, ｚｈａｎｇ＠ｑｑ．ｃｏｍ, 13912345678@163。com.

Both are found in folded text (`bot.phones.fold`: same positions as the original) and masked there:
41**************3X, z***@qq.com.

And for free text (`mask_text`): house, building, unit and room numbers (`house_numbers`: 中华路12号3单元502室,
幸福小区5-2-1101, 5栋2单元1101, B座1101房, 中华路12#3-502, 中华路十二号三单元五零二室 → each number a star), and
contact names after a loose cue (`loose_names`: 我是张三, 本人张三, 联系人王五).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.phones import MASKED, PUNCT, SEP

_GAP = rf"{SEP}{{0,3}}"
# at the breaks of 6-8-4 (18 characters) or 6-6-3 (15 digits), one punctuation mark too: 410502.19900101.1234
_BREAK = rf"(?:{SEP}{{0,2}}{PUNCT}{SEP}{{0,2}}|{_GAP})"
_ID_18 = re.compile(rf"(?<!\d)\d(?:{_GAP}\d){{5}}{_BREAK}\d(?:{_GAP}\d){{7}}{_BREAK}\d(?:{_GAP}\d){{2}}{_GAP}"
                    r"[\dXx](?!\d)")
_ID_15 = re.compile(rf"(?<!\d)\d(?:{_GAP}\d){{5}}{_BREAK}\d(?:{_GAP}\d){{5}}{_BREAK}\d(?:{_GAP}\d){{2}}(?![\dXx])")
_ID_CHAR = re.compile(r"[\dXx]")
# An ID number has fifteen digits with at most five separators between two of them (the cheap test first)
_FIFTEEN_DIGITS = re.compile(rf"\d(?:{_BREAK}\d){{14}}")

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})"
# the local part: ASCII, or a name in Chinese characters (张三@qq.com: the last four before the @ at most)
EMAIL = re.compile(rf"(?P<local>(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{{0,63}}|[\u3400-\u9fff]{{1,4}})"
                   rf"\s{{0,2}}@\s{{0,2}}"
                   rf"(?P<domain>{_LABEL}(?:[.\u3002]{_LABEL})*[.\u3002][A-Za-z]{{2,24}})(?![A-Za-z0-9])")
MASK = "*"


@dataclass(frozen=True)
class Identifier:
    kind: str  # "id_card" | "email"
    start: int  # span in the text
    end: int
    masked: str  # what replaces it


def _plausible_id(chars: str) -> bool:
    """Whether the 18 or 15 characters of an ID number (ASCII digits, maybe a final X) carry a region and a date."""
    if chars[0] == "0":
        return False
    if len(chars) == 18:
        century, month, day = chars[6:8], int(chars[10:12]), int(chars[12:14])
        if century not in ("18", "19", "20"):
            return False
    else:
        month, day = int(chars[8:10]), int(chars[10:12])
    return 1 <= month <= 12 and 1 <= day <= 31


def _masked_id(text: str, start: int, end: int, digits: str) -> str:
    """The first two and the last two characters as written, a star for each character between them."""
    positions = [i for i in range(start, end) if _ID_CHAR.match(digits[i])]
    return ("".join(text[i] for i in positions[:2]) + MASK * (len(positions) - 4)
            + "".join(text[i] for i in positions[-2:]))


def find_id_numbers(text: str, digits: str) -> list[Identifier]:
    """ID card numbers in the text (`digits`: `bot.phones.phone_fold(text)`), in order, not overlapping."""
    if not _FIFTEEN_DIGITS.search(digits):
        return []
    found: list[Identifier] = []
    for pattern in (_ID_18, _ID_15):
        position = 0
        while (match := pattern.search(digits, position)) is not None:
            chars = "".join(_ID_CHAR.findall(match.group())).upper()
            taken = any(match.start() < other.end and other.start < match.end() for other in found)
            if not taken and _plausible_id(chars):
                found.append(Identifier("id_card", match.start(), match.end(),
                                        _masked_id(text, match.start(), match.end(), digits)))
                position = match.end()
            else:  # an ID number may start inside a run that is not one (a longer number before it)
                position = match.start() + 1
    return sorted(found, key=lambda identifier: identifier.start)


def find_emails(text: str, folded: str) -> list[Identifier]:
    """E-mail addresses in the text (`folded`: `bot.phones.fold(text)`): the local part hidden but its first
    character, the @ and the domain kept as written."""
    if "@" not in folded:
        return []
    return [Identifier("email", match.start(), match.end(),
                       text[match.start()] + MASK * 3 + text[match.end("local"):match.end()])
            for match in EMAIL.finditer(folded)]


def find_identifiers(text: str, folded: str, digits: str) -> list[Identifier]:
    """E-mail addresses, then ID numbers that are not part of one, in text order."""
    emails = find_emails(text, folded)
    ids = [n for n in find_id_numbers(text, digits) if not any(n.start < e.end and e.start < n.end for e in emails)]
    return sorted(emails + ids, key=lambda identifier: identifier.start)


# ---- house, building, unit and room numbers (in folded text) ---------------------------------------------
_UNIT = r"(?:号|栋|幢|单元|室|弄|组|户|座(?![席机位谈椅])|房(?![屋产子租东])|#)"  # not 95598座席, 2房产
# before a unit: 12号, 5栋, 2-301室, 1101房, 12#; never after 〕 ] 】 ) 第 月 年 (a document number, an ordinal, a date)
_HOUSE_BEFORE = re.compile(rf"(?<![\d〕\]】)第月年*{MASKED}])\d+(?:-\d+){{0,2}}(?={_UNIT})")
# after a unit: 2单元1101, 3号楼502, 5栋1101, B座1101, 12#3-502
_HOUSE_AFTER = re.compile(rf"(?:(?<=单元)|(?<=号楼)|(?<=[栋幢座#]))\d+(?:-\d+){{0,2}}(?![\d*{MASKED}])")
# numbers joined by dashes right after an address word: 幸福小区5-2-1101, 中华路12号3-502 (not 2020-2022年)
_HOUSE_DASHED = re.compile(r"(?<=[区路街巷弄村苑园庄院城府湾坊厦寓楼号组屯])(?!(?:19|20)\d\d-)\d+(?:-\d+){1,2}"
                           rf"(?![\d*{MASKED}年月日.])")
# in Chinese numerals: a chain of numbers and units after a street or estate (中华路十二号三单元五零二室), or any
# chain with a room (…五零一室); not 三号楼二单元 on its own, 一户一表, 十二月一号
_CN = "[零〇○一二三四五六七八九十百两幺]"
_CN_UNIT = "(?:号楼|号院|号|栋|幢|单元|室|弄|座|房|户|组|楼|层)"
_CN_CHAIN = rf"(?:{_CN}+{_CN_UNIT})+{_CN}*"
_HOUSE_CHINESE = re.compile(rf"(?:(?<=[路街巷弄村屯])|(?<=小区|社区|花园|家园|大厦|公寓|新村|街道|大道)){_CN_CHAIN}"
                            rf"|(?<![第月]|{_CN}){_CN_CHAIN}(?<=[室房])")
_CN_RUN = re.compile(f"{_CN}+")
_CN_IN_ADDRESS = re.compile(rf"{_CN}+(?={_CN_UNIT})|(?:(?<=单元)|(?<=号楼)|(?<=[栋幢座#])){_CN}+")
_NUMBER = re.compile(r"\d+")


def house_numbers(folded: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of house, building, unit and room numbers in free text: each number a star,
    dashes kept (中华路12号3单元502室 → 中华路*号*单元*室, 幸福小区5-2-1101 → 幸福小区*-*-*)."""
    found = [(m.start(), m.end(), _NUMBER.sub(MASK, m.group()))
             for pattern in (_HOUSE_BEFORE, _HOUSE_AFTER, _HOUSE_DASHED) for m in pattern.finditer(folded)]
    found += [(m.start(), m.end(), _CN_RUN.sub(MASK, m.group())) for m in _HOUSE_CHINESE.finditer(folded)]
    return found


def mask_chinese_house_numbers(address: str) -> str:
    """An address's numbers in Chinese numerals before or after a unit: 北京东路十八号三单元五零一室 →
    北京东路*号*单元*室."""
    return _CN_IN_ADDRESS.sub(MASK, address)


# ---- names after a loose cue ("我是张三", "本人张三", "联系人王五"): a common family name, one or two more
# characters, then the end of the name (punctuation, a digit, 电话, 先生 …) -------------------------------------
_LOOSE_CUE = re.compile(r"(?:我是|本人(?:是|叫)?|联系人|户主)[\s:：]*")
_SURNAMES = frozenset("王李张刘陈杨赵黄周吴徐孙胡朱郭何罗梁宋郑谢韩唐冯董肖萧曹邓彭曾蔡潘田袁姚蒋卢魏钟杜丁沈姜"
                      "崔谭陆汪贾廖夏邹熊孟秦邱尹薛闫雷侯龙史陶贺顾毛郝龚邵钱覃武戴莫孔汤严赖洪邢牛樊葛庞颜倪聂"
                      "殷耿俞蓝翟祝裴霍涂骆岑窦欧吕苏叶")
_COMPOUND_SURNAMES = frozenset(("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐",
                                "宇文", "长孙", "司徒", "夏侯", "呼延", "端木", "南宫", "西门", "轩辕", "独孤"))
_NAME_END = re.compile(r"$|[^\u3400-\u9fffA-Za-z]|电话|手机|号码|联系|先生|女士|身份证|住|地址|预约|申请|办理|要|想|在")
_NOT_LAST = frozenset("的了啊吗呢吧呀哦人市县区省镇乡村州家户里")


def loose_names(folded: str, is_name: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Spans of contact names after a loose cue (`is_name`: bot/booking/name.py's check)."""
    spans = []
    for cue in _LOOSE_CUE.finditer(folded):
        start = cue.end()
        family = 2 if folded[start:start + 2] in _COMPOUND_SURNAMES else int(folded[start:start + 1] in _SURNAMES)
        for given in (1, 2) if family else ():
            end = start + family + given
            name = folded[start:end]
            if (len(name) == end - start and name[-1] not in _NOT_LAST and is_name(name)
                    and _NAME_END.match(folded, end)):
                spans.append((start, end))
                break
    return spans
