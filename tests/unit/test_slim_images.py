"""The action server and the web app run without Rasa and TensorFlow: the `actions` and `web` images of
deploy/Dockerfile are python:3.10-slim with requirements-slim.txt only (rasa_sdk, aiohttp, …).

Checked three ways: importing what those processes import leaves `rasa` and `tensorflow` out of
sys.modules; every third-party module their code can import (at the top or inside a function) is installed
by requirements-slim.txt or its dependencies; and the images, Docker Compose and Kubernetes use them.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
SLIM = ROOT / "requirements-slim.txt"
FORBIDDEN = ("rasa", "tensorflow")  # top-level packages (rasa_sdk is another one)
OWN = ("actions", "bot", "rasa_sdk_plugins")
# What those processes import: every module of actions/ (rasa_sdk imports them all), the plug-ins,
# the web app (python -m bot.web) and deploy/init_db.py (the slim images run it as an init step).
ROOTS = ("actions", "rasa_sdk_plugins", "bot.web", "bot.web.__main__", "bot.web.app")
SCRIPTS = (ROOT / "deploy" / "init_db.py",)
# Needed at run time without an import statement: cpca's data file (bot/reading/places.py locates the
# package, never imports it) and SQLAlchemy's PostgreSQL driver (DATABASE_URL=postgresql+psycopg2://…).
NOT_IMPORTED = {"cpca": "cpca", "psycopg2": "psycopg2-binary"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """name -> version of the `name==version` lines of a requirements or constraints file."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            specifiers = list(requirement.specifier)
            found[canonical(requirement.name)] = specifiers[0].version if len(specifiers) == 1 else ""
    return found


# ---------------------------------------------------------------- what the processes import

PROBE = """
import json, sys
from rasa_sdk.executor import ActionExecutor
executor = ActionExecutor()
executor.register_package("actions")  # as `rasa run actions` / `python -m rasa_sdk --actions actions`
import pluggy
from rasa_sdk import plugin
from sanic import Sanic
import rasa_sdk_plugins
manager = pluggy.PluginManager("rasa_sdk")
manager.add_hookspecs(plugin)
rasa_sdk_plugins.init_hooks(manager)
manager.hook.attach_sanic_app_extensions(app=Sanic("slim_probe"))
import bot.web
from bot.web.app import create_app, main
print(json.dumps({"actions": sorted(executor.actions), "modules": sorted(sys.modules)}))
"""


def test_the_action_server_and_the_web_app_import_neither_rasa_nor_tensorflow(tmp_path: Path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BANDIAN_", "SANIC_"))}
    env.update({"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.db'}",
                "BANDIAN_ACTIONS_TOKEN": "probe", "SANIC_HOST": "127.0.0.1"})
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"action_answer", "validate_booking_form"} <= set(result["actions"])  # the package was imported
    modules = set(result["modules"])
    assert {"rasa_sdk", "actions.qa", "rasa_sdk_plugins", "bot.action_token", "bot.web.app"} <= modules
    loaded = sorted(name for name in modules if name.split(".")[0] in FORBIDDEN)
    assert not loaded, loaded[:20]


def module_file(name: str) -> Path | None:
    path = ROOT.joinpath(*name.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def imported_names(path: Path, package: str) -> set[str]:
    """Every module name an import statement of the file names, at any depth (lazy imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def third_party_imports() -> dict[str, set[str]]:
    """Top-level third-party module -> the project modules that import it, from ROOTS and SCRIPTS on."""
    found: dict[str, set[str]] = {}
    seen: set[str] = set()
    todo: list[tuple[str, Path, str]] = []  # (name, file, package)

    def visit(name: str) -> None:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
            prefix = ".".join(parts[:end])
            path = module_file(prefix)
            if path is None or prefix in seen:
                continue
            seen.add(prefix)
            todo.append((prefix, path, prefix if path.name == "__init__.py" else prefix.rpartition(".")[0]))
            if prefix == "actions":
                for child in sorted(path.parent.glob("*.py")):
                    if child.name != "__init__.py":
                        visit(f"actions.{child.stem}")

    for root in ROOTS:
        visit(root)
    for script in SCRIPTS:
        todo.append((str(script.relative_to(ROOT)), script, ""))
    while todo:
        name, path, package = todo.pop()
        for imported in imported_names(path, package):
            top = imported.split(".")[0]
            if top in OWN:
                visit(imported)
            elif top and top not in sys.stdlib_module_names and top != "__future__":
                found.setdefault(top, set()).add(name)
    return found


def distributions_of_modules() -> dict[str, set[str]]:
    """Top-level module -> the installed distributions that provide it (top_level.txt, else RECORD)."""
    provided: dict[str, set[str]] = {}
    for dist in metadata.distributions():
        tops = set((dist.read_text("top_level.txt") or "").split())
        if not tops:
            for file in dist.files or ():
                first = file.parts[0]
                if not first.endswith((".dist-info", ".egg-info", ".data")) and first not in ("..", "__pycache__"):
                    tops.add(first.removesuffix(".py"))
        for top in tops:
            provided.setdefault(top, set()).add(canonical(dist.metadata["Name"]))
    return provided


def closure(names: set[str]) -> set[str]:
    """The distributions `names` install, with their dependencies (no extras), as installed here."""
    installed, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in installed:
            continue
        installed.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonical(requirement.name))
    return installed


def test_requirements_slim_installs_every_module_the_two_can_import():
    imports = third_party_imports()
    assert {"rasa_sdk", "sanic", "aiohttp", "sqlalchemy", "jieba"} <= set(imports)  # the walk found them
    wrong = {top: sorted(users)[:3] for top, users in imports.items() if top in FORBIDDEN}
    assert not wrong, wrong
    slim = closure(set(pins(SLIM)))
    assert not {"rasa", "tensorflow", "tensorflow-cpu", "spacy"} & slim, sorted(slim)
    provided = distributions_of_modules()
    missing = {top: sorted(users)[:3] for top, users in imports.items()
               if not provided.get(top, set()) & slim}
    assert not missing, f"not installed by requirements-slim.txt: {missing}"
    for module, distribution in NOT_IMPORTED.items():
        assert canonical(distribution) in pins(SLIM), module
    assert "cpca" in (ROOT / "bot" / "reading" / "places.py").read_text(encoding="utf-8")


def test_requirements_slim_pins_what_the_full_install_pins():
    slim, constraints, full = pins(SLIM), pins(ROOT / "constraints.txt"), pins(ROOT / "requirements.txt")
    assert slim and all(slim.values()), "every line name==version"
    assert not {name for name in slim if name.split("-")[0] in FORBIDDEN} - {"rasa-sdk"}
    for name, version in slim.items():
        assert constraints.get(name) == version, f"{name}=={version}, constraints.txt: {constraints.get(name)}"
        if name in full:
            assert full[name] == version, f"{name}: requirements.txt pins {full[name]}"


# ---------------------------------------------------------------- the images


def stages() -> dict[str, tuple[str, str]]:
    """Dockerfile stage name -> (its FROM image, its instructions)."""
    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    found = {}
    parts = re.split(r"^FROM\s+", text, flags=re.MULTILINE)[1:]
    for part in parts:
        header, _, body = part.partition("\n")
        image, _, name = header.partition(" AS ")
        found[name.strip()] = (image.strip(), body)
    return found


def test_the_action_server_and_web_images_are_python_slim_without_rasa():
    found = stages()
    base, slim = found["slim"]
    assert re.fullmatch(r"python:3\.10-slim(-\w+)?", base), base
    assert "pip install -c constraints.txt -r requirements-slim.txt" in slim
    for name in ("slim", "actions", "web"):
        body = found[name][1]
        assert not re.search(r"(?<![-\w])requirements\.txt", body), name
        assert "models/" not in body and "rasa run" not in body, name
    assert found["actions"][0] == "slim" and found["web"][0] == "slim"
    assert '"python", "-m", "rasa_sdk", "--actions", "actions"' in found["actions"][1]
    assert "COPY rasa_sdk_plugins/" in found["actions"][1] and "SANIC_HOST=0.0.0.0" in found["actions"][1]
    assert '"python", "-m", "bot.web"' in found["web"][1]
    assert list(found)[-1] == "bandian"  # the default target (no --target) stays the Rasa image


def test_compose_and_kubernetes_run_the_slim_images():
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    for name, target in (("actions-1", "actions"), ("actions-2", "actions"), ("web-1", "web"), ("web-2", "web")):
        assert services[name]["build"]["target"] == target and services[name]["image"] == f"bandian-{target}:latest"
        assert services[name]["environment"]["BANDIAN_ACTIONS_TOKEN"].startswith("${BANDIAN_ACTIONS_TOKEN:?")
    assert services["actions-1"]["command"][:3] == ["python", "-m", "rasa_sdk"]
    assert services["rasa-1"]["build"]["target"] == "bandian"
    actions = yaml.safe_load((ROOT / "deploy" / "k8s" / "values-action-server.yaml").read_text(encoding="utf-8"))
    assert actions["image"]["repository"].endswith("/bandian-actions")
    assert [actions["command"][0], *actions["args"][:2]] == ["python", "-m", "rasa_sdk"]
    env = {entry["name"]: entry for entry in actions["extraEnv"]}
    assert env["BANDIAN_ACTIONS_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "actions-token"
    web = next(yaml.safe_load_all((ROOT / "deploy" / "k8s" / "web.yaml").read_text(encoding="utf-8")))
    pod = web["spec"]["template"]["spec"]
    assert {c["image"].rpartition(":")[0] for c in pod["containers"] + pod["initContainers"]} == \
        {"registry.example.com/bandian-web"}


def test_the_image_build_context_has_the_requirements():
    ignored = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert SLIM.is_file() and SLIM.name not in ignored and "constraints.txt" not in ignored
