"""Phone numbers masked in Python warnings too (docs/reliability.md bug 14).

Rasa warns with the customer's whole message when a message starting with "/" does not parse as an
intent payload; warnings go to stderr past the logging handlers' PiiFilter, so the raw number reached
rasa.log. `bot.masking.install_pii_filter` (which bot/rasa_plugins/log_masking.py runs in the Rasa server)
now masks warnings as well.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from bot.masking import PiiFilter, install_pii_filter, mask_warnings

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13912345678"
MASKED = "139****5678"

# The real path in a fresh interpreter: Rasa's intent-payload parser on a REST message, Rasa's own
# warning formatter, the default `warnings.showwarning` writing to stderr.
RASA_PARSES_A_SLASH_MESSAGE = f"""
import logging, sys
from bot.masking import install_pii_filter
logging.basicConfig(level="INFO")
if sys.argv[1] == "masked":
    install_pii_filter()
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message
domain = Domain.from_yaml('version: "3.1"\\nintents: [inform]')
YAMLStoryReader.unpack_regex_message(Message({{"text": '/inform{{"booking_phone":"{PHONE}"}}x'}}), domain)
"""


def rasa_stderr(mode: str) -> str:
    done = subprocess.run([sys.executable, "-c", RASA_PARSES_A_SLASH_MESSAGE, mode], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def test_rasas_warning_about_a_slash_message_is_masked():
    assert PHONE in rasa_stderr("raw")  # the leak this guards against
    stderr = rasa_stderr("masked")
    assert "Failed to parse arguments in line" in stderr and MASKED in stderr
    assert PHONE not in stderr


@pytest.fixture()
def recorded(monkeypatch):
    """The warnings that reach the `showwarning` found in place (a recorder), after mask_warnings()."""
    seen: list[tuple[str, str | None]] = []

    def record(message, category, filename, lineno, file=None, line=None):
        seen.append((str(message), line))

    monkeypatch.setattr(warnings, "showwarning", record)
    mask_warnings()
    return seen


def test_warnings_are_masked_before_they_are_shown(recorded):
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(f"Failed to parse arguments in line '/inform{{\"booking_phone\":\"{PHONE}\"}}'", stacklevel=1)
        warnings.showwarning(UserWarning(f"电话 {PHONE}"), UserWarning, "x.py", 1, None, f"text = '{PHONE}'")
    assert recorded == [(f"Failed to parse arguments in line '/inform{{\"booking_phone\":\"{MASKED}\"}}'", None),
                        (f"电话 {MASKED}", f"text = '{MASKED}'")]


def test_masking_warnings_twice_wraps_once(recorded):
    wrapped = warnings.showwarning
    mask_warnings()
    install_pii_filter(logging.getLogger("some.logger.without.handlers"))
    assert warnings.showwarning is wrapped


def test_captured_warnings_are_masked_by_the_handlers_filter(monkeypatch):
    """After logging.captureWarnings(True) warnings are log records of `py.warnings`: the PiiFilter covers them."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("py.warnings")
    handler = Collect()
    monkeypatch.setattr(logger, "handlers", [handler])
    monkeypatch.setattr(logger, "propagate", False)
    install_pii_filter(logger)
    assert any(isinstance(f, PiiFilter) for f in handler.filters)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)
        try:
            warnings.warn(f"/inform{{\"booking_phone\":\"{PHONE}\"}}", stacklevel=1)
        finally:
            logging.captureWarnings(False)
    assert records and all(PHONE not in r.getMessage() and MASKED in r.getMessage() for r in records)


def test_the_rasa_plugin_installs_it(monkeypatch):
    from bot.rasa_plugins import log_masking

    handler = logging.StreamHandler()
    monkeypatch.setattr(logging.getLogger(), "handlers", [handler])
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    log_masking.install()
    assert any(isinstance(f, PiiFilter) for f in handler.filters)
    assert getattr(warnings.showwarning, "masks_pii", False)
