"""What a phone number looks like in text: the one definition the booking parser (bot/booking/phone.py)
and the masker (bot/masking.py) share, so that every number the parser accepts is also masked.

Text is read folded: each character whose NFKC form is one character is replaced by it (full-width
digits and punctuation, circled or superscript digits, mathematical digits, segmented digits 🯱, squared
ideographs 🈩 🈔 🈪 for 一 二 三, the ideographic space: every plane, `fold`, which bot/booking/text.py uses
too), so positions in the folded text are positions in the original. A digit is any Unicode decimal digit of
the folded text.

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
# what a masked character is while the masker works (bot/masking.py): no separator, so the digits a mask keeps
# (139****5678) never join a phone-like run; a star when it is done
MASKED = "\ue000"
MOBILE_PREFIX = re.compile(r"^1(3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])")


class _FoldTable(dict[int, "int | str"]):
    """Each character whose NFKC form is one other character, mapped to it, on every plane: the squared
    ideographs (🈩 🈔 🈪 → 一 二 三), segmented digits (🯱 → 1), full-width forms, circled, superscript and
    mathematical digits ... Filled as characters are met (`str.translate` asks for each one), so the table
    never has to be built over all 1.1 million code points; plain ASCII never reaches it."""

    def __missing__(self, code: int) -> int | str:
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char)
        value: int | str = folded if len(folded) == 1 and folded != char else code
        self[code] = value
        return value


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Each character whose NFKC form is one character replaced by it (full-width and other compatibility
    forms, on every plane); same length as the input. The one fold the booking parsers
    (bot/booking/text.py) and the masker share."""
    if text.isascii():
        return text
    return text.translate(_FOLD_TABLE)


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


# ---- phone-like runs the parser does not take (the masker hides them all the same) -------------------------
# Any seven or more digits (of `phone_fold` text) joined by up to six separators of any kind on one line: the
# parser's, and * : ; ( ) [ ] 【 】 + = # ' " ` ^, invisible characters (zero-width space and joiners, BOM, soft
# hyphen, variation selectors) and combining marks (a keycap, an underline): 139*1234*5678, 139:1234:5678,
# (139)1234-5678, 139    1234    5678, 139\u200b1234\u200b5678. Not policy text: dates and times (2021-06-30,
# 10:00-12:00, 2020—2022), IPv4 addresses, amounts (10,000,000元, 160、1000、1600千伏安, 10/0.4千伏), order numbers
# (38412-09357), hotlines (95598, 400-600-9999), bracketed years (鲁发改能源[2020]1号), lists of short numbers
# (1、2、3、…、11; a table row 1 10 3 2 3 3 22; 1+3+2+3+3) and codes touching a letter (GB/T 29328-2018,
# 91370000MA3C…) stay, unless their digits are shaped like a phone number (`phone_shaped`).
_LOOSE = (r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000_\-\u2010-\u2015\u2212./\\,\u3001\u3002\u00b7\u30fb|~"
          r"\u301c*:;()\[\]\u3010\u3011+=#'\"`^\u00ad\u034f\u180e\u200b-\u200f\u2060-\u2064\ufeff\ufe00-\ufe0f"
          r"\u0300-\u036f\u20d0-\u20ff]")
LOOSE_RUN = re.compile(rf"\d(?:{_LOOSE}{{0,6}}\d)*")
_LOOSE_SEVEN = re.compile(rf"\d(?:{_LOOSE}{{0,6}}\d){{6}}")
_UNIT = (r"\s?(?:[万亿]?元|万|亿|千瓦时|千瓦|千伏安|千伏|伏安|伏|瓦|兆瓦|kWh|kW|kVA|kV|MW|MVA|米|公里|度|户|个"
         r"|次|年|月|日|天|小时|分钟|秒|%|人|台|条|项|张|份|倍|平方米|ms|KB|MB|GB|kB|bytes)")
_NUMBER = r"\d+(?:\.\d+)?"
_YEAR = r"(?:19|20)\d\d"
_AND = r"[\u3001,/~\-\u2010-\u2015\u301c和及与或至到]"
# an order number as people write it: 5 + 5 digits, a space or any dash between ('38412—09357', '38412－09357');
# defined here, below both the masker and bot/orders/numbers.py, so that the two read the same numbers
ORDER_SEPARATOR = r"[\s\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]"
ORDER_NUMBER = rf"(?<!\d)\d{{5}}{ORDER_SEPARATOR}?\d{{5}}(?!\d)"
# a list starts where no number and list mark precede (each list is tried once: linear time)
_LIST_START = rf"(?<![\d.])(?<![\d.]{_AND})(?<![\d.]{_AND}\s)(?<![\d.]\s{_AND})(?<![\d.]\s{_AND}\s)"
_PROTECTED = re.compile("|".join((
    rf"(?<!\d){_YEAR}([-./])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)",  # 2021-06-30
    rf"(?<!\d){_YEAR}[-./](?:0?[1-9]|1[0-2])(?![\d.\-/])",  # 2021.12
    rf"(?<!\d){_YEAR}(?:\s?[-~\u2010-\u2015\u301c至到]\s?{_YEAR})+(?!\d)",  # 2020—2022
    r"(?<!\d)(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,6})?)?(?!\d)",  # 9:00, 10:00:00,123
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?!\.?\d)",  # 139.212.134.56
    r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!,?\d)",  # 10,000,000,000
    rf"{_LIST_START}(?:{_NUMBER}\s?{_AND}\s?)*{_NUMBER}(?={_UNIT})",  # 160、1000、1600千伏安, 10/0.4千伏
    ORDER_NUMBER,  # 38412-09357 (bot/orders/numbers.py)
    r"(?<!\d)(?:9\d{4}|12\d{3}|[48]00[\s\-]?\d{3}[\s\-]?\d{4})(?!\d)",  # 95598, 12398, 400-600-9999
    rf"[\[(\u3010\u3014]\s?{_YEAR}\s?[\])\u3011\u3015]",  # [2020] of 鲁发改能源[2020]1号
)))
_KEPT = re.compile(rf"\d*(?:{MASKED}+|\*{{4,}})\d*")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_LIST_SEP = re.compile(r"\s*[\u3001,;/|.+]\s*|[ \t]")  # 1、2、3; 1 10 3 2; a sum (1+3+2+3+3)
_LETTER = re.compile(r"[A-Za-z]")
_CONTACT_PREFIX = re.compile(r"(?i)(?:qq|tel|wx|vx|wechat|phone|mobile)$")


def phone_shaped(digits: str) -> bool:
    """ASCII digits that could be a phone number: 11 digits with a mobile prefix, (0)086 before them, or a
    landline with its area code (0 and 9 to 11 more digits)."""
    for country in ("0086", "86"):
        if digits.startswith(country) and len(digits) == len(country) + 11:
            digits = digits[len(country):]
    if len(digits) == 11 and MOBILE_PREFIX.match(digits):
        return True
    return digits[:1] == "0" and digits[1:2] not in ("", "0") and 10 <= len(digits) <= 12


def _policy_run(digits: str, start: int, end: int) -> bool:
    """Whether a run of digits and separators that is not phone-shaped is a list of short numbers (separated by
    a list mark or one space) or a code touching a letter."""
    before, after = digits[max(start - 12, 0):start].rstrip(" :"), digits[end:end + 1]
    if (before[-1:] and _LETTER.match(before[-1]) and not _CONTACT_PREFIX.search(before)) or _LETTER.match(after):
        return True  # GB/T 29328-2018, 91370000MA3C12345X (but QQ 12345678, tel: 1234567 are masked)
    groups = _LIST_SEP.split(digits[start:end])
    return len(groups) >= 3 and all(group.isdecimal() and len(group) <= 4 for group in groups)


def loose_runs(digits: str, shaped_only: bool = False) -> list[tuple[int, int]]:
    """Spans of phone-like runs of seven digits or more (`digits`: `phone_fold` text, where the phone numbers the
    parser reads are masked already) that are not policy text; `shaped_only`: only the phone-shaped ones. A
    phone-shaped run is one whatever it holds (139*12345*678: no hotline 12345 inside); an IPv4 address is not."""
    if not _LOOSE_SEVEN.search(digits):
        return []
    if MASKED in digits or "****" in digits:  # a mask and the digits it keeps (139****5678, 0086139****5678,
        # masked before: the masker is applied again to masked text) are no part of a run
        digits = _KEPT.sub(lambda kept: "\0" * len(kept.group()), digits)
    blanked: list[str] | None = None
    found = []
    for run in LOOSE_RUN.finditer(digits):
        number = ascii_digits(run.group())
        if len(number) < 7 or _IPV4.fullmatch(run.group()):
            continue
        if phone_shaped(number):
            found.append(run.span())
            continue
        if shaped_only:
            continue
        if blanked is None:  # dates, amounts, order numbers ... blanked out, once
            blanked = list(digits)
            for match in _PROTECTED.finditer(digits):
                blanked[match.start():match.end()] = "\0" * (match.end() - match.start())
        part_of = "".join(blanked[run.start():run.end()])
        found += [(run.start() + m.start(), run.start() + m.end()) for m in LOOSE_RUN.finditer(part_of)
                  if len(ascii_digits(m.group())) >= 7
                  and not _policy_run(digits, run.start() + m.start(), run.start() + m.end())]
    return found


def masked_number(text: str, number: PhoneNumber) -> str:
    """The country and area code as written; a mobile number's first three and last four digits."""
    digits = [i for i in range(number.number_start, number.end) if is_phone_digit(text[i])]
    head = text[number.start:number.number_start]
    if number.kind == "mobile":
        head += "".join(text[i] for i in digits[:3])
    return head + "****" + "".join(text[i] for i in digits[-4:])


def masked_run(text: str, digits: str, start: int, end: int) -> str:
    """A phone-like run of digits: its first three (of eleven or more) and last four (three of seven) digits as
    written, four stars for the rest (139*1234*5678 → 139****5678)."""
    positions = [i for i in range(start, end) if digits[i].isdecimal()]
    head = 3 if len(positions) >= 11 else 0
    tail = 4 if len(positions) >= 8 else 3
    return "".join(text[i] for i in positions[:head]) + "****" + "".join(text[i] for i in positions[-tail:])
