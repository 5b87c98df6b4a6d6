"""The declarative base of every table of the assistant: one metadata, on which each feature declares its tables
in its own models module (listed in bot/store/models.py).

Constraints are left unnamed, as before migrations: PostgreSQL names them itself (`work_orders_pkey`,
`work_orders_number_key`, `work_orders_manager_id_fkey`), SQLite keeps them unnamed. So a database made by
the migrations and one made before them have the same schema, names included. A migration that drops such a
constraint on SQLite recreates the table (`op.batch_alter_table`); on PostgreSQL it uses those names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import declarative_base

Base: Any = declarative_base()
