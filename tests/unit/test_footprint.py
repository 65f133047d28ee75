"""A light agent and a quiet tray (issue 15): what each process loads, and when they wake."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.i18n import LOCALE_DIR, compile_po
from agent.ledger.memory import MemoryLedger
from agent.ledger.store import EventKind
from agent.service.agent import Agent
from agent.service.clock import TrustedClock
from agent.service.closer import CloseAction
from agent.service.rules_file import ConfigSource
from agent.testing import FakeSource
from rules.model import ProcessInfo

ROOT = Path(__file__).resolve().parents[2]
TZ = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2026, 11, 23, 20, 0, 0, tzinfo=TZ)

RULES = """\
version = 1

[apps.fakegame]
title = "Fake Game"
names = ["fakegame"]

[[child]]
name = "An"
accounts = ["an"]

[child.limits.fakegame]
daily = 10
"""

# Modules the running agent must not load unless their feature is used.
AGENT_NEVER = (
    "requests", "urllib3", "jinja2", "babel", "keyring", "secretstorage", "sync.client",
    "sync.transport", "agent.reports", "installer", "playclock.cli.sync",
    "playclock.cli.report", "fastapi", "pydantic", "pydantic_core",
)  # fmt: skip
# Never in the agent, whatever is used: its API and dashboard are plain Starlette (the hub
# alone is FastAPI); FastAPI and pydantic were ~20 MiB of its memory (issue 15).
AGENT_NEVER_SERVING = ("fastapi", "pydantic", "pydantic_core", "sync.hub")
TRAY_NEVER = (
    "requests", "urllib3", "babel", "psutil", "sqlite3", "fastapi", "keyring", "ssl", "_hashlib",
    "http.client", "email",
)  # fmt: skip


def _loaded(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def _heavy(loaded: set[str], never: tuple[str, ...]) -> list[str]:
    return sorted(n for n in never if any(m == n or m.startswith(n + ".") for m in loaded))


def test_the_agent_loads_only_what_it_runs(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    loaded = _loaded(
        f"""
from pathlib import Path
from playclock.cli.parser import build_parser
build_parser("agent")
from agent.api.app import create_app
from agent.api.context import ApiContext
from playclock.compose import build
runtime = build(Path({str(rules)!r}), Path({str(tmp_path / "data")!r}))
runtime.agent.start()
runtime.agent.tick()
create_app(ApiContext(runtime.agent, runtime.pins, 1), runtime.extensions)
runtime.agent.status()
runtime.sync()
runtime.ledger.close()
"""
    )
    assert _heavy(loaded, AGENT_NEVER) == []


def test_the_agent_serves_its_api_and_dashboard_without_fastapi_or_pydantic(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    loaded = _loaded(
        f"""
import warnings
from pathlib import Path
from agent.api.app import create_app
from agent.api.context import ApiContext
from playclock.compose import build
runtime = build(Path({str(rules)!r}), Path({str(tmp_path / "data")!r}))
runtime.agent.start()
app = create_app(ApiContext(runtime.agent, runtime.pins, 7377), runtime.extensions)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
client = TestClient(app, base_url="http://127.0.0.1:7377", client=("127.0.0.1", 50000))
answers = [
    client.get("/api/v1/status").status_code,
    client.get("/api/v1/events", params={{"wait": 0, "run": "x" * 65}}).status_code,
    client.post("/api/v1/grants", json={{"child": "An", "minutes": 5}}).status_code,
    client.post("/api/v1/requests", json={{"child": "An", "minutes": 999}}).status_code,
    client.get("/api/v1/openapi.json").status_code,
    client.get("/api/v1/sync").status_code,
    client.get("/").status_code,
    client.get("/login").status_code,
]
assert answers == [200, 422, 401, 422, 200, 200, 200, 200], answers
runtime.ledger.close()
"""
    )
    assert _heavy(loaded, AGENT_NEVER_SERVING) == []


def test_the_tray_loads_neither_http_library_nor_psutil(tmp_path: Path) -> None:
    loaded = _loaded(
        """
from playclock.cli.parser import build_parser
build_parser("tray")
import tray.app, tray.panel, tray.pindialog, tray.tk_windows, tray.tkhost, tray.notify
from agent.service.rules_file import sha256_hex
from tray.idle import idle_reader
sha256_hex(b"rules")
idle_reader({})
""",
        {"PYSTRAY_BACKEND": "dummy"},
    )
    assert _heavy(loaded, TRAY_NEVER) == []


# What the running tray (the fresh process `playclock tray` becomes) must not load: the
# command line, the rules checker and platformdirs stay in the process that checked them; the
# panel, ttk and a browser come when used; no IDNA, Unicode database or ctypes on X11.
TRAY_RUNNING_NEVER = (
    *TRAY_NEVER, "argparse", "playclock.cli.common", "playclock.cli.parser", "rules.model",
    "rules.config", "rules.checker", "rules.catalog", "rules.presets", "agent.service.rules_file",
    "platformdirs", "tomllib", "tempfile", "getpass", "tray.panel", "tray.pindialog",
    "tkinter.ttk", "webbrowser", "ctypes", "unicodedata", "encodings.idna",
)  # fmt: skip


def test_the_running_tray_loads_only_the_tray(tmp_path: Path) -> None:
    loaded = _loaded(
        """
import playclock.cli, playclock.cli.tray_run
import tray.app, tray.tk_windows, tray.tkhost, tray.idle, tray.backend, tray.notify
from agent.api_client import AgentClient, AgentUnavailable
from agent.i18n import _
from tray.icon import draw_icon
from tray.model import build_view
from tray.notify import notice_for
from tray.xorg import ascii_fold
try:
    AgentClient("http://127.0.0.1:9").status()
except AgentUnavailable:
    pass
view = build_view(None)
draw_icon(view, 64)
ascii_fold(view.tooltip + " · 23 min")
notice_for({"kind": "warning", "target": "total", "detail": {"left_seconds": 300}}, None)
tray.idle.idle_reader({"DISPLAY": ""})
""",
        {"PYSTRAY_BACKEND": "dummy", "LANGUAGE": "en"},
    )
    assert _heavy(loaded, TRAY_RUNNING_NEVER) == []


def test_every_other_command_is_still_there() -> None:
    from playclock.cli.parser import build_parser, command_of

    assert command_of(["--config", "agent", "status", "--json"]) == "status"
    assert command_of(["--conf", "run", "report"]) == "report"
    assert command_of(["--data-dir=x", "tray"]) == "tray"
    assert command_of(["--help"]) is None
    full = build_parser().format_help()
    for command in ("run", "agent", "tray", "status", "rules", "pin", "report", "sync", "hub"):
        assert command in full
    assert build_parser("agent").parse_args(["agent"]).command == "agent"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_catalogs_compile_without_babel_as_babel_does(lang: str) -> None:
    import gettext
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = LOCALE_DIR / lang / "LC_MESSAGES" / "playclock.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    ours = gettext.GNUTranslations(io.BytesIO(compile_po(po.read_text(encoding="utf-8"))))
    theirs = gettext.GNUTranslations(buf)
    assert ours._catalog == theirs._catalog  # type: ignore[attr-defined]
    assert ours.plural(5) == theirs.plural(5)  # type: ignore[attr-defined]


def test_fuzzy_obsolete_and_untranslated_entries_are_left_out() -> None:
    import gettext
    import io

    po = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        '#, fuzzy\nmsgid "a"\nmsgstr "A"\n\nmsgctxt "c"\nmsgid "b"\nmsgstr "B"\n\n'
        '#~ msgid "old"\n#~ msgstr "OLD"\n\nmsgid "x"\nmsgstr ""\n\n'
        'msgid "q \\"quoted\\""\nmsgstr ""\n"two "\n"lines"\n'
    )
    t = gettext.GNUTranslations(io.BytesIO(compile_po(po)))
    assert t.gettext("a") == "a" and t.gettext("x") == "x" and t.gettext("old") == "old"
    assert t.pgettext("c", "b") == "B"
    assert t.gettext('q "quoted"') == "two lines"


# -- the agent tells the trays when what they show changes --------------------------------------


class _Closer:
    def close(self, pid: int, create_time: float, *_key: Any) -> list[CloseAction]:
        return []

    def step(self, now: float) -> list[CloseAction]:
        return []


def test_a_status_cue_when_what_a_tray_shows_changes(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(RULES, encoding="utf-8")
    wall, steady = [START.timestamp()], [1000.0]
    procs = FakeSource()
    ledger = MemoryLedger()
    agent = Agent(
        ConfigSource(tmp_path / "rules.toml"),
        ledger,
        lambda _accounts: procs,
        lambda _grace: _Closer(),
        TrustedClock(TZ, wall=lambda: wall[0], steady=lambda: steady[0]),
        lambda: steady[0],
    )
    agent.start()

    def run(seconds: int) -> list[dict[str, Any]]:
        before = agent.bus.last_id
        for _ in range(seconds):
            wall[0] += 1
            steady[0] += 1
            agent.tick()
        return [e for e in agent.bus.since(before) if e["kind"] == EventKind.STATUS]

    assert run(3) == []  # nothing changes while nothing runs
    procs.add(ProcessInfo(pid=7, name="fakegame", exe="/opt/fakegame", user="an", create_time=1.0))
    (cue,) = run(1)  # the game started: 10 min become 9 min 59 s
    assert cue["child"] == "An" and cue["id"] is None
    assert run(30) == []  # the same minutes left: no cue
    assert len(run(40)) == 2  # 9 min left on the minute, then 8 min 59 s
    assert all(e.kind != EventKind.STATUS for e in ledger.events())  # not in the ledger


# -- the tray draws only what changed --------------------------------------------------------------


class _Icon:
    HAS_MENU = False
    HAS_NOTIFICATION = False

    def __init__(self) -> None:
        self.images = 0
        self.titles: list[str] = []

    @property
    def icon(self) -> None:
        return None

    @icon.setter
    def icon(self, _image: Any) -> None:
        self.images += 1

    @property
    def title(self) -> str:
        return self.titles[-1]

    @title.setter
    def title(self, text: str) -> None:
        self.titles.append(text)


def test_the_tray_draws_its_icon_only_when_it_changes() -> None:
    from dataclasses import replace

    from tray.app import TrayApp
    from tray.model import build_view

    app = TrayApp(object(), "http://127.0.0.1:9", user="an")  # type: ignore[arg-type]
    app.icon = icon = _Icon()
    app.ready.set()
    view = build_view(None)
    app._apply(view)
    app._apply(replace(view, tooltip="another tooltip"))
    app._apply(replace(view, tooltip="another tooltip"))
    assert icon.images == 1 and icon.titles == [view.tooltip, "another tooltip"]
    app._apply(replace(view, badge="9"))
    assert icon.images == 2
