"""Every intent has a rule that answers it outside any form.

The policies are rules only (plus the core fallback to action_answer, which does not revert the
user's turn): an intent with no unconditional rule would make Rasa predict the fallback again and
again until its circuit breaker stops it, sending the same reply ten times.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def intents() -> set[str]:
    names: set[str] = set()
    for intent in yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8")).get("intents", []):
        names.add(intent if isinstance(intent, str) else next(iter(intent)))
    return names


def unconditional_rule_intents() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "data").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", []):
            steps = rule.get("steps") or []
            if not rule.get("condition") and steps and "intent" in steps[0]:
                names.add(steps[0]["intent"])
    return names


def test_every_intent_is_answered_outside_a_form():
    assert intents() - unconditional_rule_intents() == set()
