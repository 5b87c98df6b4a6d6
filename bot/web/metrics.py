"""The web app's Prometheus endpoint (GET /metrics) and its request counter.

/metrics has no login and no rate limit: Prometheus scrapes each replica directly (the production profile:
127.0.0.1:6081, :6082). It is not for the public: nginx's public listener does not pass it on
(deploy/nginx.conf), and a request that came through a proxy (X-Forwarded-For or X-Real-IP set: our nginx,
an ingress) gets 404 here as well.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.metrics import REGISTRY, record_web_request
from bot.web.security import Handler

PATH = "/metrics"
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def route_of(request: web.Request) -> str:
    """The route template that matched ("/agent/orders/{number}"), so a label never holds a user's path."""
    route = request.match_info.route
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        record_web_request(route_of(request), error.status)
        raise
    except Exception:
        record_web_request(route_of(request), 500)
        raise
    if request.path != PATH:
        record_web_request(route_of(request), response.status)
    return response


def add_metrics_routes(app: web.Application) -> None:
    serve = make_aiohttp_handler(REGISTRY, disable_compression=True)  # the format the scraper asks for

    async def metrics(request: web.Request) -> web.StreamResponse:
        if any(name in request.headers for name in PROXY_HEADERS):
            raise web.HTTPNotFound()
        return await serve(request)

    app.router.add_get(PATH, metrics)
