"""Plain `rasa train`, `rasa run actions`, `rasa run` and `rasa shell` work from the project root: every
file Rasa reads by default is where it looks, complete, and needs no environment (`rasa test core
--stories tests/stories` and `rasa test nlu --nlu tests/nlu` need nothing else); `make help` lists the
targets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from rasa.shared.constants import (
    DEFAULT_ACTIONS_PATH,
    DEFAULT_CONFIG_PATH,
    DEFAULT_CREDENTIALS_PATH,
    DEFAULT_DATA_PATH,
    DEFAULT_DOMAIN_PATH,
    DEFAULT_ENDPOINTS_PATH,
)
from rasa.shared.core.domain import Domain

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ACTIONS_URL = "http://127.0.0.1:5055/webhook"  # rasa_sdk's default port


def domain() -> Domain:
    return Domain.load(str(ROOT / DEFAULT_DOMAIN_PATH))


def training_intents() -> set[str]:
    """Every intent the NLU data and the rules use."""
    names: set[str] = set()
    for path in (ROOT / DEFAULT_DATA_PATH).rglob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names.update(block["intent"] for block in data.get("nlu", []) if "intent" in block)
        for rule in data.get("rules", []) + data.get("stories", []):
            names.update(step["intent"] for step in rule.get("steps", []) if "intent" in step)
    return names


def test_the_default_files_exist():
    for name in (DEFAULT_DOMAIN_PATH, DEFAULT_CONFIG_PATH, DEFAULT_ENDPOINTS_PATH, DEFAULT_CREDENTIALS_PATH):
        assert (ROOT / name).is_file(), name
    assert (ROOT / DEFAULT_DATA_PATH).is_dir() and (ROOT / DEFAULT_ACTIONS_PATH / "__init__.py").is_file()
    # one domain: a domain/ folder next to it would be left out by plain `rasa train`
    assert not (ROOT / "domain").exists()


def test_the_default_domain_has_every_intent_of_the_training_data():
    intents = set(domain().intent_properties)
    used = training_intents()
    assert used and used <= intents, sorted(used - intents)


def test_the_default_domain_has_every_custom_action_the_action_server_runs():
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package(DEFAULT_ACTIONS_PATH)  # what a plain `rasa run actions` loads
    served = set(executor.actions)
    declared = set(domain().as_dict()["actions"])
    assert served and served == declared, (sorted(served - declared), sorted(declared - served))
    assert {"booking_form", "status_form"} <= set(domain().form_names)


def test_endpoints_resolve_with_no_environment():
    """Rasa reads endpoints.yml in a process with nothing set (no ACTIONS_URL, no .env values)."""
    code = ("from rasa.core.utils import AvailableEndpoints; e = AvailableEndpoints.read_endpoints('endpoints.yml'); "
            "print(e.action.url); print(e.tracker_store.type)")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [DEFAULT_ACTIONS_URL, "bot.rasa_plugins.tracker_store.MaskingInMemoryTrackerStore"]


def test_the_scripts_give_rasa_a_copy_of_endpoints_yml(tmp_path: Path):
    """scripts/env.sh `endpoints_file`: a copy naming ACTIONS_URL (:5055 too) and the action server's token
    (`token: ${BANDIAN_ACTIONS_TOKEN}`, bot/action_token.py); the rest as endpoints.yml."""
    script = 'source scripts/env.sh; endpoints_file'

    def run(url: str) -> str:
        done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "ACTIONS_URL": url, "BANDIAN_ACTIONS_TOKEN": "x"})
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    original = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
    for url in (DEFAULT_ACTIONS_URL, "http://127.0.0.1:6155/webhook"):
        copy = ROOT / run(url)
        assert copy != ROOT / "endpoints.yml"
        assert copy.read_text(encoding="utf-8") == original.replace(
            f"  url: {DEFAULT_ACTIONS_URL}\n", f"  url: {url}\n  token: ${{BANDIAN_ACTIONS_TOKEN}}\n")


def test_no_script_names_the_old_domain_folder():
    for path in [*(ROOT / "scripts").glob("*.sh"), ROOT / "Makefile", *(ROOT / "bench").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"--domain[ =\"',]+domain\b(?!\.yml)", text), path


def test_make_help_lists_every_documented_target():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    documented = re.findall(r"^([a-z][a-z-]*):[^\n#]*## ", makefile, re.MULTILINE)
    done = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    listed = re.findall(r"^\s*(?:make )?([a-z][a-z-]*)\s{2,}\S", done.stdout, re.MULTILINE)
    assert documented and listed == documented
    assert {"run", "test", "help", "test-scale", "lint", "clean"} <= set(listed)


def test_make_help_lists_every_target():
    """Not only the documented ones: a target without a `## ` comment, or a name the help's awk pattern
    does not match, would be missing from `make help` (the internal $(INSTALLED) stamp file aside)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    defined: set[str] = set()
    for line in makefile.splitlines():
        rule = re.match(r"^([^\s#=:$.][^#=:]*?)\s*::?(?!=)", line)
        if rule:
            defined.update(rule.group(1).split())
    phony = {name for line in re.findall(r"^\.PHONY\s*:(.*)$", makefile, re.MULTILINE) for name in line.split()}
    done = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    listed = re.findall(r"^\s*make (\S+)\s{2,}\S", done.stdout, re.MULTILINE)
    assert len(listed) == len(set(listed))
    assert defined and phony <= defined, sorted(phony - defined)  # every .PHONY name is a rule
    assert set(listed) == defined, (sorted(defined - set(listed)), sorted(set(listed) - defined))


def test_the_tokenizer_builds_the_dictionary_when_a_fresh_checkout_has_none(tmp_path: Path):
    """A plain `rasa train` in a fresh checkout trains with the knowledge base's words (build/jieba is
    made by the scripts otherwise)."""
    from bot.nlu.tokenizer import BlankFreeJiebaTokenizer

    directory = tmp_path / "jieba"
    directory.mkdir()
    config = {**BlankFreeJiebaTokenizer.get_default_config(), "dictionary_path": str(directory)}
    BlankFreeJiebaTokenizer.create(config, None, None, None)  # type: ignore[arg-type]
    assert "滕州 " in (directory / "userdict.txt").read_text(encoding="utf-8")


def test_a_bare_rasa_test_reads_only_this_projects_test_stories(monkeypatch):
    """`rasa test` with no arguments collects every test_*.yml below "." (DEFAULT_E2E_TESTS_PATH), the
    virtualenv included; `make install` removes the `rasa init` sample stories it would find there."""
    from rasa.shared.constants import DEFAULT_E2E_TESTS_PATH
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.data import get_data_files

    monkeypatch.chdir(ROOT)
    found = get_data_files([DEFAULT_E2E_TESTS_PATH], YAMLStoryReader.is_test_stories_file)
    stories = ROOT / "tests" / "stories"
    assert found and all((ROOT / path).resolve().parent == stories for path in found), found
