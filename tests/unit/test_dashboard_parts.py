"""The dashboard's pure parts: form parsing, rule edits, event sentences, languages, weeks."""

from __future__ import annotations

import datetime as dt

import pytest

from agent.dashboard import rulesedit as edit
from agent.dashboard.event_lines import describe
from agent.dashboard.history import parse_week, week_text, with_bar
from agent.dashboard.language import _, language, pick_language, translations
from agent.dashboard.views import child_views, windows_text
from agent.dashboard.web import safe_next
from agent.i18n import current
from agent.ledger.store import Event
from rules.model import LimitSpec, Window
from tests.support.fakes import cfg

CONFIG = """
catalog = ["minecraft"]

[apps.fakegame]
title = "Fake game"
category = "games"
names = ["fakegame"]

[[child]]
name = "An"
accounts = ["an"]
always_allowed = ["fakegame"]

[child.limits.games]
daily = 60
days = { fri = 90 }
each = 30
allowed = ["08:00-20:00"]

[[child]]
name = "Bình"
accounts = ["binh"]
"""



def test_minutes_and_windows_from_forms() -> None:
    assert edit.parse_minutes(" 45 ", "Daily limit") == 45
    assert edit.parse_minutes("", "Daily limit") is None
    assert edit.parse_minutes("0", "Daily limit") == 0
    for bad in ("-5", "1441", "1.5", "lots"):
        with pytest.raises(edit.EditError, match="Daily limit: enter whole minutes"):
            edit.parse_minutes(bad, "Daily limit")
    assert edit.parse_windows("08:00-12:00, 14:00–20:30;22:00-02:00") == (
        Window(480, 720),
        Window(840, 1230),
        Window(1320, 120),
    )
    assert edit.parse_windows("  ") == ()
    with pytest.raises(edit.EditError, match="not 8-20"):
        edit.parse_windows("08:00-12:00, 8-20")
    assert edit.parse_list("a, b,\n a ,, c") == ("a", "b", "c")


def test_a_limit_edit_keeps_what_the_form_does_not_show() -> None:
    config = cfg(CONFIG)
    an = config.child("An")
    assert an is not None
    spec = edit.limit_spec(an, "games", 45, None, (Window(600, 1200),))
    assert spec == LimitSpec(
        key="games", daily=45, days=(("fri", 90),), allowed=(Window(600, 1200),), each=30
    )
    fresh = edit.limit_spec(an, "total", 100, 120, ())
    assert fresh == LimitSpec(key="total", daily=100, weekend=120)


def test_children_edits() -> None:
    config = cfg(CONFIG)
    added = edit.add_child(config, " Chi ", "chi", "2015", "vn-decree-147")
    chi = added.child("Chi")
    assert chi is not None and (chi.birth_year, chi.preset) == (2015, "vn-decree-147")
    with pytest.raises(edit.EditError, match="already belongs to An"):
        edit.add_child(config, "Chi", "AN", "", "")
    with pytest.raises(edit.EditError, match="Birth year"):
        edit.add_child(config, "Chi", "chi", "1800", "")
    with pytest.raises(edit.EditError, match="Unknown preset"):
        edit.add_child(config, "Chi", "chi", "", "nope")
    with pytest.raises(edit.EditError, match="at least one computer account"):
        edit.add_child(config, "Chi", " , ", "", "")
    with pytest.raises(edit.EditError, match="Give the child a name"):
        edit.add_child(config, "  ", "chi", "", "")
    same = edit.update_child(config, "an", "an, an2", "", "")
    assert same.child("An").accounts == ("an", "an2")  # type: ignore[union-attr]
    assert [c.name for c in edit.remove_child(config, "Bình").children] == ["An"]
    with pytest.raises(edit.EditError, match="no child named Zed"):
        edit.remove_child(config, "Zed")


def test_app_and_category_edits() -> None:
    config = cfg(CONFIG)
    with_roblox = edit.add_catalog_app(config, "roblox")
    roblox = with_roblox.app("roblox")
    assert roblox is not None and roblox.from_catalog and roblox.category == "games"
    assert with_roblox.catalog == ("minecraft", "roblox")
    with pytest.raises(edit.EditError, match="already used"):
        edit.add_catalog_app(config, "minecraft")
    with pytest.raises(edit.EditError, match="catalogue"):
        edit.add_catalog_app(config, "no-such-app")
    with pytest.raises(edit.EditError, match="Unknown category"):
        edit.add_custom_app(config, "x", "X", "nope", "x.exe")
    with pytest.raises(edit.EditError, match="process name"):
        edit.add_custom_app(config, "x", "X", "", " ")
    with pytest.raises(edit.EditError, match="already used"):
        edit.add_custom_app(config, "total", "X", "", "x")
    with pytest.raises(edit.EditError, match="remove it first"):
        edit.remove_app(config, "fakegame")  # An's always-allowed list names it
    assert edit.remove_app(config, "minecraft").catalog == ()
    renamed = edit.retitle_category(edit.add_category(config, "School", "Trường"), "school", "Học")
    assert renamed.category("school").title == "Học"  # type: ignore[union-attr]
    with pytest.raises(edit.EditError, match="title"):
        edit.retitle_category(config, "games", " ")
    with pytest.raises(edit.EditError, match="Unknown app"):
        edit.set_always_allowed(config, "An", ["ghost"])


def test_event_sentences() -> None:
    config = cfg(CONFIG)
    now = dt.datetime(2026, 11, 23, 17, 5, tzinfo=dt.UTC)

    def line(kind: str, target: str | None = None, **detail: object) -> str:
        return describe(Event(kind, now, now.date(), "An", target, detail), config)

    assert line("grant", "*", minutes=15) == "15 min of bonus time on all limits."
    assert line("close", "fakegame", reason="window") == "Fake game closed: outside allowed hours."
    assert line("warning", "games", minutes=5) == "Warning: 5 min left on Games."
    assert line("pin.try", result="wrong", failures=3) == (
        "Wrong parent PIN (wrong tries in a row: 3)."
    )
    assert line("rules_changed", key="total", child="An", limit=None) == (
        "Limit removed: Total screen time for An."
    )
    assert line("rules_changed", app_added="roblox") == "App added: roblox."
    assert line("something_new") == "Event: something_new"


def test_languages_pick_and_translate() -> None:
    assert pick_language("vi", "en") == "vi"
    assert pick_language("de", "vi") == "vi"
    assert pick_language(None, "en") == "en"
    words = translations("vi")
    assert words.gettext("Time left") == "Thời gian còn lại"
    assert words.gettext("Blocked") == "Bị chặn"
    assert words.gettext("Weekly report") == "Báo cáo hằng tuần"
    assert translations("en").gettext("Time left") == "Time left"
    before = current()
    with language("vi"):
        assert _("Games") == "Trò chơi"
        assert current() == "vi"
    assert current() == before



def test_local_redirects_only() -> None:
    assert safe_next("/rules#child-0") == "/rules#child-0"
    for bad in (None, "", "rules", "//evil.example", "/\\evil", "https://x", "/a\nb"):
        assert safe_next(bad, "/x") == "/x"


def test_weeks_and_windows() -> None:
    today = dt.date(2026, 11, 23)
    assert parse_week("2026-W01", today) == (2026, 1)
    assert parse_week("2026-W54", today) == (2026, 48)
    assert parse_week(None, today) == (2026, 48)
    assert week_text((2026, 3)) == "2026-W03"
    assert windows_text([Window(480, 1230), Window(1320, 0)]) == "08:00–20:30, 22:00–24:00"
    assert windows_text([Window(0, 0)]) == ""
    page = "<html><body class='x'><h1>Report</h1></body></html>"
    assert with_bar(page, "<nav>bar</nav>") == (
        "<html><body class='x'><nav>bar</nav><h1>Report</h1></body></html>"
    )


def test_child_views_from_a_status_document() -> None:
    config = cfg(CONFIG)
    status = {
        "day": "2026-11-23",
        "children": [
            {
                "name": "An",
                "running": ["fakegame", "gone"],
                "paused": False,
                "limits": [
                    {
                        "id": "games",
                        "kind": "category",
                        "title": "Games",
                        "used_seconds": 3900,
                        "limit_seconds": 3600,
                        "bonus_seconds": 600,
                        "left_seconds": 300,
                        "state": "blocked",
                        "reason": "budget",
                        "until": "2026-11-24T00:00+00:00",
                        "active": True,
                    }
                ],
            }
        ],
    }
    with language("en"):
        (an,) = child_views(status, config)
    assert an.running == ["Fake game", "gone"]
    (row,) = an.limits
    assert (row.budget, row.percent, row.state_label) == (4200, 93, "Blocked")
    assert row.detail.startswith("Time is up. Open again at 00:00 ")
    assert row.windows == "08:00–20:00"
    assert an.blocked


def test_a_lockout_episode_line_says_how_many_tries_were_refused() -> None:
    """Issue 12: one event per lockout episode, with the count of refused tries."""
    now = dt.datetime(2026, 11, 23, 17, 5, tzinfo=dt.UTC)
    detail = {"result": "locked", "failures": 5, "seconds_left": 30, "count": 6001}
    with language("en"):
        text = describe(Event("pin.try", now, now.date(), None, None, detail), cfg(CONFIG))
    assert text == "Parent PIN refused 6001 times: locked for 30 s after wrong tries."
