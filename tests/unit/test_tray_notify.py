"""Agent events turned into notifications, and the long-polling event thread."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest

from agent.api_client import AgentUnavailable
from agent.i18n import set_language
from tray.notify import REMINDER_EN, REMINDER_VI, EventPoller, notice_for

TODAY = dt.date(2026, 11, 23)
TITLES = {"minecraft": "Minecraft", "games": "Games"}


@pytest.fixture(autouse=True)
def _english() -> Any:
    set_language("en", thread_only=True)
    yield
    set_language("en", thread_only=True)


def event(kind: str, child: str | None = "An", target: str | None = None, **detail: Any) -> dict:
    return {"kind": kind, "child": child, "target": target, "detail": detail, "seq": 1}


def test_warning_says_what_and_how_long() -> None:
    notice = notice_for(
        event("warning", target="minecraft", minutes=5, title="Minecraft", left_seconds=299),
        "An",
        TITLES,
        TODAY,
    )
    assert notice is not None
    assert notice.title == "Time is almost up"
    assert notice.text == "Minecraft: 5 min left. Save what you are doing."  # 299 s, rounded up


def test_close_outside_allowed_hours_says_why_and_when_it_opens() -> None:
    notice = notice_for(
        event(
            "close",
            target="minecraft",
            limit="games",
            reason="window",
            until="2026-11-24T08:00+07:00",
        ),
        "An",
        TITLES,
        TODAY,
    )
    assert notice is not None
    assert notice.title == "Minecraft was closed"
    assert notice.text == ("Games is not allowed at this time of day. It opens again at 08:00.")


def test_close_names_an_app_by_its_title_even_without_a_limit_of_its_own() -> None:
    """The family test: "minetest was closed" showed the app's id; the event carries its title."""
    notice = notice_for(
        event("close", target="minetest", limit="games", reason="budget", app_title="Minetest"),
        "An",
        TITLES,
        TODAY,
    )
    assert notice is not None and notice.title == "Minetest was closed"


def test_close_over_budget_without_until_stays_closed_today() -> None:
    notice = notice_for(
        event("close", target="minecraft", limit="minecraft", reason="budget", until=None),
        "An",
        TITLES,
        TODAY,
    )
    assert notice is not None
    assert notice.text == (
        "Today's time for Minecraft is used up. It stays closed for the rest of today."
    )


def test_close_days_ahead_names_the_date() -> None:
    notice = notice_for(
        event("close", target="x", limit="x", reason="window", until="2026-11-27T08:00+07:00"),
        "An",
        {},
        TODAY,
    )
    assert notice is not None
    assert notice.text.endswith("It opens again on 27 Nov 2026 at 08:00.")


def test_health_reminder_in_english() -> None:
    notice = notice_for(event("reminder", target="games", minutes=30), "An")
    assert notice is not None
    assert notice.title == "Health reminder"
    assert notice.text == REMINDER_EN == "Playing more than 180 minutes a day harms your health"


def test_health_reminder_in_vietnamese_is_the_decrees_exact_words() -> None:
    set_language("vi", thread_only=True)
    notice = notice_for(event("reminder", target="games", minutes=60), "An")
    assert notice is not None
    assert notice.text == REMINDER_VI
    assert notice.text == "Chơi quá 180 phút một ngày sẽ ảnh hưởng xấu đến sức khỏe"


def test_grant_pause_and_answers_for_this_child() -> None:
    grant = notice_for(event("grant", target="*", minutes=15), "An")
    assert grant is not None and grant.text == "A parent gave you 15 min more today."
    assert notice_for(event("pause"), "An") is not None
    assert notice_for(event("resume"), "An") is not None
    yes = notice_for(event("request_answered", approved=True, minutes=30), "An")
    no = notice_for(event("request_answered", approved=False, minutes=None), "An")
    assert yes is not None and yes.text == "You got 30 min more."
    assert no is not None and no.title == "Request answered"


def test_other_childrens_and_quiet_events_make_no_notice() -> None:
    assert notice_for(event("warning", child="Binh", minutes=5, left_seconds=300), "An") is None
    assert notice_for(event("grant", minutes=-10), "An") is None
    assert notice_for(event("agent_start", child=None), "An") is None
    assert notice_for(event("request", minutes=15), "An") is None


class FakeEvents:
    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[int, float]] = []
        self.runs: list[str | None] = []

    def events(self, after: int, wait: float = 0, run: str | None = None) -> dict[str, Any]:
        self.calls.append((after, wait))
        self.runs.append(run)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)


def test_poller_skips_history_then_delivers_new_events_in_order() -> None:
    source = FakeEvents(
        [
            {"last": 7, "events": [{"seq": 7, "kind": "old"}]},
            {"last": 9, "events": [{"seq": 8, "kind": "a"}, {"seq": 9, "kind": "b"}]},
        ]
    )
    got: list[str] = []
    poller = EventPoller(source, lambda e: got.append(e["kind"]), threading.Event(), wait=25)
    poller.poll_once()
    assert got == [] and poller.after == 7
    poller.poll_once()
    assert got == ["a", "b"]
    assert source.calls == [(0, 0), (7, 25)]
    assert poller.after == 9


def test_poller_follows_a_restarted_agent_and_survives_errors() -> None:
    source = FakeEvents(
        [
            {"last": 50, "events": []},
            AgentUnavailable("down"),
            {"last": 2, "events": []},
            {"last": 3, "events": [{"seq": 3, "kind": "warning"}]},
        ]
    )
    got: list[str] = []

    def boom(e: dict[str, Any]) -> None:
        got.append(e["kind"])
        raise RuntimeError("a bad handler")

    poller = EventPoller(source, boom, threading.Event(), wait=1, retry=0)
    for _round in range(4):
        poller.poll_once()
    assert got == ["warning"]
    assert [after for after, _w in source.calls] == [0, 50, 50, 2]


def test_poller_hands_on_every_event_of_a_restarted_agent() -> None:
    """A new run of the agent: its events are all new, even with ids under the old one's."""
    source = FakeEvents(
        [
            {"last": 50, "run": "r1", "events": []},
            {"last": 2, "run": "r2", "events": [{"seq": 1, "kind": "a"}, {"seq": 2, "kind": "b"}]},
            {"last": 3, "run": "r2", "events": [{"seq": 3, "kind": "c"}]},
        ]
    )
    got: list[str] = []
    poller = EventPoller(source, lambda e: got.append(e["kind"]), threading.Event(), wait=1)
    for _round in range(3):
        poller.poll_once()
    assert got == ["a", "b", "c"]
    assert source.runs == [None, "r1", "r2"]


def test_poller_thread_stops() -> None:
    stop = threading.Event()
    source = FakeEvents([AgentUnavailable("down")] * 1000)
    poller = EventPoller(source, lambda e: None, stop, retry=0.01)
    poller.start()
    stop.set()
    poller.join(timeout=5)
    assert not poller.is_alive()


def test_titles_in_events_are_translated_where_shown() -> None:
    """Issue 14, item 9: the agent records "Total"; a Vietnamese tray says it in Vietnamese."""
    names = {"total": "Total", "games": "Games", "minetest": "Minetest"}
    set_language("vi", thread_only=True)
    try:
        warn = notice_for(
            event("warning", target="total", minutes=5, title="Total", left_seconds=300),
            "An",
            names,
            TODAY,
        )
        assert warn is not None
        assert warn.title == "Sắp hết giờ"
        assert warn.text.startswith("Tổng thời gian sử dụng: còn 5 phút.")
        assert "Total" not in warn.text
        games = notice_for(
            event("warning", target="games", minutes=5, title="Games", left_seconds=300),
            "An",
            names,
            TODAY,
        )
        assert games is not None and games.text.startswith("Trò chơi:")
        closed = notice_for(
            event("close", target="minetest", limit="total", reason="budget"),
            "An",
            names,
            TODAY,
        )
        assert closed is not None
        assert "Tổng thời gian sử dụng" in closed.text and "Total" not in closed.text
    finally:
        set_language("en", thread_only=True)


def test_screen_countdown_and_notify_notices() -> None:
    from tray.notify import notice_for

    event = {
        "kind": "screen_countdown",
        "child": "An",
        "target": "screen",
        "detail": {"left_seconds": 59, "action": "lock"},
    }
    notice = notice_for(event, "An")
    assert notice is not None and "59 s" in notice.text and "locks" in notice.text
    logout = {**event, "detail": {"left_seconds": 60, "action": "logout"}}
    assert "signed out" in notice_for(logout, "An").text  # type: ignore[union-attr]
    close = {**event, "detail": {"left_seconds": 30, "action": "close"}}
    text = notice_for(close, "An").text  # type: ignore[union-attr]
    assert "apps close in 30 s" in text and "lock" not in text
    assert notice_for(event, "Binh") is None
    blocked = {"kind": "screen_blocked", "child": "An", "target": "screen", "detail": {}}
    assert notice_for(blocked, "An") is not None
