"""Seeded fuzzing of every entry point (REST, web chat API, WeChat, agent console, staff CLI)."""
