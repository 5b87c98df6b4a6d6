"""Handoff with context, call-back requests and a WeChat push queue that sets refusals aside.

Revision 0005, after 0004.

- handoffs.announced_ahead: how many customers were ahead when the customer was last told their place in the
  queue (the acknowledgement, then an update whenever it changes). Existing handoffs: NULL (told nothing yet;
  the next change of the queue tells them).
- outbox.attempts, next_attempt_at, last_error, set_aside_at (bot/livechat/push.py): a temporary failure is
  retried with exponential backoff from next_attempt_at; a permanent refusal (45015, 43004, 40003 …) sets the
  message aside with its reason. Existing messages: 0 attempts, due now, not set aside — an undelivered one is
  simply sent on the next pass, as before.
- callback_requests: a customer's call-back request left when no agent was online (phone sealed and masked,
  preferred day and period within the service hours, the questions asked), a task in the console until done.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE ADD/DROP COLUMN (SQLite ≥ 3.35 has both): recreating `handoffs` the batch way would
    # drop a table that handoff_messages' rows refer to
    op.add_column("handoffs", sa.Column("announced_ahead", sa.Integer(), nullable=True))
    op.add_column("outbox", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    op.add_column("outbox", sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
    op.add_column("outbox", sa.Column("last_error", sa.String(200), nullable=True))
    op.add_column("outbox", sa.Column("set_aside_at", sa.DateTime(), nullable=True))
    op.create_index("ix_outbox_set_aside_at", "outbox", ["set_aside_at"])
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("phone_sealed", sa.Text(), nullable=False),
        sa.Column("phone_masked", sa.String(16), nullable=False),
        sa.Column("preferred_day", sa.Date(), nullable=False),
        sa.Column("preferred_period", sa.String(8), nullable=False),
        sa.Column("preferred_at", sa.Time(), nullable=True),
        sa.Column("region", sa.String(32), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("conversation", "status", "created_at"):
        op.create_index(f"ix_callback_requests_{column}", "callback_requests", [column])


def downgrade() -> None:
    for column in ("created_at", "status", "conversation"):
        op.drop_index(f"ix_callback_requests_{column}", "callback_requests")
    op.drop_table("callback_requests")
    op.drop_index("ix_outbox_set_aside_at", "outbox")
    for column in ("set_aside_at", "last_error", "next_attempt_at", "attempts"):
        op.drop_column("outbox", column)
    op.drop_column("handoffs", "announced_ahead")
