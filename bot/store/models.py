"""Every feature's models module, in one place: importing this module declares every table on the store's
Base. The migrations (bot/store/migrations/env.py) and the schema upgrade (bot/store/schema.py) read the
tables from here; nothing else imports a models module for its side effect.
"""

from __future__ import annotations

from types import ModuleType

from sqlalchemy import MetaData

import bot.accounts.models
import bot.channels.wechat_models
import bot.feedback.models
import bot.livechat.models
import bot.orders.models
from bot.store.base import Base

MODEL_MODULES: tuple[ModuleType, ...] = (
    bot.orders.models,  # work orders, their history, customer managers, status lookups
    bot.livechat.models,  # handoffs, their messages, the outbox, delivery targets, agent presence
    bot.feedback.models,  # exchanges and ratings, unanswered questions, the audit log
    bot.accounts.models,  # console users, failed logins, revoked sessions
    bot.channels.wechat_models,  # the shared WeChat access token
)

metadata: MetaData = Base.metadata
