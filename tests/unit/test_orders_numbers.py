"""Order numbers: random, readable, and every single-digit typo or adjacent swap is caught."""

from __future__ import annotations

from bot.orders import numbers


def test_new_numbers_are_valid_distinct_and_not_sequential():
    made = [numbers.new_number() for _ in range(2000)]
    assert all(numbers.is_valid(n) and len(n) == 10 and n[0] != "0" for n in made)
    assert len(set(made)) == len(made)
    ints = sorted(int(n) for n in made)
    assert max(b - a for a, b in zip(ints, ints[1:], strict=False)) > 1000


def test_every_single_digit_error_is_detected():
    for _ in range(50):
        number = numbers.new_number()
        for position in range(len(number)):
            for digit in "0123456789":
                if digit != number[position]:
                    assert not numbers.is_valid(number[:position] + digit + number[position + 1:])


def test_every_adjacent_transposition_is_detected():
    for _ in range(200):
        number = numbers.new_number()
        for i in range(len(number) - 1):
            if number[i] != number[i + 1]:
                assert not numbers.is_valid(number[:i] + number[i + 1] + number[i] + number[i + 2:])


def test_canonical_accepts_spaces_dashes_and_full_width_digits():
    number = numbers.new_number()
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number)
    for typed in (number, numbers.display(number), f"{number[:5]} {number[5:]}", wide):
        assert numbers.canonical(typed) == number
    assert numbers.canonical(number[:-1]) is None
    assert numbers.canonical("abc") is None


def test_find_number_in_text_ignores_phone_numbers():
    number = numbers.new_number()
    assert numbers.find_number(f"查一下工单{numbers.display(number)}，尾号5678") == number
    assert numbers.find_number("电话13912345678") is None


def test_an_order_number_with_any_dash_or_in_chinese_numerals_is_read():
    from bot.booking.status import interpret_status

    number = numbers.new_number()
    digits = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
    for text in (f"{number[:5]}—{number[5:]} 尾号5678", f"工单{number[:5]}－{number[5:]}，尾号五六七八",
                 "".join(digits[d] for d in number) + " 手机尾号五六七八"):
        assert interpret_status(text, None).updates == {"order": number, "suffix": "5678"}, text
    assert numbers.canonical(f"{number[:5]}–{number[5:]}") == number


def test_an_order_number_with_a_dash_is_not_masked_as_a_phone():
    from bot.masking import mask_text

    number = numbers.new_number()
    assert mask_text(f"工单{number[:5]}—{number[5:]}") == f"工单{number[:5]}—{number[5:]}"
