"""Masking of personal data for replies, logs and stored conversation events.

What is masked, wherever text is stored or logged (conversation events, exchanges, handoff messages, logs):

- phone numbers, as bot/phones.py defines them for the booking parser too (mobile numbers with +86/0086,
  any spacing, dashes or underscores, a dot, slash, comma, 、 or 。 between the 3-4-4 groups, full-width
  digits, Chinese and 大写 numerals (一三九…, 幺 两 〇 ○ 零, 壹叁玖…, 貳 參 陸 …); landlines such as 0539-1234567,
  (0371)12345678 or 0371/1234.5678): 139****5678, 壹叁玖****伍陆柒捌, 0539-****4567;
- resident ID card numbers, 18 characters (last X/x too) or the old 15 digits, with spaces or dashes
  anywhere, a dot or slash after the region and the birth date: 41**************3X; and e-mail addresses, with
  @ or ＠, a Chinese name before it too: z***@qq.com, 张***@qq.com (bot/identifiers.py);
- any other run of seven digits or more joined by short separators of any kind, the way a phone number
  the parser refuses is written (139*1234*5678, 139:1234:5678, (139)1234-5678, zero-width spaces):
  139****5678 — but not dates, times, amounts, order numbers, hotlines or lists (`bot.phones.loose_runs`);
- house, building, unit and room numbers: 中华路12号3单元502室 → 中华路*号*单元*室, 幸福小区5-2-1101,
  5栋2单元1101, B座1101房, 中华路12#3-502, 中华路十二号三单元五零二室 (`bot.identifiers.house_numbers`; never a
  document number such as 连政办传〔2021〕56号, a date such as 12月1号, or 第3号);
- contact names given after a cue ("我叫张三", "联系人：张三", "登记零证预约：张三 …", and a family name after
  "我是", "本人", "联系人": "我是张三", "联系人王五") → 张*; and, where the conversation is known (its tracker
  events, the web chat's and WeChat's exchanges), the contact name the booking form took in that
  conversation, wherever it appears (`mask_names`).

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

from bot.booking.name import find_names, is_name, parse_name
from bot.identifiers import find_identifiers, house_numbers, loose_names, mask_chinese_house_numbers
from bot.phones import (
    MASKED,
    PhoneNumber,
    find_phone_numbers,
    fold,
    loose_runs,
    masked_number,
    masked_run,
    mobile_problem,
    with_chinese_digits,
)

_DIGIT_RUN = re.compile(r"[0-9A-Za-z]+")
_STARS = re.compile(r"\*{2,}")
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
    """Keep the place and street, hide house, building and room numbers: 中华路1号3单元 → 中华路*号*单元, in Chinese
    numerals too (北京东路十八号三单元五零一室 → 北京东路*号*单元*室), and any phone or ID number or e-mail address
    in it: one star for each."""
    if not address:
        return ""
    masked = unicodedata.normalize("NFKC", mask_numbers(address))
    return _STARS.sub(_MASK, _DIGIT_RUN.sub(_MASK, mask_chinese_house_numbers(masked)))


def mask_text(text: str | None) -> str:
    """Free text with phone numbers, house numbers and contact names masked (for logs and stored events)."""
    if not text:
        return text or ""
    masked, folded, _ = _mask_numbers(text, houses=True)
    names = find_names(masked, folded) + loose_names(folded, is_name)
    return _replace(masked, [(start, end, mask_name(masked[start:end])) for start, end in names])


def mask_numbers(text: str) -> str:
    """Phone numbers (and phone-like runs of digits), ID card numbers and e-mail addresses masked (not house
    numbers, not names)."""
    return _mask_numbers(text)[0] if text else text


def _mask_numbers(text: str, houses: bool = False) -> tuple[str, str, str]:
    """The text with e-mail addresses, ID numbers, phone numbers, house numbers (`houses`) and other phone-like
    runs of digits masked, in that order; that text folded, and folded with Chinese numerals as digits. While
    it works a masked character is `MASKED`, which joins no run of digits (139****5678 is no new run)."""
    folded = fold(text)  # folding keeps positions: spans found in it are spans of the text
    digits = with_chinese_digits(folded)  # Chinese numerals too, for phone and ID numbers (bot/phones.py)
    identifiers = find_identifiers(text, folded, digits)
    masked = text, folded, digits
    if identifiers:  # first: an ID number holds phone-shaped runs, an e-mail address may be a phone number
        masked = _replaced(masked, [(n.start, n.end, n.masked) for n in identifiers])
    if _DIGIT.search(masked[2]):
        masked = _replaced(masked, [(n.start, n.end, masked_number(masked[0], n))
                                    for n in find_phone_numbers(masked[0], masked[2]) if _is_masked_phone(n)])
    if houses:  # phone-shaped runs first (1*3*9*…#5:6 is no house number), then houses (12-3-1101 is one)
        masked = _replaced(masked, _masked_runs(masked, shaped_only=True))
        masked = _replaced(masked, house_numbers(masked[1]))
    if _DIGIT.search(masked[2]):
        masked = _replaced(masked, _masked_runs(masked))
    if masked[0] is text:
        return masked
    text, folded, digits = (part.replace(MASKED, _MASK) for part in masked)
    return text, folded, digits


def _replaced(texts: tuple[str, str, str], spans: list[tuple[int, int, str]]) -> tuple[str, str, str]:
    """The text with the spans replaced (their stars as `MASKED`), folded, and folded with Chinese numerals as
    digits."""
    if not spans:
        return texts
    text = _replace(texts[0], [(start, end, replacement.replace(_MASK, MASKED)) for start, end, replacement in spans])
    folded = fold(text)
    return text, folded, with_chinese_digits(folded)


def _masked_runs(texts: tuple[str, str, str], shaped_only: bool = False) -> list[tuple[int, int, str]]:
    return [(start, end, masked_run(texts[0], texts[2], start, end))
            for start, end in loose_runs(texts[2], shaped_only)]


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
