"""Drop orders_schema: alembic_version records the schema's revision now.

Revision 0002, after 0001.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("orders_schema")


def downgrade() -> None:
    op.create_table("orders_schema",
                    sa.Column("component", sa.String(32), nullable=False),
                    sa.Column("version", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint("component"))
    op.execute(sa.text("INSERT INTO orders_schema (component, version) VALUES ('orders', 1)"))
