"""The one database of the assistant: engines and sessions, the declarative base every feature's tables are
declared on, the list of those model modules, and the Alembic migrations that bring a database to head."""
