"""Fault injection against the real servers: kill -9, restarts, a database that goes away."""
