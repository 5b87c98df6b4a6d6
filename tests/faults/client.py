"""Plain synchronous clients for the stack: a REST conversation, the web chat API, a console login."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass

from tests.faults.stack import Stack

ORDER_NUMBER = re.compile(r"工单号：(\d{5}-\d{5})")
NORMAL_QUESTION = "枣庄10千伏双电源用户办电要多久"
NORMAL_ANSWER = "18个工作日"


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage | None
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def cookie(self, name: str) -> str | None:
        for value in self.headers.get_all("Set-Cookie") or [] if self.headers else []:
            if value.startswith(f"{name}="):
                return value.split(";", 1)[0]
        return None


def request(url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None,
            timeout: float = 90) -> Response:
    """One request, redirects not followed; status 0 when the connection fails or breaks."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return Response(answer.status, answer.headers, answer.read())
    except (OSError, http.client.HTTPException) as error:
        return Response(0, None, f"{type(error).__name__}: {error}".encode())
    finally:
        connection.close()


def post_json(url: str, payload: object, timeout: float = 90) -> Response:
    return request(url, "POST", json.dumps(payload).encode(), {"Content-Type": "application/json"}, timeout)


def say(stack: Stack, sender: str, message: str, timeout: float = 90) -> tuple[int, str]:
    """A REST turn: the HTTP status (0: no answer) and the bot's texts with button titles."""
    response = post_json(stack.rest_url, {"sender": sender, "message": message}, timeout)
    if response.status != 200:
        return response.status, response.text
    messages = json.loads(response.body or b"[]")
    return 200, "\n".join((m.get("text") or "") + " ".join(b.get("title", "") for b in m.get("buttons") or [])
                          for m in messages)


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_web_session(stack: Stack) -> str:
    """A web chat session id as the page gets one (POST /api/session): the web app refuses ids it did not issue."""
    answer = post_json(f"{stack.web_url}/api/session", {})
    assert answer.status == 200, f"/api/session: HTTP {answer.status} {answer.text[:200]}"
    return str(json.loads(answer.body)["session"])


def shown_orders(*texts: str) -> set[str]:
    """Order numbers shown to the user (canonical 10 digits)."""
    return {match.replace("-", "") for text in texts for match in ORDER_NUMBER.findall(text)}


VISIT_TIMES = ("下周三上午", "下周四上午", "下周二下午", "下周五上午", "下周一下午")


def book_until_summary(stack: Stack, sender: str, phone: str, house: int = 1) -> str:
    """Staff mode, the one-message registration, and another visit time if the first is not a working day."""
    assert say(stack, sender, "/agent")[0] == 200
    registration = f"登记零证预约：张三 {phone} 安阳市文峰区中华路{house}号 居民新装 {VISIT_TIMES[0]}"
    status, reply = say(stack, sender, registration)
    for visit in VISIT_TIMES[1:]:
        if status == 200 and "请核对预约信息" in reply:
            return reply
        status, reply = say(stack, sender, visit)
    assert status == 200 and "请核对预约信息" in reply, reply
    return reply


# ---- WeChat ------------------------------------------------------------------------------

def wechat_query(token: str, timestamp: str | None = None, nonce: str | None = None, **extra: str) -> str:
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    nonce = nonce if nonce is not None else uuid.uuid4().hex[:10]
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return urllib.parse.urlencode({"signature": signature, "timestamp": timestamp, "nonce": nonce, **extra})


# ---- console -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ConsoleSession:
    cookie: str  # "bandian_console=…"
    csrf: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Cookie": self.cookie, **extra}


LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def login_form(stack: Stack) -> tuple[str, str]:
    """A fresh login form: its cookie and its CSRF token."""
    form = request(f"{stack.web_url}/agent/login")
    cookie, token = form.cookie("bandian_console_login"), LOGIN_TOKEN.search(form.text)
    assert form.status == 200 and cookie and token, form.text[:300]
    return cookie, token.group(1)


def log_in(stack: Stack, password: str | None = None) -> Response:
    cookie, token = login_form(stack)
    body = urllib.parse.urlencode({"username": stack.console_user, "password": password or stack.console_password,
                                   "csrf_token": token, "next": "/agent"}).encode()
    return request(f"{stack.web_url}/agent/login", "POST", body,
                   {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})


def console_session(stack: Stack) -> ConsoleSession:
    """The admin's console session for this run (logged in once: the login fuzz locks the address afterwards)."""
    cached = stack.extras.get("console")
    if isinstance(cached, ConsoleSession):
        return cached
    session = new_console_session(stack)
    stack.extras["console"] = session
    return session


def new_console_session(stack: Stack) -> ConsoleSession:
    """Another session of the admin's (logging it out revokes only that one)."""
    answer = log_in(stack)
    cookie = answer.cookie("bandian_console")
    assert answer.status == 303 and cookie, f"login failed: HTTP {answer.status} {answer.text[:300]}"
    page = request(f"{stack.web_url}/agent", headers={"Cookie": cookie})
    token = META_TOKEN.search(page.text)
    assert page.status == 200 and token, page.text[:300]
    return ConsoleSession(cookie, token.group(1))
