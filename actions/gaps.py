"""Recording questions the assistant could not answer, for the console's feedback view."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker

from bot.feedback.store import record_unanswered
from bot.orders.store import conversation_key
from bot.qa.context import Reply
from bot.services import current

logger = logging.getLogger(__name__)


def note_gap(tracker: Tracker, reply: Reply | None, reason: str) -> None:
    """Store a question the assistant could not answer from the knowledge base (for the console)."""
    if reply is not None and not reply.gap:
        return
    try:
        with current().session() as session:
            record_unanswered(session, conversation=conversation_key(tracker.sender_id),
                              question=tracker.latest_message.get("text") or "", reason=reason,
                              now=current().clock().replace(tzinfo=None),
                              region=reply.context.region if reply else None)
    except Exception:
        logger.exception("unanswered question not recorded")
