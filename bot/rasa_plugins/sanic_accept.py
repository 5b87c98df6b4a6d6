"""Error responses for requests with a malformed `Accept` header (Sanic 21.12, Rasa's web server).

Sanic builds every error response (a channel's 400, a 404, a 405, a 413, ...) in
`sanic.errorpages.exception_response`, which reads `request.accept` to choose between an HTML, JSON or
text error page. That property parses the header strictly and raises on any entry it cannot read:
`Accept: ÿ` or `zzz` (no slash), `a/b;x` (a parameter without `=`), `text/html;q=abc` or `;q=5`.
Raising while the error response is being rendered makes `ErrorHandler.response` (and then
`Sanic.handle_exception`) give up: the client gets 500 "An error occurred while handling an error"
instead of the 4xx, on every route of the server. Successful responses are not affected: nothing else
in Sanic or Rasa reads `request.accept`.

`install()` makes the property lenient: when the header does not parse, the entries that do parse are
kept (in Sanic's order) and the others are ignored, as if the client had not sent them; a header with
nothing usable counts as an empty one. A well-formed header is parsed exactly as before. Rasa 3.6 pins
sanic to 21.12.x; the patch is only installed over that version's own property.
"""

from __future__ import annotations

from sanic.exceptions import InvalidHeader
from sanic.headers import Accept, AcceptContainer, parse_accept
from sanic.request import Request

_STOCK = Request.__dict__["accept"]


def _readable(entry: str) -> bool:
    try:
        Accept.parse(entry)
    except (InvalidHeader, ValueError):  # no type/subtype, a parameter without "=", q not a number in [0, 1]
        return False
    return True


def lenient_parse_accept(header: str) -> AcceptContainer:
    """Sanic's `parse_accept`, with the entries it cannot read left out instead of raising."""
    try:
        return parse_accept(header)
    except (InvalidHeader, ValueError):
        return parse_accept(",".join(entry for entry in header.split(",") if _readable(entry)))


def _accept(request: Request) -> AcceptContainer:
    if request.parsed_accept is None:
        request.parsed_accept = lenient_parse_accept(request.headers.getone("accept", ""))
    return request.parsed_accept


def install() -> None:
    if Request.__dict__["accept"] is _STOCK:
        Request.accept = property(_accept)  # type: ignore[assignment,method-assign]


def uninstall() -> None:
    Request.accept = _STOCK  # type: ignore[method-assign]
