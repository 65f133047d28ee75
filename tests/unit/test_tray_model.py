"""The tray's view of the status document: icon state, badge, tooltip and menu."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from agent.i18n import set_language
from tray import model
from tray.model import MenuEntry, build_view, find, pick_child, walk


@pytest.fixture(autouse=True)
def _english() -> Any:
    set_language("en", thread_only=True)
    yield
    set_language("en", thread_only=True)


def row(
    id: str,
    title: str,
    *,
    kind: str = "app",
    left: int | None = 1380,
    limit: int | None = 3600,
    bonus: int = 0,
    state: str = "ok",
    reason: str | None = None,
    until: str | None = None,
    active: bool = False,
) -> dict[str, Any]:
    used = 0 if limit is None or left is None else max(0, limit + bonus - left)
    return {
        "id": id,
        "kind": kind,
        "title": title,
        "used_seconds": used,
        "limit_seconds": limit,
        "bonus_seconds": bonus,
        "left_seconds": left,
        "state": state,
        "reason": reason,
        "until": until,
        "active": active,
    }


def doc(*limits: dict[str, Any], paused: bool = False, name: str = "An") -> dict[str, Any]:
    return {
        "day": "2026-11-23",
        "agent": {"running": True, "version": "0.1.0", "config_error": None},
        "children": [{"name": name, "running": [], "paused": paused, "limits": list(limits)}],
    }


def labels(entries: tuple[MenuEntry, ...]) -> list[str]:
    return [e.label for e in entries]


def test_ok_view_shows_minutes_child_and_a_line_per_limit() -> None:
    view = build_view(
        doc(row("minecraft", "Minecraft", left=23 * 60), row("total", "Total", kind="total")),
        child="An",
    )
    assert view.state == "ok"
    assert view.badge == "23"
    assert view.tooltip == "An: 23 min left (Minecraft)"
    assert labels(view.menu)[:3] == [
        "An — time left today",
        "Minecraft — 23 min left",
        "Total screen time — 23 min left",
    ]
    assert 0.3 < view.fraction < 0.4  # 23 of 60 minutes


def test_menu_has_ask_parent_help_and_about_in_order() -> None:
    view = build_view(doc(row("minecraft", "Minecraft")), child="An")
    top = [e for e in view.menu if not e.is_separator]
    assert labels(tuple(top))[-4:] == ["Ask for more time…", "Parent", "Help", "About monitoring"]
    assert top[-4].action == model.ASK
    parent = top[-3]
    assert [e.action for e in parent.children if not e.is_separator][:4] == [
        "grant:15",
        "grant:30",
        "grant:60",
        model.PAUSE,
    ]
    assert find(view.menu, model.DASHBOARD) is not None
    assert find(view.menu, model.REPORT) is not None
    assert find(view.menu, model.LOGOUT) is None  # no parent session yet
    call = find(view.menu, model.HELP_111)
    assert call is not None and "111" in call.label
    assert "Tổng đài quốc gia bảo vệ trẻ em" in call.label
    assert find(view.menu, model.HELP_TIPS) is not None
    assert find(view.menu, model.ABOUT) is not None


def test_set_a_daily_limit_offers_each_limit_and_checks_the_current_one() -> None:
    view = build_view(
        doc(row("minecraft", "Minecraft", limit=3600), row("games", "Games", kind="category")),
        child="An",
    )
    parent = next(e for e in view.menu if e.label == "Parent")
    limits = next(e for e in parent.children if e.label == "Set a daily limit")
    assert labels(limits.children) == ["Minecraft", "Games"]
    choices = limits.children[0].children
    assert [c.action for c in choices] == [f"limit:minecraft:{m}" for m in model.LIMIT_CHOICES]
    assert [c.label for c in choices if c.checked] == ["1 h 00 min"]


def test_warning_view_is_amber_with_few_minutes() -> None:
    view = build_view(doc(row("minecraft", "Minecraft", left=5 * 60, state="warning")))
    assert view.state == "warning"
    assert view.badge == "5"
    assert "Minecraft — 5 min left" in labels(view.menu)


def test_blocked_in_use_shows_until_when() -> None:
    games = row(
        "games",
        "Games",
        kind="category",
        left=0,
        state="blocked",
        reason="window",
        until="2026-11-24T08:00+07:00",
        active=True,
    )
    view = build_view(doc(games, row("total", "Total", kind="total")), child="An")
    assert view.state == "blocked"
    assert view.badge == ""
    assert view.fraction == 0.0
    assert "Games — blocked until 08:00" in labels(view.menu)
    assert view.tooltip == "An: Games blocked until 08:00"


def test_blocked_total_is_blocked_even_when_nothing_runs() -> None:
    total = row("total", "Total", kind="total", left=0, state="blocked", reason="budget")
    view = build_view(doc(total))
    assert view.state == "blocked"
    assert "Total screen time — blocked today" in labels(view.menu)


def test_blocked_far_ahead_names_the_date() -> None:
    line = model.limit_line(
        row("games", "Games", state="blocked", until="2026-11-26T08:00+07:00"),
        today=dt.date(2026, 11, 23),
    )
    assert line == "Games — blocked until 26 Nov 2026 08:00"


def test_paused_view_is_distinct_and_offers_resume() -> None:
    view = build_view(doc(row("minecraft", "Minecraft"), paused=True))
    assert view.state == "paused"
    assert view.badge == ""
    assert view.menu[0].label == "An — limits paused today"
    assert view.tooltip == "An: limits paused today"
    assert find(view.menu, model.RESUME) is not None
    assert find(view.menu, model.PAUSE) is None


def test_unreachable_view_is_grey_with_help_but_no_parent_actions() -> None:
    view = build_view(None)
    assert view.state == "unreachable"
    assert view.badge == "?"
    assert view.tooltip == "PlayClock: the agent cannot be reached"
    actions = {e.action for e in walk(view.menu)}
    assert {model.REFRESH, model.HELP_111, model.HELP_TIPS, model.ABOUT} <= actions
    assert "grant:15" not in actions


def test_no_limits_shows_infinity() -> None:
    view = build_view(doc(row("calc", "Calculator", left=None, limit=None)))
    assert view.state == "ok"
    assert view.badge == "∞"
    assert "Calculator — no limit" in labels(view.menu)
    assert view.tooltip == "An: no time limits now"


def test_parent_session_adds_lock_entry() -> None:
    view = build_view(doc(row("minecraft", "Minecraft")), parent=True)
    assert view.parent
    assert find(view.menu, model.LOGOUT) is not None


def test_badge_text() -> None:
    assert model.badge_text(None) == "∞"
    assert model.badge_text(59) == "1"  # time left rounds up (issue 14, item 7)
    assert model.badge_text(99 * 60) == "99"
    assert model.badge_text(99 * 60 + 1) == "1h"
    assert model.badge_text(100 * 60) == "1h"
    assert model.badge_text(185 * 60) == "3h"
    assert model.badge_text(-5) == "0"


def test_views_differ_when_the_minutes_differ() -> None:
    a = build_view(doc(row("m", "M", left=23 * 60)))
    b = build_view(doc(row("m", "M", left=5 * 60)))
    assert a != b
    assert a == build_view(doc(row("m", "M", left=23 * 60)))


def test_pick_child_by_account_then_name_then_first() -> None:
    two = {
        "day": "2026-11-23",
        "children": [
            {"name": "An", "limits": []},
            {"name": "Binh", "limits": []},
        ],
    }
    assert pick_child(two, "binh-pc", {"An": ["an"], "Binh": ["binh-pc"]}) == "Binh"
    assert pick_child(two, "BINH") == "Binh"
    assert pick_child(two, "someone") == "An"
    assert pick_child({"children": []}, "an") is None
    listed = {"day": "2026-11-23", "children": [{"name": "An", "accounts": ["x"]}, {"name": "B"}]}
    assert pick_child(listed, "x") == "An"
