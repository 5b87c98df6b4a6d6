"""Masking of personal data for replies, logs and stored conversation events.

What is masked, wherever text is stored or logged (conversation events, exchanges, handoff messages, logs):

- phone numbers, as bot/phones.py defines them for the booking parser too (mobile numbers with +86/0086,
  any spacing, dashes or underscores, a dot, slash, comma, 、 or 。 between the 3-4-4 groups, full-width
  digits, Chinese and 大写 numerals; landlines such as 0539-1234567, (0371)12345678 or 0371/1234.5678):
  139****5678, 壹叁玖****伍陆柒捌, 0539-****4567;
- resident ID card numbers, 18 characters (last X/x too) or the old 15 digits, with spaces or dashes
  anywhere: 41**************3X; and e-mail addresses, with @ or ＠: z***@qq.com (bot/identifiers.py);
- house, building, unit and room numbers: 中华路12号3单元502室 → 中华路*号*单元*室 (never a document number
  such as 连政办传〔2021〕56号, a date such as 12月1号, or 第3号);
- contact names given after a cue ("我叫张三", "联系人：张三", "登记零证预约：张三 …") → 张*; and, where the
  conversation is known (its tracker events, the web chat's and WeChat's exchanges), the contact name the
  booking form took in that conversation, wherever it appears (`mask_names`).

Phone numbers may be written with Chinese numerals (一三九一二三四五六七八, 幺 for 1, 两 for 2, 〇/○/零 for 0)
and with 大写 numerals (壹叁玖壹贰叁肆伍陆柒捌, 貳 參 陸 …): bot/phones.py.

Amounts, years, dates, order numbers and section numbers (8000千伏安, 2021年, 2021.12.31, 38412-09357, 第三条,
烟政办字〔2021〕12号) are left alone.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from collections.abc import Iterable
from typing import Any, TextIO

from bot.booking.name import find_names, parse_name
from bot.identifiers import find_identifiers
from bot.phones import PhoneNumber, find_phone_numbers, fold, is_phone_digit, mobile_problem, with_chinese_digits

_DIGIT_RUN = re.compile(r"[0-9A-Za-z]+")
_STARS = re.compile(r"\*{2,}")
# house, building, unit and room numbers in (folded) free text: 中华路12号3单元502室 → 中华路*号*单元*室.
# A digit run starts only where no digit precedes it (linear time on long runs of digits); a number right
# after 〕 ] 】 ) 第 or 月 is a document number (〔2021〕56号), an ordinal (第3号) or a date (12月1号).
_HOUSE_NUMBER = re.compile(r"(?<![\d〕\]】)第月])\d+(?:(-)\d+)?(?=号|栋|幢|单元|室|弄|组|户)")
_DIGIT = re.compile(r"\d")
SEALED_PREFIX = "sealed:"
NAME_SLOTS = ("booking_name",)  # slots that hold a contact name
REQUESTED_SLOT = "requested_slot"
_MASK = "*"
_MAX_DEPTH = 20


def mask_phone(phone: str | None) -> str:
    """13912345678 → 139****5678; anything shorter keeps only its last two characters."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return _MASK * max(len(digits) - 2, 0) + digits[-2:]


def mask_name(name: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the family name stays for a polite 张先生/女士."""
    if not name:
        return ""
    return name[0] + _MASK * (len(name) - 1)


def mask_address(address: str | None) -> str:
    """Keep the place and street, hide house, building and room numbers: 中华路1号3单元 → 中华路*号*单元
    (and any phone or ID number or e-mail address in it, in Chinese numerals too: one star for each)."""
    if not address:
        return ""
    return _STARS.sub(_MASK, _DIGIT_RUN.sub(_MASK, unicodedata.normalize("NFKC", mask_numbers(address))))


def mask_text(text: str | None) -> str:
    """Free text with phone numbers, house numbers and contact names masked (for logs and stored events)."""
    if not text:
        return text or ""
    masked, folded, digits = _mask_numbers(text)
    if _DIGIT.search(digits):  # house numbers have digits
        houses = [(m.start(), m.end(), _MASK + (m.group(1) + _MASK if m.group(1) else ""))
                  for m in _HOUSE_NUMBER.finditer(folded)]
        if houses:
            masked = _replace(masked, houses)
            folded = fold(masked)
    names = find_names(masked, folded)
    return _replace(masked, [(start, end, mask_name(masked[start:end])) for start, end in names])


def mask_numbers(text: str) -> str:
    """Phone numbers, ID card numbers and e-mail addresses masked (not house numbers, not names)."""
    return _mask_numbers(text)[0] if text else text


def _mask_numbers(text: str) -> tuple[str, str, str]:
    """The text with e-mail addresses, ID numbers and phone numbers masked, that text folded, and folded with
    Chinese numerals as digits."""
    folded = fold(text)  # folding keeps positions: spans found in it are spans of the text
    digits = with_chinese_digits(folded)  # Chinese numerals too, for phone and ID numbers (bot/phones.py)
    identifiers = find_identifiers(text, folded, digits)
    if identifiers:  # first: an ID number holds phone-shaped runs, an e-mail address may be a phone number
        text = _replace(text, [(n.start, n.end, n.masked) for n in identifiers])
        folded = fold(text)
        digits = with_chinese_digits(folded)
    if _DIGIT.search(digits):
        phones = [(n.start, n.end, _masked_number(text, n)) for n in find_phone_numbers(text, digits)
                  if _is_masked_phone(n)]
        if phones:
            text = _replace(text, phones)
            folded = fold(text)
            digits = with_chinese_digits(folded)
    return text, folded, digits


def _is_masked_phone(number: PhoneNumber) -> bool:
    """Every landline; a mobile-shaped number whose second digit a mobile number can have (a mistyped number
    too), but, when punctuation other than a dot separates its groups, only a mobile number the booking form
    would take: a list such as 160、1000、1600千伏安 is not a phone number."""
    if number.kind == "landline":
        return True
    if number.punctuated:
        return mobile_problem(number.digits) is None
    return number.digits[1] in "3456789"


def contact_names(values: Iterable[Any]) -> tuple[str, ...]:
    """The names among slot values that can be masked in text (two characters or more, not sealed), longest first."""
    names = {value.strip() for value in values
             if isinstance(value, str) and len(value.strip()) >= 2 and not value.startswith(SEALED_PREFIX)}
    return tuple(sorted(names, key=lambda name: (-len(name), name)))


def mask_names(text: str, names: Iterable[str]) -> str:
    """Each known contact name of the conversation masked wherever it appears (呼延灼灼 → 呼***)."""
    for name in names:
        if len(name) >= 2 and name in text:
            text = text.replace(name, mask_name(name))
    return text


def mask_name_answer(text: str | None) -> str:
    """A message that answers "what is the contact's name" ("张三", "我姓李，李四"): the name masked too."""
    masked = mask_text(text)
    name = parse_name(masked).value
    if name and _MASK not in name:
        masked = masked.replace(name, mask_name(name))
    return masked


def _masked_number(text: str, number: PhoneNumber) -> str:
    """The country and area code as written; a mobile number's first three and last four digits."""
    digits = [i for i in range(number.number_start, number.end) if is_phone_digit(text[i])]
    head = text[number.start:number.number_start]
    if number.kind == "mobile":
        head += "".join(text[i] for i in digits[:3])
    return head + _MASK * 4 + "".join(text[i] for i in digits[-4:])


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    if not spans:
        return text
    parts, last = [], 0
    for start, end, replacement in sorted(spans):
        if start < last:  # overlapping: the first one wins
            continue
        parts += [text[last:start], replacement]
        last = end
    return "".join(parts) + text[last:]


def mask_value(value: Any, depth: int = 0, names: tuple[str, ...] = ()) -> Any:
    """Strings masked inside any JSON-like value (keys too), e.g. a message's metadata (`names`: mask_names)."""
    if isinstance(value, str):
        return mask_names(mask_text(value), names)
    if depth >= _MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {mask_names(mask_text(str(key)), names): mask_value(item, depth + 1, names)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(item, depth + 1, names) for item in value]
    return value


def mask_event(event: dict[str, Any], requested: str | None = None, names: tuple[str, ...] = ()) -> dict[str, Any]:
    """A serialised conversation event with personal data masked in its texts, slot values and metadata.

    `requested`: the slot the assistant asked for when this event happened (a user message answering
    "请问联系人怎么称呼？" is a name); `names`: the conversation's contact names (masked wherever they appear)."""
    masked = dict(event)
    kind = masked.get("event")
    base = mask_name_answer if kind == "user" and requested in NAME_SLOTS else mask_text

    def mask(text: str) -> str:
        return mask_names(base(text), names)
    if kind in ("user", "bot") and isinstance(masked.get("text"), str):
        masked["text"] = mask(masked["text"])
    if kind == "user" and isinstance(masked.get("parse_data"), dict):
        parse = dict(masked["parse_data"])
        if isinstance(parse.get("text"), str):
            parse["text"] = mask(parse["text"])
        for key in ("entities", "metadata"):
            if key in parse:
                parse[key] = mask_value(parse[key], names=names)
        masked["parse_data"] = parse
    if kind == "bot" and "data" in masked:
        masked["data"] = mask_value(masked["data"], names=names)
    if masked.get("metadata"):
        masked["metadata"] = mask_value(masked["metadata"], names=names)
    value = masked.get("value")
    if kind == "slot" and isinstance(value, str) and not value.startswith(SEALED_PREFIX):
        masked["value"] = mask_name(value) if masked.get("name") in NAME_SLOTS else mask_names(mask_text(value), names)
    elif kind == "slot" and isinstance(value, (dict, list)):
        masked["value"] = mask_value(value, names=names)
    return masked


def requested_after(event: dict[str, Any], requested: str | None) -> str | None:
    """The slot being asked for after this event, given the one before it."""
    kind = event.get("event")
    if kind == "slot" and event.get("name") == REQUESTED_SLOT:
        value = event.get("value")
        return value if isinstance(value, str) else None
    if kind in ("restart", "session_started"):
        return None
    return requested


def mask_events(events: Iterable[dict[str, Any]], requested: str | None = None,
                names: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Serialised events masked in order, each user message read with the slot asked for before it."""
    masked = []
    for event in events:
        masked.append(mask_event(event, requested, names))
        requested = requested_after(event, requested)
    return masked


def install_pii_filter(logger: logging.Logger | None = None) -> None:
    """Mask personal data in everything the logger's handlers write, and in Python warnings (call once at
    process start; calling it again adds nothing)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, PiiFilter) for f in handler.filters):
            handler.addFilter(PiiFilter())
    mask_warnings()


def mask_warnings() -> None:
    """Mask personal data in Python warnings.

    `warnings.warn` does not go through logging: `warnings.showwarning` writes the text to stderr, past
    every handler's PiiFilter. Rasa warns with the customer's whole message when a message starting
    with "/" does not parse as an intent payload ("Failed to parse arguments in line
    '/inform{"booking_phone":"139…"}'"), which put raw phone numbers in rasa.log. This wraps
    `warnings.showwarning` so the message (and the source line) are masked before they are written.
    After `logging.captureWarnings(True)`, warnings go to the `py.warnings` logger instead, whose
    records the handlers' PiiFilter masks.
    """
    shown = warnings.showwarning
    if getattr(shown, "masks_pii", False):
        return

    def showwarning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                    file: TextIO | None = None, line: str | None = None) -> None:
        shown(mask_text(str(message)), category, filename, lineno, file, None if line is None else mask_text(line))

    showwarning.masks_pii = True  # type: ignore[attr-defined]
    warnings.showwarning = showwarning


class PiiFilter(logging.Filter):
    """A logging filter that masks personal data (`mask_text`) in every record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
