"""Personal data masked in the Rasa server's logs (bot.masking.install_pii_filter, as in the web app).

Rasa configures its logging before it loads our channels and stores, so by the time this package is
imported the root logger's handlers exist: each gets the PiiFilter. Python warnings bypass logging
(`warnings.showwarning` writes to stderr); they are masked too. That path leaked phone numbers: Rasa
warns with the whole message when a message starting with "/" does not parse as an intent payload, e.g.
`/inform{"booking_phone":"13912345678"}` ("Failed to parse arguments in line …").
"""

from __future__ import annotations

from bot.masking import install_pii_filter


def install() -> None:
    install_pii_filter()  # idempotent: handlers that have a PiiFilter, and masked warnings, are left as they are
