"""Rasa plug-ins: modules that import Rasa (channels, stores) and the patches Rasa 3.6 needs.

Rasa imports this package when it loads our REST channel or tracker store, so the patches below are
in place before the first message is handled.
"""

from bot.rasa_plugins import action_validation

action_validation.install()
