"""rasa_sdk's plug-in package: rasa_sdk imports `rasa_sdk_plugins` (by that name, from the path) when it starts
an action server (`rasa run actions`), calls `init_hooks`, and then `attach_sanic_app_extensions(app)` with
its Sanic app before serving (rasa_sdk/plugin.py, rasa_sdk/endpoint.py). Nothing runs at import.

The extensions: the token every request but /health and /readyz needs (bot/action_token.py; it also sets
SANIC_HOST to 127.0.0.1 when unset, which rasa_sdk reads after this hook), the action server's Prometheus
endpoint (actions/metrics.py) and its readiness endpoint, /readyz, which checks the database
(actions/readiness.py).
"""

from __future__ import annotations

from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")


class BandianPlugin:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Any) -> None:
        from actions.metrics import attach
        from actions.readiness import attach as attach_readiness
        from bot.action_token import attach as attach_token

        attach_token(app)  # first: a server that must not start (no token for its interface) starts nothing
        attach(app)
        attach_readiness(app)


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(BandianPlugin())
