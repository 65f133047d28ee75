"""Tray actions through a fake agent client: the PIN flow, sessions, and failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from agent.api_client import AgentUnavailable, ApiRefused
from agent.i18n import set_language
from tray import model
from tray.actions import SESSION_SECONDS, Actions

URL = "http://127.0.0.1:7377"


@pytest.fixture(autouse=True)
def _english() -> Any:
    set_language("en", thread_only=True)
    yield


@dataclass
class FakeClient:
    pin: str = "4321"
    token: str | None = None
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    login_error: ApiRefused | None = None
    fail_next: list[Exception] = field(default_factory=list)

    def _maybe_fail(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)

    def login(self, pin: str) -> None:
        self.calls.append(("login", pin))
        if self.login_error is not None:
            raise self.login_error
        if pin != self.pin:
            raise ApiRefused(401, "wrong PIN")
        self.token = f"token-{len(self.calls)}"

    def logout(self) -> None:
        self.calls.append(("logout",))
        self.token = None

    def _parent(self, *call: Any) -> None:
        self._maybe_fail()
        if self.token is None:
            raise ApiRefused(401, "a parent PIN is needed")
        self.calls.append(call)

    def grant(self, child: str, target: str, minutes: int, pin: str | None = None) -> Any:
        self._parent("grant", child, target, minutes)

    def pause(self, child: str, paused: bool, pin: str | None = None) -> Any:
        self._parent("pause", child, paused)

    def set_limit(
        self,
        child: str,
        key: str,
        daily: int | None,
        allowed: list[str] | None = None,
        pin: str | None = None,
    ) -> Any:
        self._parent("set_limit", child, key, daily)

    def ask(self, child: str, minutes: int, message: str = "") -> Any:
        self._maybe_fail()
        self.calls.append(("ask", child, minutes, message))

    def status(self) -> dict[str, Any]:
        return {"day": "2026-11-23", "agent": {"running": True}, "children": []}


@dataclass
class FakeUi:
    pins: list[str | None] = field(default_factory=list)
    wish: tuple[int, str] | None = None
    messages: list[tuple[str, str]] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    asked_pin: int = 0
    refreshed: int = 0

    def ask_pin(self) -> str | None:
        self.asked_pin += 1
        return self.pins.pop(0) if self.pins else None

    def ask_more(self) -> tuple[int, str] | None:
        return self.wish

    def message(self, title: str, text: str) -> None:
        self.messages.append((title, text))

    def notify(self, title: str, text: str) -> None:
        self.notices.append((title, text))

    def open_url(self, url: str) -> None:
        self.urls.append(url)

    def refresh(self) -> None:
        self.refreshed += 1


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(pins: list[str | None] | None = None) -> tuple[Actions, FakeClient, FakeUi, Clock]:
    client, ui, clock = FakeClient(), FakeUi(pins=list(pins or [])), Clock()
    return Actions(client, ui, lambda: "An", URL + "/", clock=clock), client, ui, clock


def test_grant_asks_for_the_pin_logs_in_then_grants_to_every_limit() -> None:
    actions, client, ui, _clock = make(["4321"])
    actions.run("grant:15")
    assert client.calls == [("login", "4321"), ("grant", "An", "*", 15)]
    assert ui.asked_pin == 1
    assert ui.messages == []
    assert ui.refreshed == 1
    assert actions.parent_active


def test_the_session_is_reused_until_it_runs_out() -> None:
    actions, client, ui, clock = make(["4321", "4321"])
    actions.run("grant:15")
    actions.run("grant:30")
    assert ui.asked_pin == 1
    clock.now += SESSION_SECONDS + 1
    assert not actions.parent_active
    actions.run("pause")
    assert ui.asked_pin == 2
    assert client.calls[-1] == ("pause", "An", True)


def test_wrong_pin_says_so_and_changes_nothing() -> None:
    actions, client, ui, _clock = make(["1111"])
    actions.run("grant:60")
    assert client.calls == [("login", "1111")]
    assert ui.messages == [("Parent PIN", "Wrong PIN. Nothing was changed.")]
    assert not actions.parent_active


def test_locked_out_says_for_how_long() -> None:
    actions, client, ui, _clock = make(["1111"])
    client.login_error = ApiRefused(423, "too many wrong PINs", retry_after=42)
    actions.run("grant:15")
    assert ui.messages == [("Parent PIN", "Too many wrong PINs. Try again in 42 seconds.")]
    assert not any(c[0] == "grant" for c in client.calls)


def test_cancelled_pin_dialog_does_nothing() -> None:
    actions, client, ui, _clock = make([None])
    actions.run("grant:15")
    assert client.calls == []
    assert ui.messages == []


def test_a_session_the_agent_forgot_asks_for_the_pin_once_more() -> None:
    actions, client, ui, _clock = make(["4321", "4321"])
    actions.run("grant:15")
    client.fail_next.append(ApiRefused(401, "session expired"))
    actions.run("grant:30")
    assert ui.asked_pin == 2
    assert client.calls[-1] == ("grant", "An", "*", 30)


def test_agent_not_running_becomes_a_message() -> None:
    actions, client, ui, _clock = make(["4321"])
    client.fail_next.append(AgentUnavailable("down"))
    actions.run("grant:15")
    assert ui.messages == [
        ("PlayClock", "The PlayClock agent is not running, so nothing was changed.")
    ]


def test_ask_sends_the_request_and_confirms() -> None:
    actions, client, ui, _clock = make()
    ui.wish = (30, "homework done")
    actions.run(model.ASK)
    assert client.calls == [("ask", "An", 30, "homework done")]
    assert ui.notices == [("Request sent", "A parent will see that you asked for 30 min more.")]
    assert ui.asked_pin == 0  # a child never needs the PIN to ask


def test_asking_too_often_shows_the_agents_answer() -> None:
    actions, client, ui, _clock = make()
    ui.wish = (15, "")
    client.fail_next.append(ApiRefused(429, "you already asked; wait for a parent to answer"))
    actions.run(model.ASK)
    assert ui.messages == [("Ask for more time", "you already asked; wait for a parent to answer")]
    assert ui.notices == []


def test_set_limit_pause_and_resume() -> None:
    actions, client, ui, _clock = make(["4321"])
    actions.titles = {"minecraft": "Minecraft"}
    actions.run(model.limit_action("minecraft", 90))
    actions.run(model.PAUSE)
    actions.run(model.RESUME)
    assert client.calls[1:] == [
        ("set_limit", "An", "minecraft", 90),
        ("pause", "An", True),
        ("pause", "An", False),
    ]
    assert ui.notices == [("Daily limit changed", "Minecraft: 1 h 30 min a day.")]


def test_dashboard_and_report_open_local_pages() -> None:
    actions, _client, ui, _clock = make()
    actions.run(model.DASHBOARD)
    actions.run(model.REPORT)
    assert ui.urls == [URL + "/", URL + "/report"]


def test_help_tips_and_about_show_messages() -> None:
    actions, client, ui, _clock = make()
    actions.run(model.HELP_111)
    actions.run(model.HELP_TIPS)
    actions.run(model.ABOUT)
    assert client.calls == []
    titles = [t for t, _text in ui.messages]
    assert titles == ["Help: call 111", "Online safety tips", "About monitoring"]
    call, tips, about = (text for _t, text in ui.messages)
    assert "111" in call and "free" in call and "24 hours" in call
    assert tips.count("•") >= 4
    assert "A parent set up PlayClock" in about
    assert "What is tracked" in about and "What is shared" in about


def test_logout_ends_the_session() -> None:
    actions, client, ui, _clock = make(["4321", "4321"])
    actions.run("grant:15")
    actions.run(model.LOGOUT)
    assert not actions.parent_active
    assert client.calls[-1] == ("logout",)
    actions.run("grant:15")
    assert ui.asked_pin == 2


def test_unknown_action_is_reported_not_raised() -> None:
    actions, _client, ui, _clock = make()
    actions.run("bogus:1")
    assert ui.messages == [("PlayClock", "Something went wrong; nothing was changed.")]


def test_no_child_means_no_child_actions() -> None:
    client, ui = FakeClient(), FakeUi(pins=["4321"])
    actions = Actions(client, ui, lambda: None, URL)
    actions.run("grant:15")
    assert client.calls == []
    assert ui.messages == [("PlayClock", "No child is set up yet")]


def test_a_grant_another_limit_caps_is_explained_to_the_parent() -> None:
    """Issue 14, item 8: +15 min while the total is blocked for today changes nothing now."""
    actions, client, ui, _clock = make(["4321"])
    rows = [
        {"id": "minecraft", "kind": "app", "title": "Minecraft", "state": "ok",
         "left_seconds": 900, "until": None, "effective_state": "blocked",
         "effective_left_seconds": 0, "effective_until": None, "limited_by": "total"},
        {"id": "total", "kind": "total", "title": "Total", "state": "blocked",
         "left_seconds": 0, "until": None, "reason": "budget", "effective_state": "blocked",
         "effective_left_seconds": 0, "effective_until": None, "limited_by": None},
    ]  # fmt: skip
    client.status = lambda: {  # type: ignore[method-assign]
        "day": "2026-11-23",
        "agent": {"running": True},
        "children": [{"name": "An", "running": [], "paused": False, "limits": rows}],
    }
    actions.run("grant:15")
    assert ("grant", "An", "*", 15) in client.calls
    assert ui.messages == [
        (
            "More time",
            "Note: Total screen time is blocked for the rest of today, so Minecraft stays blocked.",
        )
    ]


def test_no_pin_or_token_goes_to_an_agent_that_is_not_root() -> None:
    """The agent's address held by another account's program: refuse before the PIN dialog."""
    client, ui, clock = FakeClient(token="token-0"), FakeUi(pins=["4321"]), Clock()
    said = "refusing to send the parent PIN"
    actions = Actions(client, ui, lambda: "An", URL, clock=clock, verify=lambda: said)
    actions.run("grant:15")
    actions.run("pause")
    assert client.calls == []
    assert ui.asked_pin == 0
    assert [text for _title, text in ui.messages] == [said, said]
