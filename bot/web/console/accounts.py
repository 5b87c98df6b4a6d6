"""Console accounts: adding agents, passwords, logging in with a failed-login limit, the first admin."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.accounts.models import ConsoleUser, LoginFailure, RevokedSession
from bot.feedback.models import AuditEntry
from bot.limits import client_bucket
from bot.web.console.passwords import burn_time, check_strength, fingerprint, hash_password, verify_password

LOGIN_MAX_FAILURES = 5  # per user name and address ...
LOGIN_MAX_FAILURES_PER_ADDRESS = 20  # ... and per address whatever the name (password spraying) ...
LOGIN_MAX_FAILURES_PER_ACCOUNT = 10  # ... and per user name from every address together (many addresses)
LOGIN_WINDOW = timedelta(minutes=15)
KNOWN_ADDRESS_DAYS = 90  # an address the account logged in from within this many days passes the account limit
NAME = re.compile(r"[A-Za-z0-9_.\-\u4e00-\u9fff]{1,64}")
ROLES = ("admin", "agent")


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class LoginOutcome:
    user: str | None
    limited: bool = False
    version: str = ""  # fingerprint of the password hash the session is bound to
    remaining: int | None = None  # after a failure: how many more before the login is refused


def valid_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise AccountError("用户名只能用字母、数字、汉字和 _ . -，最多 64 个字符")
    return name


def get_user(session: Session, name: str) -> ConsoleUser | None:
    return session.execute(select(ConsoleUser).where(ConsoleUser.name == name)).scalars().first()


def active_user(session: Session, name: str) -> ConsoleUser | None:
    user = get_user(session, name)
    return user if user is not None and user.active else None


def _session_digest(csrf: str) -> str:
    return hashlib.sha256(csrf.encode("utf-8")).hexdigest()


def revoke_session(session: Session, csrf: str, expires_at: datetime, now: datetime) -> None:
    """Logging out: the session's cookie is refused from now on, even if someone kept a copy."""
    session.execute(delete(RevokedSession).where(RevokedSession.expires_at <= now))
    session.merge(RevokedSession(digest=_session_digest(csrf), expires_at=expires_at))


def session_revoked(session: Session, csrf: str) -> bool:
    return session.get(RevokedSession, _session_digest(csrf)) is not None


def list_users(session: Session) -> list[ConsoleUser]:
    return list(session.execute(select(ConsoleUser).order_by(ConsoleUser.name)).scalars())


def add_user(session: Session, name: str, password: str, now: datetime, role: str = "agent") -> ConsoleUser:
    valid_name(name)
    check_strength(password)
    if role not in ROLES:
        raise AccountError(f"角色只能是 {'/'.join(ROLES)}")
    if get_user(session, name) is not None:
        raise AccountError(f"用户 {name} 已存在")
    return _create(session, name, password, role, now)


def _create(session: Session, name: str, password: str, role: str, now: datetime) -> ConsoleUser:
    user = ConsoleUser(name=name, password_hash=hash_password(password), role=role, active=True,
                       created_at=now, password_changed_at=now)
    session.add(user)
    session.commit()
    return user


def set_password(session: Session, name: str, password: str, now: datetime) -> ConsoleUser:
    check_strength(password)
    user = get_user(session, name)
    if user is None:
        raise AccountError(f"没有用户 {name}")
    user.password_hash, user.password_changed_at = hash_password(password), now
    session.commit()
    return user


def set_role(session: Session, name: str, role: str) -> ConsoleUser:
    """admin or agent (bot/web/console/roles.py); it applies to the user's open sessions at their next request."""
    if role not in ROLES:
        raise AccountError(f"角色只能是 {'/'.join(ROLES)}")
    user = get_user(session, name)
    if user is None:
        raise AccountError(f"没有用户 {name}")
    user.role = role
    session.commit()
    return user


def set_active(session: Session, name: str, active: bool) -> ConsoleUser:
    user = get_user(session, name)
    if user is None:
        raise AccountError(f"没有用户 {name}")
    user.active = active
    session.commit()
    return user


def _known_address(session: Session, name: str, address: str, now: datetime) -> bool:
    """Whether the account logged in from this address (IPv6: its /64) within KNOWN_ADDRESS_DAYS (the audit
    log's `login` entries record the address)."""
    query = (select(AuditEntry.detail).where(AuditEntry.action == "login", AuditEntry.actor == name,
                                             AuditEntry.at >= now - timedelta(days=KNOWN_ADDRESS_DAYS))
             .order_by(AuditEntry.id.desc()).limit(200))
    return any(client_bucket(detail or "") == address for detail in session.execute(query).scalars())


def _failures(session: Session, since: datetime, *which: ColumnElement[bool]) -> int:
    """Login failures since `since` matching `which` (this name from this address, this address, this name)."""
    query = select(func.count()).select_from(LoginFailure).where(*which, LoginFailure.at >= since)
    return int(session.execute(query).scalar_one())


def _record_failure(session: Session, key: str, address: str, now: datetime, since: datetime) -> None:
    """Count one more failure (and forget those older than the window)."""
    session.execute(delete(LoginFailure).where(LoginFailure.at < since))
    session.add(LoginFailure(at=now, username=key, address=address))
    session.commit()


def attempt_login(session: Session, name: str, password: str, address: str, now: datetime) -> LoginOutcome:
    """Check a login; `address` is the client's (an IPv6 client's /64: bot/limits.py `client_bucket`).

    The answer is `limited`, whatever the password (the password is not even checked, so a limited client
    learns nothing), after LOGIN_MAX_FAILURES failures for this name from this address or
    LOGIN_MAX_FAILURES_PER_ADDRESS from this address within LOGIN_WINDOW; and, once the account has
    LOGIN_MAX_FAILURES_PER_ACCOUNT failures from all addresses together (a guesser with many addresses),
    for every address it has not logged in from within KNOWN_ADDRESS_DAYS. The real user's usual addresses
    keep their own limits, so an attacker cannot lock them out; refused attempts are not counted, so every
    limit lifts LOGIN_WINDOW after the failures that caused it. A name that does not exist is counted and
    answered the same way (no answer says which names exist)."""
    since = now - LOGIN_WINDOW
    key = name[:64]
    name_failures = _failures(session, since, LoginFailure.username == key, LoginFailure.address == address)
    address_failures = _failures(session, since, LoginFailure.address == address)
    if name_failures >= LOGIN_MAX_FAILURES or address_failures >= LOGIN_MAX_FAILURES_PER_ADDRESS:
        return LoginOutcome(None, limited=True)
    account_failures = _failures(session, since, LoginFailure.username == key)
    known = account_failures >= LOGIN_MAX_FAILURES_PER_ACCOUNT and _known_address(session, key, address, now)
    if account_failures >= LOGIN_MAX_FAILURES_PER_ACCOUNT and not known:
        return LoginOutcome(None, limited=True)
    user = active_user(session, name)
    if user is None:
        burn_time(password)
    elif verify_password(password, user.password_hash):
        session.execute(delete(LoginFailure).where(LoginFailure.username == key, LoginFailure.address == address))
        session.commit()
        return LoginOutcome(user.name, version=fingerprint(user.password_hash))
    _record_failure(session, key, address, now, since)
    # the same for a name that does not exist: the count tells nothing about which names do
    remaining = min(LOGIN_MAX_FAILURES - name_failures - 1, LOGIN_MAX_FAILURES_PER_ADDRESS - address_failures - 1)
    if not known:
        remaining = min(remaining, LOGIN_MAX_FAILURES_PER_ACCOUNT - account_failures - 1)
    return LoginOutcome(None, remaining=max(remaining, 0))


def bootstrap_admin(session: Session, name: str, configured: str, now: datetime) -> str | None:
    """Make sure the administrator exists. Returns a newly generated password (to show once), else None.

    A configured password (BANDIAN_CONSOLE_PASSWORD) is always the admin's password; without one,
    a random password is generated only when the admin does not exist yet.
    """
    user = get_user(session, name)
    if configured:
        if user is None:
            try:
                _create(session, valid_name(name), configured, "admin", now)
            except IntegrityError:  # another replica created it with the same password at the same moment
                session.rollback()
        elif not (user.active and user.role == "admin" and verify_password(configured, user.password_hash)):
            user.password_hash, user.password_changed_at = hash_password(configured), now
            user.active, user.role = True, "admin"
            session.commit()
        return None
    if user is not None:
        return None
    password = secrets.token_urlsafe(12)
    try:
        _create(session, valid_name(name), password, "admin", now)
    except IntegrityError:  # another replica created it at the same moment and printed its own
        session.rollback()
        return None
    return password
