"""Feedback handled: exchanges.handled_at and handled_by, set when an agent marks a rated answer handled in the
console (/agent/feedback).

Revision 0003, after 0002. Both columns are nullable: existing rows are simply not handled yet.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchanges") as table:
        table.add_column(sa.Column("handled_at", sa.DateTime(), nullable=True))
        table.add_column(sa.Column("handled_by", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exchanges") as table:
        table.drop_column("handled_by")
        table.drop_column("handled_at")
