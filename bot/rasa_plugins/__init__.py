"""Rasa plug-ins: modules that import Rasa (channels, stores) and the patches Rasa 3.6 needs.

Rasa imports this package when it loads our REST channel or tracker store, so the patches below are
in place before the first message is handled.
"""

from bot.rasa_plugins import action_server_down, action_validation, log_masking, sanic_accept

action_validation.install()
action_server_down.install()  # a failed call to the action server: "please try again" instead of silence
log_masking.install()  # phone numbers masked in the Rasa server's log records and Python warnings
sanic_accept.install()  # a malformed Accept header no longer turns Sanic's 4xx error responses into 500
