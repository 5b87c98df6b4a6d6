"""Tables of the WeChat channel: the access token shared by every process of one official account."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, String, Text

from bot.store.base import Base


class WeChatAccessToken(Base):
    """The current access token of one app (one row per app id)."""

    __tablename__ = "wechat_access_tokens"
    app_id = Column(String(64), primary_key=True)
    token = Column(Text, nullable=False)  # WeChat asks for at least 512 characters of room
    expires_at = Column(DateTime, nullable=False)  # UTC: when WeChat stops accepting it
    fetched_at = Column(DateTime, nullable=False)  # UTC
