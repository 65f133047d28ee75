"""The package plan: imports point one way, from the command down to the pure core.

    playclock/                      the command, the CLI, the composition root
    tray, sync, installer,          features (each on its own; the dashboard may use the API's
      agent.api, agent.dashboard,     context and the reports)
      agent.reports, sync.hub
    agent.service                   the running agent
    agent.ledger, agent.platform,   base services
      agent.security, agent.i18n, …
    rules                           the pure core (tests/unit/test_purity.py keeps it pure)

Every import counts, at the top of a module or inside a function; so do module paths in
strings (`"pkg.mod:func"`, `importlib.import_module`), which this plan has none of.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("playclock", "tray", "sync", "installer", "agent", "rules")

# Longest prefix wins.
LAYERS: dict[str, int] = {
    "playclock": 4,
    "tray": 3,
    "sync": 3,
    "sync.hub": 3,
    "installer": 3,
    "agent.api": 3,
    "agent.dashboard": 3,
    "agent.reports": 3,
    "agent.service": 2,
    "agent": 1,  # the package itself, exit codes, the test fakes
    "agent.api_client": 1,
    "agent.ledger": 1,
    "agent.platform": 1,
    "agent.security": 1,
    "agent.i18n": 1,
    "rules": 0,
}
# Features stand on their own; these are the uses of one feature by another.
FEATURE_USES = {
    ("agent.dashboard", "agent.api"),  # pages are served with the API's context and sessions
    ("agent.dashboard", "agent.reports"),  # the report page
}
FEATURES = (
    "tray", "sync.hub", "sync", "installer", "agent.api", "agent.dashboard", "agent.reports"
)
PATH_IN_STRING = re.compile(
    r"""["'](?:playclock|tray|sync|installer|agent|rules)(?:\.\w+)+(?::\w+)?["']"""
)


@dataclass(frozen=True)
class Violation:
    """One import that breaks the plan."""

    module: str
    line: int
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: imports {self.imported}: {self.why}"


def _prefix(module: str, table: dict[str, int] | tuple[str, ...]) -> str | None:
    best = None
    for p in table:
        if (module == p or module.startswith(p + ".")) and (best is None or len(p) > len(best)):
            best = p
    return best


def layer_of(module: str) -> int | None:
    """The layer of a module of ours, None for anything else."""
    p = _prefix(module, LAYERS)
    return None if p is None else LAYERS[p]


def feature_of(module: str) -> str | None:
    """Which feature a module belongs to, if any."""
    return _prefix(module, FEATURES)


def imported_modules(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """(line, module) for every import, `from x import y` counted as x.y when y is a module."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            out.extend((node.lineno, f"{mod}.{a.name}") for a in node.names)
    return out


def _names_a_module(text: str) -> bool:
    return PATH_IN_STRING.fullmatch(repr(text)) is not None and text.partition(":")[0] in _modules()


def _modules() -> frozenset[str]:
    return frozenset(m for m, _p in sources()) | {"playclock.cli.run"}


def check_source(module: str, source: str, is_package: bool = False) -> list[Violation]:
    """Every way one module's source breaks the plan."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    mine = layer_of(module)
    assert mine is not None, module
    found: list[Violation] = []
    for line, name in imported_modules(tree, package):
        theirs = layer_of(name)
        if theirs is None:
            continue
        if theirs > mine:
            found.append(Violation(module, line, name, f"layer {mine} imports upward ({theirs})"))
            continue
        a, b = feature_of(module), feature_of(name)
        if theirs == mine == 3 and a != b and (a, b) not in FEATURE_USES:
            found.append(Violation(module, line, name, f"feature {a} uses feature {b}"))
        if b == "sync.hub" and not module.startswith(("sync.hub", "playclock")):
            found.append(Violation(module, line, name, "only the top layer may use the hub"))
        if a == "sync.hub" and b == "sync":
            found.append(Violation(module, line, name, "the hub uses the sync client"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _names_a_module(
            node.value
        ):
            found.append(Violation(module, node.lineno, node.value, "a module path in a string"))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Name, ast.Attribute))
            and getattr(node.func, "id", getattr(node.func, "attr", "")) in
            ("__import__", "import_module")
        ):
            found.append(Violation(module, node.lineno, "?", "an import by name at run time"))
    return found


@functools.cache
def sources() -> list[tuple[str, Path]]:
    """(module, path) of every production module."""
    out = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            out.append((".".join(parts), path))
    return out


def test_every_production_module_has_a_layer() -> None:
    """A new top-level package or agent subpackage must be placed in the plan first."""
    assert len(sources()) > 100
    assert [m for m, _p in sources() if layer_of(m) is None] == []


def test_imports_point_one_way() -> None:
    """No module imports a layer above its own, or another feature."""
    found = [
        str(v)
        for module, path in sources()
        for v in check_source(module, path.read_text(encoding="utf-8"), path.name == "__init__.py")
    ]
    assert found == []


@pytest.mark.parametrize(
    ("module", "source", "why"),
    [
        ("agent.ledger.sqlite", "from agent.service.agent import Agent\n", "upward"),
        ("rules.model", "def f():\n    import agent.platform\n", "upward"),
        ("agent.service.agent", "from playclock.compose import build\n", "upward"),
        ("tray.app", "from sync.client import SyncClient\n", "feature tray uses feature sync"),
        ("agent.api.app", "from agent import dashboard\n", "feature agent.api uses"),
        ("sync.client", "from sync.hub import app\n", "only the top layer"),
        ("sync.hub.app", "from sync.state import SyncStore\n", "the hub uses the sync client"),
        ("playclock.cli.parser", 'HANDLER = "playclock.cli.run:cmd_run"\n', "module path"),
        ("playclock.cli.parser", "import importlib\nimportlib.import_module(name)\n", "by name"),
    ],
)
def test_a_planted_violation_is_found(module: str, source: str, why: str) -> None:
    """The check fails on each kind of wrong import."""
    found = check_source(module, source)
    assert any(why in v.why for v in found), found


def test_allowed_imports_pass() -> None:
    """Down the layers, within a layer, and the dashboard's use of the API are fine."""
    ok = (
        "from agent.service.agent import Agent\nfrom agent.ledger.store import Event\n"
        "from rules.model import Config\nfrom agent.api.context import ApiContext\n"
    )
    assert check_source("agent.dashboard.pages", ok) == []
    assert check_source("playclock.compose", "from sync.hub import serve\n") == []
