"""The documents' quoted terms come in the same order in every process (not a set's hash-seeded order)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
from bot.services import current
from bot.qa.glossary import quoted_terms
from bot.qa.context import Context
kb = current().kb
print(quoted_terms(kb.clauses_of("yantai")))
print(current().answerer.reply("烟台的零证办理和一证办理是什么意思", Context()).text)
"""


def run_with_hash_seed(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=120).stdout


def test_terms_and_definitions_do_not_depend_on_the_hash_seed():
    first = run_with_hash_seed("1")
    assert "零证办理" in first and first == run_with_hash_seed("2") == run_with_hash_seed("3")
