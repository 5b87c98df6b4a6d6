"""Fixes from fuzzing the console: digits that str.isdigit() accepts but int() does not read (Ethiopic ፩,
superscript ²) in an order number, a manager id or a handoff id, and posted bodies that are no readable form
(multipart without a boundary, an unknown charset) are refused with 4xx, never 500, and change nothing."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.feedback.models import AuditEntry
from bot.orders import numbers
from bot.orders.store import get_order
from bot.web.console.forms import record_id
from tests.unit.test_console_orders import book
from tests.unit.test_console_support import ADMIN_PASSWORD, Harness, run_console

ODD_NUMBERS = ("፩" * 10, "²" * 10, "١٢٣٤٥٦٧٨٩٠", "①" * 10)
ODD_IDS = ("²", "፩", "١", "①", "99999999999999999999")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
NO_BOUNDARY = {"Content-Type": "multipart/form-data"}
UNREADABLE = ((NO_BOUNDARY, b"username=admin"),
              ({"Content-Type": "multipart/form-data; boundary=XyZ"}, b"no parts at all"),
              ({"Content-Type": "application/x-www-form-urlencoded; charset=bogus"}, b"username=admin"),
              ({"Content-Type": "application/x-www-form-urlencoded"}, b"username=\xff\xfe"))


def changes(h: Harness, number: str) -> tuple[str, str | None, int]:
    """The order's stage and manager, and how many audit rows there are besides logins."""
    with h.session() as session:
        order = get_order(session, number)
        assert order is not None
        audits = session.execute(select(AuditEntry).where(AuditEntry.action != "login")).scalars().all()
        return order.stage, order.manager.name if order.manager else None, len(audits)


@pytest.mark.parametrize("text", ODD_NUMBERS)
def test_an_order_number_of_odd_digits_is_no_order_number(text):
    assert numbers.canonical(text) is None
    assert not numbers.is_valid(text)


def test_a_valid_number_in_other_decimal_digits_is_not_canonical():
    number = numbers.new_number()
    assert numbers.canonical(number.translate(ARABIC_INDIC)) is None  # int() reads them, the database has ASCII


def test_a_record_id_is_ascii_digits_within_64_bits():
    assert record_id("42") == 42 and record_id("0") == 0 and record_id("9" * 18) == 10**18 - 1
    assert [record_id(text) for text in (*ODD_IDS, "", "-1", "1 ", "1e3")] == [None] * (len(ODD_IDS) + 4)


def test_order_pages_and_actions_with_odd_digits_are_not_found(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        before = changes(h, number)
        for text in ODD_NUMBERS:
            page = await h.client.get(f"/agent/orders/{quote(text)}", allow_redirects=False)
            assert page.status == 404, (text, page.status)
            for op in ("reveal", "advance", "reassign", "note"):
                posted = await h.post(f"/agent/orders/{quote(text)}/{op}", {"note": "x", "manager": "1"})
                assert posted.status == 404, (text, op, posted.status)
        assert changes(h, number) == before

    run_console(tmp_path, body)


def test_reassign_to_an_odd_manager_id_is_refused_politely(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        before = changes(h, number)
        for chosen in ODD_IDS:
            response = await h.post(f"/agent/orders/{number}/reassign", {"manager": chosen}, follow=True)
            assert response.status == 200, (chosen, response.status)
            assert "请选择本地区的一位客户经理" in await response.text()
        assert changes(h, number) == before

    run_console(tmp_path, body)


def test_handoff_pages_with_odd_ids_are_not_found(tmp_path):
    async def body(h: Harness) -> None:
        await h.logged_in()
        for text in ODD_IDS:
            for path in (f"/agent/handoffs/{quote(text)}", f"/agent/api/handoffs/{quote(text)}/messages"):
                response = await h.client.get(path, allow_redirects=False)
                assert response.status == 404, (path, response.status)
            polled = await h.client.get(f"/agent/api/handoffs/1/messages?after={quote(text)}")
            assert polled.status == 404, (text, polled.status)  # no such handoff: the odd `after` is ignored

    run_console(tmp_path, body)


@pytest.mark.parametrize(("headers", "data"), UNREADABLE, ids=["no-boundary", "no-parts", "bad-charset", "bad-utf8"])
def test_a_login_post_that_is_no_readable_form_is_refused_with_400(tmp_path, headers, data):
    async def body(h: Harness) -> None:
        await h.client.get("/agent/login")  # the pre-login CSRF cookie, as a browser would have it
        response = await h.client.post("/agent/login", data=data, headers=headers, allow_redirects=False)
        assert response.status == 400, (response.status, await response.text())
        assert "bandian_console=" not in "".join(response.headers.getall("Set-Cookie", []))
        assert (await h.login(password=ADMIN_PASSWORD)).status == 303  # and the normal login still works

    run_console(tmp_path, body)


def test_an_order_action_that_is_no_readable_form_changes_nothing(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        await h.logged_in()
        token = await h.csrf()
        before = changes(h, number)
        for op in ("advance", "reassign", "note", "reveal"):
            # the token in the unreadable body, or in the header (then the fields are read; reveal has none)
            for extra in ({}, {"X-CSRF-Token": token}) if op != "reveal" else ({},):
                response = await h.client.post(f"/agent/orders/{number}/{op}", data=b"csrf_token=" + token.encode(),
                                               headers={**NO_BOUNDARY, **extra}, allow_redirects=False)
                assert response.status == 400, (op, extra, response.status)
        assert changes(h, number) == before

    run_console(tmp_path, body)


def test_an_unreadable_form_without_a_session_is_still_401(tmp_path):
    async def body(h: Harness) -> None:
        number = book(h)
        response = await h.client.post(f"/agent/orders/{number}/advance", data=b"x", headers=NO_BOUNDARY,
                                       allow_redirects=False)
        assert response.status == 401

    run_console(tmp_path, body)

