"""The patches Rasa 3.6 needs, installed explicitly and once, by whatever Rasa constructs first at
start-up: our REST or WeChat channel, or our tracker store (every configuration names one of them).
Importing a module of this package changes nothing."""

from __future__ import annotations

from bot.rasa_plugins import action_server_down, action_validation, log_masking, sanic_accept, sanic_timeouts

_installed = False


def install() -> None:
    """Idempotent: validators built once, 'please try again' when the action server fails, phone
    numbers masked in Rasa's log, a malformed Accept header no longer turning 4xx into 500, a deadline
    for each request's headers and body (bot/rasa_plugins/sanic_timeouts.py)."""
    global _installed
    if _installed:
        return
    action_validation.install()
    action_server_down.install()
    log_masking.install()
    sanic_accept.install()
    sanic_timeouts.install()
    _installed = True


def installed() -> bool:
    return _installed
