"""Rasa's patches are installed explicitly, by the channel or tracker store Rasa builds at start-up;
importing the package changes nothing (run in a fresh interpreter: other tests install them)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import bot.rasa_plugins, bot.rasa_plugins.rest, bot.rasa_plugins.tracker_store
from bot.rasa_plugins import patches
from rasa.core.actions.action import RemoteAction
stock = RemoteAction._validate_action_result
assert not patches.installed(), "importing installed the patches"
{build}
assert patches.installed(), "building it did not install the patches"
assert RemoteAction._validate_action_result is not stock
print("ok")
"""


def run(build: str) -> str:
    done = subprocess.run([sys.executable, "-c", CHECK.format(build=build)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_rest_channel_installs_the_patches_when_built():
    assert "ok" in run("bot.rasa_plugins.rest.CheckedRestInput()")


def test_the_tracker_store_installs_the_patches_when_built():
    assert "ok" in run("from rasa.shared.core.domain import Domain\n"
                       "bot.rasa_plugins.tracker_store.MaskingInMemoryTrackerStore(Domain.empty())")
