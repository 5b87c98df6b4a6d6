"""The action server's Prometheus endpoint: prometheus_client's HTTP server on its own port.

rasa_sdk imports every module of this package when it starts; nothing here runs then. The server is
started from one place: rasa_sdk's plug-in hook (rasa_sdk_plugins/, which rasa_sdk imports when it starts
the action server) attaches `attach` to the Sanic app, whose listener starts it once the action server
listens, on BANDIAN_ACTIONS_METRICS_HOST:BANDIAN_ACTIONS_METRICS_PORT (127.0.0.1; no port: no endpoint).
Each action server process needs a port of its own (the production profile: its port + 100).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.metrics import MetricsServer, OrderCounts, OrdersCollector, start_metrics_server
from bot.services import Services, current

logger = logging.getLogger(__name__)
SERVER_KEY = "bandian_metrics"


def orders_snapshot(services: Services) -> OrderCounts:
    """The work orders by stage and region, and the overdue ones (a scrape; in the metrics thread)."""
    from bot.orders.gauges import order_counts

    with services.session() as session:
        return order_counts(session, services.kb, services.clock())


def start(services: Services | None = None) -> MetricsServer | None:
    """Serve this process's metrics and the orders gauges, if a port is configured; None otherwise or when
    the port cannot be had (logged: the action server goes on serving actions without an endpoint)."""
    services = services or current()
    settings = services.settings
    if not settings.actions_metrics_port:
        return None
    try:
        server = start_metrics_server(settings.actions_metrics_port, settings.actions_metrics_host,
                                      OrdersCollector(lambda: orders_snapshot(services)))
    except OSError as error:
        logger.error("metrics endpoint not started on %s:%s: %s", settings.actions_metrics_host,
                     settings.actions_metrics_port, error)
        return None
    logger.info("metrics on http://%s:%s/metrics", settings.actions_metrics_host, server.port)
    return server


def attach(app: Any) -> None:
    """Start the endpoint when the Sanic app listens, stop it when it stops (rasa_sdk's plug-in hook)."""

    async def started(app: Any, _loop: Any) -> None:
        setattr(app.ctx, SERVER_KEY, start())

    async def stopping(app: Any, _loop: Any) -> None:
        server = getattr(app.ctx, SERVER_KEY, None)
        if server is not None:
            server.stop()

    app.listener(started, "after_server_start")
    app.listener(stopping, "before_server_stop")
