"""Tell the customer when the action server cannot be reached, instead of answering nothing.

When a custom action's call fails (the action server is down or restarting, answers 5xx, or times out),
Rasa 3.6 logs the exception, drops the action's events and goes on (`MessageProcessor._run_action`):
the turn ends with no message at all (HTTP 200 `[]` on the REST channel, an empty bubble or "success"
elsewhere). A customer who said 确认 is left wondering whether the booking went through.

`install()` patches two places:

- `RemoteAction.run` raises `ActionServerFailed` (a RasaException, so Rasa's own handling is unchanged
  wherever it catches those, e.g. the custom slot mappings in action_extract_slots) when the call failed
  on the way to or from the action server. A 400 stays Rasa's ActionExecutionRejection.
- `MessageProcessor._run_action` runs the predicted action (a custom action, or a form whose validation
  action failed) so that such a failure becomes the polite UNAVAILABLE_TEXT and a FollowupAction to
  action_listen: the turn ends there. Nothing the failed action would have done is recorded: no slot is
  set, no form is finished, and no later action of the turn runs (so nothing claims a booking succeeded).

The text is a constant, not a domain response: it must not depend on a retrained model, and it is the
same "try again; 95598 for urgent matters" notice the web chat and WeChat channels give.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.actions.action import Action, ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import Event, FollowupAction
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

UNAVAILABLE_TEXT = "系统暂时无法处理您的请求，请稍后再试；急事请拨打95598。"
_STOCK_REMOTE_RUN = RemoteAction.run
_STOCK_RUN_ACTION = MessageProcessor._run_action


class ActionServerFailed(RasaException):
    """A custom action's call to the action server failed (no connection, 5xx, timeout, …)."""


def _chain(error: BaseException) -> list[BaseException]:
    """The exception and those it was raised from or while handling (Rasa re-raises without `from` too)."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _transport_failure(error: BaseException) -> bool:
    return any(isinstance(e, (aiohttp.ClientError, asyncio.TimeoutError)) for e in _chain(error))


def action_server_failed(error: BaseException) -> bool:
    """Whether the error (or one it was raised from) is a failed call to the action server."""
    return any(isinstance(e, ActionServerFailed) for e in _chain(error))


async def _remote_run(self: RemoteAction, *args: Any, **kwargs: Any) -> list[Event]:
    try:
        return await _STOCK_REMOTE_RUN(self, *args, **kwargs)
    except ActionExecutionRejection:
        raise
    except Exception as error:
        if not _transport_failure(error):
            raise
        raise ActionServerFailed(f"custom action '{self.name()}': the action server failed ({error})") from error


def unavailable_events() -> list[Event]:
    """What the turn records instead of the failed action's events: the notice, then listen."""
    return [create_bot_utterance({"text": UNAVAILABLE_TEXT}), FollowupAction(ACTION_LISTEN_NAME)]


def guarded(action: Action, run: Callable[..., Awaitable[list[Event]]]) -> Callable[..., Awaitable[list[Event]]]:
    async def run_or_apologise(*args: Any, **kwargs: Any) -> list[Event]:
        try:
            return await run(*args, **kwargs)
        except Exception as error:
            if not action_server_failed(error):
                raise
            logger.error("action '%s' failed because the action server did not answer (%s); the customer was "
                         "asked to try again later", action.name(), error)
            return unavailable_events()

    return run_or_apologise


async def _run_action(self: MessageProcessor, action: Action, *args: Any, **kwargs: Any) -> bool:
    # `action` is a fresh instance for this one prediction (processor._get_action), so shadowing its `run`
    # for this call affects nothing else.
    action.run = guarded(action, action.run)
    return await _STOCK_RUN_ACTION(self, action, *args, **kwargs)


def install() -> None:
    if RemoteAction.run is _STOCK_REMOTE_RUN:
        RemoteAction.run = _remote_run
    if MessageProcessor._run_action is _STOCK_RUN_ACTION:
        MessageProcessor._run_action = _run_action


def uninstall() -> None:
    RemoteAction.run = _STOCK_REMOTE_RUN
    MessageProcessor._run_action = _STOCK_RUN_ACTION
