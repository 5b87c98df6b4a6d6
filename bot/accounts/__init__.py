"""Agent-console accounts: the tables of who may log in and of failed logins (no web code here)."""
