"""A Sanic server set up as `rasa run` sets up its own, with our REST channel (test_redteam1_rasa_timeouts.py).

    python tests/security/rasa_like_server.py PORT

Rasa 3.6 (rasa/core/run.py, rasa/server.py) sets KEEP_ALIVE_TIMEOUT to 120 s and RESPONSE_TIMEOUT to 3600 s;
the channel's `before_server_start` listener then applies BANDIAN_RASA_* (bot/rasa_plugins/rest.py). The
"assistant" answers "好的". Serves until killed.
"""

from __future__ import annotations

import argparse
import sys

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Sanic, response

from bot.rasa_plugins.rest import CheckedRestInput


def main(port: int) -> None:
    app = Sanic("rasa_like")
    app.config.MOTD = False
    app.config.KEEP_ALIVE_TIMEOUT = 120  # what rasa.core.run.configure_app sets
    app.config.RESPONSE_TIMEOUT = 3600  # what rasa.server.create_app sets

    async def on_new_message(message: UserMessage) -> None:
        if isinstance(message.output_channel, CollectingOutputChannel):
            await message.output_channel.send_text_message(message.sender_id, "好的")

    @app.get("/version")
    async def version(_request):  # type: ignore[no-untyped-def]
        return response.json({"version": "3.6"})

    app.blueprint(CheckedRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    app.run(host="127.0.0.1", port=port, access_log=False, workers=1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python tests/security/rasa_like_server.py",
                                     description="A Sanic server set up like `rasa run`, with the REST channel.")
    parser.add_argument("port", type=int, help="the port to listen on (127.0.0.1)")
    main(parser.parse_args(sys.argv[1:]).port)
