"""Rasa plug-ins: modules that import Rasa (channels, stores) and the patches Rasa 3.6 needs.

Nothing happens at import: the channels and tracker stores call `patches.install()` when Rasa
constructs them at start-up, before the first message is handled.
"""
