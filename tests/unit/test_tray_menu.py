"""The menu as pystray builds it (dummy backend, no display), the app's wiring, the panel plan."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import pytest

from agent.api_client import AgentUnavailable
from agent.i18n import set_language
from tray import model
from tray.model import build_view
from tray.panel import CLOSE, focus_order, plan


def _dummy_pystray() -> Any:
    """pystray with its dummy backend (chosen at import, so the variable is set first)."""
    loaded = sys.modules.get("pystray")
    if loaded is not None:
        if loaded.Icon.__module__ != "pystray._dummy":
            pytest.skip("pystray was already imported with a real backend")
        return loaded
    old = os.environ.get("PYSTRAY_BACKEND")
    os.environ["PYSTRAY_BACKEND"] = "dummy"
    try:
        return importlib.import_module("pystray")
    finally:
        if old is None:
            del os.environ["PYSTRAY_BACKEND"]
        else:
            os.environ["PYSTRAY_BACKEND"] = old


pystray = _dummy_pystray()


@pytest.fixture(autouse=True)
def _english() -> Any:
    set_language("en", thread_only=True)
    yield


def status(left: int = 23 * 60, paused: bool = False) -> dict[str, Any]:
    rows = [
        {
            "id": "minecraft",
            "kind": "app",
            "title": "Minecraft",
            "used_seconds": 3600 - left,
            "limit_seconds": 3600,
            "bonus_seconds": 0,
            "left_seconds": left,
            "state": "ok",
            "reason": None,
            "until": None,
            "active": True,
        }
    ]
    return {
        "day": "2026-11-23",
        "agent": {"running": True},
        "children": [{"name": "An", "running": [], "paused": paused, "limits": rows}],
    }


def texts(menu: Any) -> list[str]:
    return [item.text for item in menu]


def test_pystray_menu_mirrors_the_model() -> None:
    from tray.app import to_pystray

    view = build_view(status(), child="An")
    ran: list[str] = []
    menu = to_pystray(view.menu, ran.append)
    visible = [e for e in view.menu if not e.is_separator]
    assert [t for t in texts(menu) if t != "- - - -"] == [e.label for e in visible]
    first = next(iter(menu))
    assert first.text == "An — time left today" and not first.enabled
    parent = next(item for item in menu if item.text == "Parent")
    assert parent.submenu is not None
    plus15 = next(item for item in parent.submenu if item.text == "+15 min")
    icon = pystray.Icon("test")
    plus15(icon)
    help_menu = next(item for item in menu if item.text == "Help")
    call = next(iter(help_menu.submenu))
    call(icon)
    assert ran == ["grant:15", model.HELP_111]


def test_checked_limit_choice_is_checked_in_pystray() -> None:
    from tray.app import to_pystray

    menu = to_pystray(build_view(status(), child="An").menu, lambda a: None)
    parent = next(item for item in menu if item.text == "Parent")
    limits = next(item for item in parent.submenu if item.text == "Set a daily limit")
    minecraft = next(iter(limits.submenu))
    assert [(i.text, i.checked) for i in minecraft.submenu][:2] == [
        ("30 min", None),
        ("1 h 00 min", True),
    ]


class FakeClient:
    def __init__(self, docs: list[dict[str, Any] | None]) -> None:
        self.docs = docs
        self.token: str | None = None

    def status(self) -> dict[str, Any]:
        doc = self.docs.pop(0) if len(self.docs) > 1 else self.docs[0]
        if doc is None:
            raise AgentUnavailable("down")
        return doc


def make_app(docs: list[dict[str, Any] | None]) -> Any:
    from tray.app import TrayApp

    return TrayApp(
        FakeClient(docs),  # type: ignore[arg-type]
        "http://127.0.0.1:7377",
        user="an",
        accounts={"An": ("an",)},
    )


def test_app_menu_has_a_hidden_default_that_opens_the_panel() -> None:
    app = make_app([status()])
    view = app.compute(app.fetch())
    opened: list[bool] = []
    app._open_panel = lambda: opened.append(True)
    menu = app._menu(view)
    assert "Open PlayClock" not in texts(menu)  # hidden: a left click runs it
    menu(pystray.Icon("test"))
    assert opened == [True]


def test_app_follows_the_agent_and_its_events() -> None:
    app = make_app([status(23 * 60), None, status(5 * 60)])
    notes: list[tuple[str, str]] = []
    app.notify = lambda title, text: notes.append((title, text))
    app.update()
    assert (app.child, app.view.badge, app.view.state) == ("An", "23", "ok")
    assert app.actions.titles == {"minecraft": "Minecraft"}
    app.update()
    assert app.view.state == "unreachable"
    app.update()
    assert app.view.badge == "5"
    app.on_event({"kind": "reminder", "child": "An", "target": "games", "detail": {}})
    assert notes == [("Health reminder", "Playing more than 180 minutes a day harms your health")]
    assert app._wake.is_set()


def test_panel_plan_puts_short_actions_side_by_side_and_groups_submenus() -> None:
    rows = plan(build_view(status(), child="An").menu)
    kinds = [r.kind for r in rows]
    assert kinds[:2] == ["text", "text"]
    assert rows[0].text == "An — time left today"
    parent = next(r for r in rows if r.kind == "group" and r.text == "Parent")
    grants = parent.rows[0]
    assert grants.kind == "buttons"
    assert [a for _label, a in grants.buttons] == ["grant:15", "grant:30", "grant:60"]
    limits = next(r for r in parent.rows if r.text == "Set a daily limit")
    assert limits.kind == "group"
    assert limits.rows[0].text == "Minecraft"
    assert limits.rows[0].buttons[1] == ("✓ 1 h 00 min", "limit:minecraft:60")
    help_group = next(r for r in rows if r.text == "Help")
    assert [a for r in help_group.rows for _l, a in r.buttons] == [
        model.HELP_111,
        model.HELP_TIPS,
    ]


def test_panel_focus_order_follows_the_menu() -> None:
    order = focus_order(plan(build_view(status(), child="An").menu))
    assert order[:4] == [model.ASK, "grant:15", "grant:30", "grant:60"]
    assert order[-2:] == [model.ABOUT, CLOSE]
    assert len(order) == len(set(order))


def test_the_action_worker_starts_with_the_first_action_and_stops_with_the_tray() -> None:
    app = make_app([status()])
    done: list[str] = []
    app._worker.run_action = done.append
    assert app._worker.ident is None  # no thread while nothing was clicked
    app.dispatch("refresh")
    app.dispatch("about")
    app.shutdown()
    app._worker.join(5)
    assert done == ["refresh", "about"] and not app._worker.is_alive()
    app.dispatch("late")  # after the end: queued, no second thread
