"""What a phone number looks like in text: the one definition the booking parser (bot/booking/phone.py)
and the masker (bot/masking.py) share, so that every number the parser accepts is also masked.

Text is read folded: each character whose NFKC form is one character is replaced by it (full-width
digits and punctuation, circled or superscript digits, mathematical digits, the ideographic space), so
positions in the folded text are positions in the original. A digit is any Unicode decimal digit of the folded text.

- A mobile number: `1` and ten more digits, with up to three separators (spaces, dashes, underscores, in
  any mix) between any two digits, and at the usual 3-4-4 group breaks also one punctuation mark (dot,
  slash, backslash, comma, 、, 。, middle dot, |, ~) with up to two spaces or dashes around it, optionally
  after a country code (+86, 0086, 86, (+86)): 13912345678, 139 1234 5678, 139-1234-5678, 139_1234_5678,
  139.1234.5678, 139/1234/5678, 139，1234，5678, 139 / 1234 / 5678, +86 139 1234 5678,
  １３９１２３４５６７８, 1 3 9 1 2 3 4 5 6 7 8. (Punctuation only at those breaks: an IPv4 address such as
  139.212.134.56 and a list such as 1、2、3 are not phone numbers.) The booking form takes it when its
  prefix is a mainland mobile prefix (`mobile_problem`).
- A landline: an area code with its trunk 0 (two or three more digits, optionally in brackets: (0371),
  [0371], 【0371】), a break (separators or one punctuation mark as above), then a 7- or 8-digit subscriber
  number, which may have one such break after its third or fourth digit: 0539-1234567, (0371)12345678,
  010 1234 5678, 0371/1234.5678, +86 371 1234 5678.

Neither may touch another digit: 139123456789 (12 digits) is not a mobile number.

Digits may also be written as Chinese numerals, as people say or write a number: 一三九一二三四五六七八,
幺三九 幺二三四 五六七八 (幺 for 1), 两 for 2, 〇, ○ or 零 for 0, and the financial (大写) numerals 壹贰叁肆伍陆柒捌玖
with their traditional and variant forms (貳 參 陸 兩 …), mixed with Arabic digits and the same separators
(`phone_fold`: each numeral read as its digit, one character for one, so positions still match). Only
phone numbers (and, in bot/identifiers.py, ID card numbers) are read this way; house numbers and amounts in
Chinese numerals are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# whitespace, underscores, hyphens and dashes (－ ＿ fold to - _, the ideographic space to " ")
SEP = r"[\s_\-\u2010-\u2015\u2212]"
# one punctuation mark people put between the groups of a number (． ／ ＼ ， ｜ ～ fold to . / \\ , | ~)
PUNCT = r"[./\\,\u3001\u3002\u00b7\u30fb|~\u301c]"
_PUNCT = re.compile(r"[/\\,\u3001\u3002\u00b7\u30fb|~\u301c]")  # all but the dot (read since the beginning)
_GAP = rf"{SEP}{{0,3}}"
_BREAK = rf"(?:{SEP}{{0,2}}{PUNCT}{SEP}{{0,2}}|{_GAP})"  # between groups: a punctuation mark, or separators
_OPEN, _CLOSE = r"[(\[\u3010]", r"[)\]\u3011]"  # ( [ 【 and ) ] 】 (（ ［ fold to ( [)
_COUNTRY = r"(?:\(\+?(?:00)?86\)|\+\s?86|0086|86)"
MOBILE = re.compile(rf"(?<!\d)(?P<country>{_COUNTRY}{_GAP})?"
                    rf"(?P<number>1(?:{_GAP}\d){{2}}{_BREAK}\d(?:{_GAP}\d){{3}}{_BREAK}\d(?:{_GAP}\d){{3}})(?!\d)")
_SUBSCRIBER = (rf"\d(?:{_GAP}\d){{2}}(?:{_BREAK}\d(?:{_GAP}\d){{3,4}}"
               rf"|{_GAP}\d{_BREAK}\d(?:{_GAP}\d){{2,3}})")
LANDLINE = re.compile(
    rf"(?<!\d)(?:(?P<country>{_COUNTRY}){_GAP}{_OPEN}?0?|{_OPEN}?0)(?P<area>\d{{2,3}}){_CLOSE}?{_BREAK}"
    rf"(?P<number>{_SUBSCRIBER})(?!\d)")
DIGIT_RUN = re.compile(rf"\d(?:{_BREAK}\d)*")
# every phone number has seven digits with at most five separators and punctuation marks between two of them
_SEVEN_DIGITS = re.compile(r"\d(?:[\s_\-\u2010-\u2015\u2212./\\,\u3001\u3002\u00b7\u30fb|~\u301c]{0,5}\d){6}")
MOBILE_PREFIX = re.compile(r"^1(3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])")


# where compatibility characters that fold to one character live: the BMP (full-width forms, circled and
# superscript digits, the ideographic space ...), mathematical digits and letters, enclosed alphanumerics
_FOLDED_RANGES = (range(0x80, 0x10000), range(0x1D400, 0x1D800), range(0x1F100, 0x1F200))


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    """Each character whose NFKC form is one other character, mapped to it (built once, ~25 ms)."""
    table = {}
    for block in _FOLDED_RANGES:
        for code in block:
            folded = unicodedata.normalize("NFKC", chr(code))
            if len(folded) == 1 and folded != chr(code):
                table[code] = folded
    return table


def fold(text: str) -> str:
    """Full-width (and other compatibility) characters to their plain form; same length as the input."""
    if text.isascii():
        return text
    return text.translate(_fold_table())


# Chinese numerals as digits, for phone numbers only: 〇 ○ 零 are 0, 一 幺 1, 两 2, and the financial (大写)
# numerals 壹 … 玖 with their traditional and variant forms
CHINESE_DIGITS = {ord(char): str(value) for value, chars in enumerate(
    ("〇○◯零", "一幺壹弌", "二两兩贰貳貮弍弐", "三叁參叄弎", "四肆", "五伍", "六陆陸", "七柒", "八捌", "九玖"))
    for char in chars}
_CHINESE_DIGIT = re.compile("[" + "".join(map(chr, CHINESE_DIGITS)) + "]")


def phone_fold(text: str) -> str:
    """`fold`, then each Chinese numeral as its ASCII digit (same length: positions are positions in `text`)."""
    return with_chinese_digits(fold(text))


def with_chinese_digits(folded: str) -> str:
    """Folded text with each Chinese numeral as its ASCII digit."""
    return folded.translate(CHINESE_DIGITS) if _CHINESE_DIGIT.search(folded) else folded


def is_phone_digit(char: str) -> bool:
    """Whether a character of the original text is a digit of a phone number (any decimal digit, full-width
    and other compatibility forms, Chinese numerals)."""
    return phone_fold(char).isdecimal()


def ascii_digits(text: str) -> str:
    """The digits of (folded) text as ASCII digits, everything else dropped."""
    return "".join(str(unicodedata.decimal(char)) for char in text if char.isdecimal())


@dataclass(frozen=True)
class PhoneNumber:
    kind: str  # "mobile" | "landline"
    digits: str  # ASCII digits of the number itself (mobile: 11; landline: area code with its 0 + subscriber)
    start: int  # span of the whole match (country and area code included) in the text
    end: int
    number_start: int  # where the part to hide begins: a mobile number's first digit, a landline's subscriber
    punctuated: bool = False  # a punctuation mark other than a dot between its groups (139/1234/5678, 160、1000、1600)


def mobile_problem(digits: str) -> str | None:
    """The reason 11 ASCII digits are not a mainland mobile number, or None when they are one."""
    if len(digits) != 11:
        return f"手机号应为11位数字，您输入的是{len(digits)}位，请核对后重新输入。"
    if not MOBILE_PREFIX.match(digits):
        return f"{digits[:3]}开头的不是有效的大陆手机号段，请核对后重新输入。"
    return None


def find_mobiles(text: str, folded: str | None = None) -> list[PhoneNumber]:
    """Every mobile-shaped number in the text (valid prefix or not), in order (`folded`: `phone_fold(text)`)."""
    folded = phone_fold(text) if folded is None else folded
    found = []
    for match in MOBILE.finditer(folded):
        found.append(PhoneNumber("mobile", ascii_digits(match["number"]), match.start(), match.end(),
                                 match.start("number"), _PUNCT.search(match["number"]) is not None))
    return found


def find_landlines(text: str, folded: str | None = None) -> list[PhoneNumber]:
    folded = phone_fold(text) if folded is None else folded
    return [PhoneNumber("landline", "0" + ascii_digits(match["area"]) + ascii_digits(match["number"]),
                        match.start(), match.end(), match.start("number"))
            for match in LANDLINE.finditer(folded)]


def find_phone_numbers(text: str, folded: str | None = None) -> list[PhoneNumber]:
    """Mobile numbers, then landlines that do not overlap them, in text order (`folded`: `phone_fold(text)`)."""
    folded = phone_fold(text) if folded is None else folded
    if not _SEVEN_DIGITS.search(folded):  # the common case (log lines, answers): nothing to look for
        return []
    mobiles = find_mobiles(text, folded)
    landlines = [n for n in find_landlines(text, folded)
                 if not any(n.start < m.end and m.start < n.end for m in mobiles)]
    return sorted(mobiles + landlines, key=lambda n: n.start)


def find_mobile(text: str) -> PhoneNumber | None:
    """The first valid mainland mobile number in the text (what the booking form takes)."""
    return next((n for n in find_mobiles(text) if mobile_problem(n.digits) is None), None)


def digit_runs(text: str) -> list[str]:
    """Runs of digits with at most three separators between two digits, as ASCII digits (for diagnostics)."""
    return [ascii_digits(match.group()) for match in DIGIT_RUN.finditer(phone_fold(text))]
