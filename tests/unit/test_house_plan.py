"""The house plan (docs/architecture.md), checked on the source: a plain-Python core under framework adapters,
settings read once at the entry points, services built in one place and built lazily."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.services import Services, current, install, load_knowledge
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

# The core: knowledge, reading a message, answering, forms, orders, calendar, store, text helpers.
CORE = ("bot/knowledge", "bot/reading", "bot/qa", "bot/booking", "bot/orders", "bot/feedback", "bot/livechat",
        "bot/accounts", "bot/store", "bot/text.py", "bot/calendar.py", "bot/calendar_files.py", "bot/phones.py",
        "bot/masking.py", "bot/identifiers.py", "bot/untrusted.py", "bot/secretfile.py")
FRAMEWORKS = ("rasa", "rasa_sdk", "aiohttp", "sanic")
ADAPTERS = ("bot.web", "bot.rasa_plugins", "bot.channels", "bot.nlu", "bot.services", "actions")
# Command lines are entry points (they build the services); the store owns every table's metadata, the WeChat
# token table's model included.
ENTRY_POINTS = ("cli.py", "__main__.py")
ALLOWED = {("bot/store/models.py", "bot.channels.wechat_models")}


def python_files(spec: str) -> list[Path]:
    path = ROOT / spec
    files = [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
    return [f for f in files if "__pycache__" not in f.parts and "migrations" not in f.parts]


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_core_imports_no_framework_and_no_adapter():
    wrong = []
    for spec in CORE:
        for path in python_files(spec):
            if path.name in ENTRY_POINTS:
                continue
            relative = str(path.relative_to(ROOT))
            for name in sorted(imports(path)):
                top = name.split(".")[0]
                adapter = any(name == a or name.startswith(a + ".") for a in ADAPTERS)
                if (top in FRAMEWORKS or adapter) and (relative, name) not in ALLOWED:
                    wrong.append(f"{relative} imports {name}")
    assert wrong == []


def settings_readers(path: Path) -> list[str]:
    """The functions of a module that call Settings.from_env()."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        for node in ast.walk(function):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "from_env"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "Settings"):
                found.append(function.name)
    return found


def test_settings_are_read_only_by_entry_points():
    """Everything else is handed the settings (or the services built from them)."""
    readers = {}
    for path in sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "actions").rglob("*.py")]):
        names = sorted(set(settings_readers(path)) - {"main"})
        if names:
            readers[str(path.relative_to(ROOT))] = names
    assert readers == {
        "bot/services.py": ["current"],  # the adapters Rasa constructs (actions, channels, tracker stores)
        "bot/store/migrations/env.py": ["database_url"],  # Alembic's own entry point
    }


def test_services_build_nothing_until_asked(tmp_path):
    database = tmp_path / "lazy.db"
    services = Services.from_settings(Settings.from_env({"DATABASE_URL": f"sqlite:///{database}",
                                                         "BANDIAN_SECRET_KEY": "k"}))
    assert "kb" not in vars(services) and "sessions" not in vars(services) and not database.exists()
    with services.session() as session:
        assert session.bind is not None
    assert database.exists()


def test_one_knowledge_base_per_directory_is_shared_by_every_services(tmp_path):
    one = Services.from_settings(Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}))
    two = Services.from_settings(Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"}))
    assert one.kb is two.kb is load_knowledge(one.settings.knowledge_dir, one.settings.seeds_dir)
    assert one.answerer is not two.answerer and one.answerer.kb is one.kb


def test_the_process_services_are_the_installed_ones_and_rebuilt_from_the_environment_after_a_reset(monkeypatch):
    monkeypatch.setenv("BANDIAN_LOOKUP_MAX_FAILURES", "3")
    first = current()
    assert current() is first and first.lookup_policy.max_failures == 3
    mine = Services.from_settings(Settings.from_env({"BANDIAN_LOOKUP_MAX_FAILURES": "9"}))
    install(mine)
    assert current() is mine and current().lookup_policy.max_failures == 9
    install(None)
    monkeypatch.setenv("BANDIAN_LOOKUP_MAX_FAILURES", "4")
    assert current() is not mine and current().lookup_policy.max_failures == 4


@pytest.mark.parametrize("field", ["sealer", "trust_key", "lookup_policy", "answerer"])
def test_each_service_is_built_once(field):
    services = Services.from_settings(Settings.from_env({"BANDIAN_SECRET_KEY": "k"}))
    assert getattr(services, field) is getattr(services, field)


HELPERS = ("identity", "conversation", "lookups", "change_slots", "gaps", "metrics", "readiness")


def test_actions_import_helper_modules_not_each_other():
    """actions/: thin Rasa adapters over the services; what several share lives in helper modules (no actions)."""
    wrong = []
    for path in sorted((ROOT / "actions").glob("*.py")):
        for name in imports(path):
            if name.startswith("actions.") and name.split(".")[1] not in HELPERS:
                wrong.append(f"actions/{path.name} imports {name}")
    helpers_with_actions = [name for name in HELPERS
                            if "(Action" in (ROOT / "actions" / f"{name}.py").read_text(encoding="utf-8")
                            or "(FormValidationAction" in (ROOT / "actions" / f"{name}.py").read_text(encoding="utf-8")]
    assert wrong == [] and helpers_with_actions == []
