"""The core in rules/ stays pure: no I/O modules, no clock, no files."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "rules"
SOURCES = sorted(RULES.glob("*.py"))

FORBIDDEN = {
    "psutil", "sqlite3", "requests", "keyring", "socket", "subprocess", "os", "urllib", "http",
    "time", "threading", "pathlib", "io", "shutil", "sys", "asyncio", "multiprocessing",
    "zoneinfo", "platform", "logging", "random", "secrets", "importlib", "ctypes", "signal",
}
ALLOWED = {
    "datetime", "re", "fnmatch", "tomllib", "json", "dataclasses", "typing", "collections",
    "functools", "__future__", "rules",
    "copy", "textwrap",  # pure text and value helpers used by presets.py
}
CLOCK_ATTRS = {"now", "utcnow", "today", "monotonic", "perf_counter", "time_ns"}
BUILTINS = {"open", "input", "print", "exec", "eval", "__import__", "breakpoint"}
LOADED_BY_IO = ("psutil", "sqlite3", "requests", "keyring", "socket", "subprocess", "urllib3")


def imports(tree: ast.AST) -> set[str]:
    """Top-level names of every module a source imports."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            out.add("rules" if node.level else (node.module or "").split(".")[0])
    return out


def impure_uses(tree: ast.AST) -> list[str]:
    """Clock reads and I/O builtins, as `line: what`."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in CLOCK_ATTRS:
            found.append(f"{node.lineno}: .{node.attr}")
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "time"
            and isinstance(node.value, ast.Name)
            and node.value.id == "time"
        ):
            found.append(f"{node.lineno}: time.time")
        if isinstance(node, ast.Name) and node.id in BUILTINS:
            found.append(f"{node.lineno}: {node.id}")
    return found


def test_sources_found() -> None:
    """The check sees the whole core."""
    names = {p.name for p in SOURCES}
    assert {"config.py", "accounting.py", "decisions.py", "limits.py", "match.py", "timeutil.py",
            "model.py", "toml_writer.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_imports_are_pure(path: Path) -> None:
    """Only pure standard modules and the core itself are imported."""
    used = imports(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    assert used & FORBIDDEN == set()
    assert used <= ALLOWED, sorted(used - ALLOWED)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_clock_or_file_access(path: Path) -> None:
    """No datetime.now, date.today, time.time, open(...) and the like."""
    assert impure_uses(ast.parse(path.read_text(encoding="utf-8"), str(path))) == []


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("import os\n", {"os"}),
        ("from os import path\n", {"os"}),
        ("import urllib.request\n", {"urllib"}),
        ("from . import engine\n", set()),
        ("import datetime as dt\n", set()),
    ],
    ids=["import", "from-import", "dotted", "relative", "allowed"],
)
def test_import_check_catches_forbidden(source: str, flagged: set[str]) -> None:
    """The import scan itself finds what it must."""
    assert imports(ast.parse(source)) & FORBIDDEN == flagged


@pytest.mark.parametrize(
    "source",
    [
        "x = dt.datetime.now()\n",
        "x = datetime.now(tz)\n",
        "x = dt.date.today()\n",
        "import time\nx = time.time()\n",
        "with open('f') as f: pass\n",
        "def f(clock=dt.datetime.now): pass\n",
    ],
    ids=["datetime-now", "now-tz", "date-today", "time-time", "open", "now-as-default"],
)
def test_clock_check_catches_reads(source: str) -> None:
    """The clock scan itself finds what it must."""
    assert impure_uses(ast.parse(source)) != []


def test_importing_the_core_loads_no_io_library() -> None:
    """A fresh interpreter importing every core module has no I/O library in sys.modules."""
    modules = ", ".join(f"rules.{p.stem}" for p in SOURCES if p.stem != "__init__")
    code = (
        f"import json, sys\nimport rules, {modules}\n"
        f"print(json.dumps([m for m in {list(LOADED_BY_IO)!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=RULES.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
