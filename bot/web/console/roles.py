"""What each console role may do, checked on the server (the pages only hide what a role may not use).

Two roles exist (console_users.role): `agent` (a hotline agent) and `admin`.

| permission | agent | admin | audited |
|---|---|---|---|
| reveal: an order's full name, phone and address; a call-back's number | yes | yes | yes (`reveal`) |
| export: the filtered orders as CSV or Excel (masked) | no | yes | yes (`export`) |
| handle_feedback: mark a rated answer handled | yes | yes | yes (`feedback_handled`) |

Every other page and action (lookup, orders, advancing, the handoff queue, feedback, the dashboard) is open to
both roles. A refused request gets 403 and changes nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from aiohttp import web

from bot.web.console.auth import Agent, AgentHandler, Response, refusal

logger = logging.getLogger("bot.web.console")

ROLE_NAMES = {"admin": "管理员", "agent": "坐席"}
PERMISSIONS: dict[str, frozenset[str]] = {
    "reveal": frozenset({"admin", "agent"}),
    "export": frozenset({"admin"}),
    "handle_feedback": frozenset({"admin", "agent"}),
}
REFUSALS = {"export": "只有管理员可以导出工单。", "reveal": "您的角色不能查看完整信息。",
            "handle_feedback": "您的角色不能处理反馈。"}


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS.get(permission, frozenset())


def role_name(role: str) -> str:
    return ROLE_NAMES.get(role, role)


def needs(permission: str) -> Callable[[AgentHandler], AgentHandler]:
    """A handler the agent's role must allow (under @page, @api or @action, which find the agent)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def wrap(handler: AgentHandler) -> AgentHandler:
        @functools.wraps(handler)
        async def guarded(request: web.Request, agent: Agent) -> Response:
            if not allowed(agent.role, permission):
                logger.warning("console: %s (%s) refused %s on %s", agent.name, agent.role, permission, request.path)
                return refusal(request, 403, REFUSALS.get(permission, "您的角色没有这项权限。"))
            return await handler(request, agent)
        return guarded
    return wrap
