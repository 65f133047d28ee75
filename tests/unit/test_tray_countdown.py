"""The tray's last-minute countdown: it follows the agent's status (not a local guess), holds
while the session does not count, ends on a grant, a pause or the block; its words in both
languages promise only what the agent does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agent.i18n import set_language
from tray.countdown import Countdown, clock_text


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en", thread_only=True)
    yield
    set_language("en", thread_only=True)


def doc(
    left: int | None, state: str = "warning", active: bool = True, paused: bool = False
) -> dict[str, Any]:
    row = {"id": "screen", "kind": "screen", "left_seconds": left, "state": state, "active": active}
    games = {"id": "games", "kind": "category", "left_seconds": 5, "state": "warning"}
    return {"children": [{"name": "An", "paused": paused, "limits": [games, row]}]}


def test_clock_text_rounds_up_and_reaches_zero_only_at_the_end() -> None:
    assert [clock_text(s) for s in (60, 59.2, 9, 0.4, 0, -3)] == [
        "1:00",
        "1:00",
        "0:09",
        "0:01",
        "0:00",
        "0:00",
    ]


def test_counts_down_between_documents_and_takes_the_agents_time_left() -> None:
    c = Countdown()
    c.start("lock", 60, now=100.0)
    assert c.left_at(100.0) == 60 and c.left_at(110.5) == 49.5
    assert c.follow(doc(45), "An", now=112.0)  # the agent says 45: not 47.5
    assert c.left_at(113.0) == 44
    assert c.left_at(500.0) == 0


def test_holds_while_the_session_does_not_count() -> None:
    c = Countdown()
    c.start("lock", 60, now=0.0)
    assert c.follow(doc(40, active=False), "An", now=20.0)  # idle or locked: time stands
    assert c.left_at(30.0) == 40
    assert c.follow(doc(40), "An", now=31.0)
    assert c.left_at(35.0) == 36


@pytest.mark.parametrize(
    "status",
    [
        doc(3660),  # a parent gave an hour
        doc(80),  # a rules change: more than the last minute (and a late poll) again
        doc(30, paused=True),
        doc(0, state="blocked"),  # the lock (or the notice) takes over
        doc(None),  # no budget any more
        {"children": [{"name": "An", "paused": False, "limits": []}]},
        {"children": []},
    ],
)
def test_ends_when_the_lock_no_longer_comes_or_has_come(status: dict[str, Any]) -> None:
    c = Countdown()
    c.start("lock", 60, now=0.0)
    assert not c.follow(status, "An", now=1.0)
    assert not c.running
    assert not c.follow(doc(30), "An", now=2.0)  # over is over, until the next event


def test_an_agent_that_does_not_answer_does_not_stop_it() -> None:
    c = Countdown()
    c.start("lock", 60, now=0.0)
    assert c.follow(None, "An", now=5.0) and c.left_at(5.0) == 55
    assert c.follow(doc(70), "An", now=6.0)  # a poll late: still the last minute


def test_other_childs_rows_are_not_read() -> None:
    c = Countdown()
    c.start("lock", 60, now=0.0)
    other = doc(3600)
    other["children"][0]["name"] = "Binh"
    assert not c.follow(other, "An", now=1.0)  # An is not in it: nothing to count down


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_texts_promise_only_what_the_agent_does(lang: str) -> None:
    from tray.tk_windows import countdown_texts

    set_language(lang, thread_only=True)
    lock = countdown_texts("lock", 59.1)
    logout = countdown_texts("logout", 30)
    notify = countdown_texts("notify", 5)
    close = countdown_texts("close", 10)
    assert lock[0].endswith("1:00") and logout[0].endswith("0:30") and notify[0].endswith("0:05")
    if lang == "en":
        assert lock == ("Computer time ends in 1:00", "Then the screen locks. Save your work now.")
        assert "signed out" in logout[1]
        assert "Nothing will be locked" in notify[1] and "locks" not in notify[1]
        assert "apps will close" in close[1] and "locks" not in close[1]
    else:
        assert lock[0] == "Hết giờ dùng máy tính sau 1:00"
        assert "màn hình sẽ khóa" in lock[1] and "đăng xuất" in logout[1]
        assert "không bị khóa" in notify[1] and "màn hình sẽ khóa" not in notify[1]
        assert "sẽ bị đóng" in close[1] and "màn hình sẽ khóa" not in close[1]
        words = " ".join(lock + logout + notify + close)
        assert not any(word in words for word in ("Computer", "Save", "apps"))


def test_a_tray_that_missed_the_event_opens_the_countdown_from_the_status() -> None:
    from tray.countdown import due

    status = doc(42)
    status["children"][0]["screen_action"] = "logout"
    status["agent"] = {"screen_enforced": True}
    assert due(status, "An") == ("logout", 42.0)
    status["agent"] = {"screen_enforced": False}  # nothing can lock here: the apps close
    assert due(status, "An") == ("close", 42.0)
    status["children"][0]["screen_action"] = "notify"
    assert due(status, "An") == ("notify", 42.0)
    assert due(doc(42), "Binh") is None
    for not_now in (
        doc(61),
        doc(0),
        doc(42, active=False),
        doc(42, paused=True),
        doc(0, state="blocked"),
        doc(None),
        None,
    ):
        assert due(not_now, "An") is None
