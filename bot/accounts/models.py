"""Tables of the agent console: who may log in, failed logins, revoked sessions (shared by every web replica;
kept outside bot.web so that the store's list of models, bot/store/models.py, does not import the console)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String

from bot.store.base import Base


class ConsoleUser(Base):
    """A hotline agent or administrator; the password is kept only as a salted scrypt hash."""

    __tablename__ = "console_users"
    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False, unique=True)
    password_hash = Column(String(256), nullable=False)
    role = Column(String(16), nullable=False, default="agent")  # admin | agent
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)
    password_changed_at = Column(DateTime, nullable=False)


class LoginFailure(Base):
    __tablename__ = "console_login_failures"
    __table_args__ = (Index("ix_console_login_failures_who", "username", "address"),)
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    username = Column(String(64), nullable=False)
    address = Column(String(64), nullable=False)


class RevokedSession(Base):
    """A console session ended by logging out before its cookie expired (the SHA-256 of its CSRF token,
    which is random per session); kept until the cookie would have expired."""

    __tablename__ = "console_revoked_sessions"
    digest = Column(String(64), primary_key=True)
    expires_at = Column(DateTime, nullable=False, index=True)

