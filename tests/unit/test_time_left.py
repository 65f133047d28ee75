"""Time left rounds up, time used rounds down, under a minute says so (issue 14, item 7)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agent.i18n import language
from agent.i18n.formatting import duration, left_minutes, time_left
from tray.model import build_view
from tray.notify import notice_for


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with language("en"):
        yield


@pytest.mark.parametrize(
    ("seconds", "left", "used"),
    [
        (0, "0 min", "0 min"),
        (1, "less than a minute", "0 min"),
        (59, "less than a minute", "0 min"),
        (60, "1 min", "1 min"),
        (61, "2 min", "1 min"),
        (3599, "1 h 00 min", "59 min"),
        (3601, "1 h 01 min", "1 h 00 min"),
    ],
)
def test_left_rounds_up_and_used_rounds_down(seconds: int, left: str, used: str) -> None:
    assert time_left(seconds) == left
    assert duration(seconds) == used


def test_vietnamese_under_a_minute() -> None:
    with language("vi"):
        assert time_left(59) == "chưa đến một phút"
        assert time_left(61) == "2 phút"


def status(left: int) -> dict[str, Any]:
    row = {
        "id": "minetest", "kind": "app", "title": "Minetest", "used_seconds": 120 - left,
        "limit_seconds": 120, "bonus_seconds": 0, "left_seconds": left, "state": "warning",
        "reason": None, "until": None, "active": True,
    }  # fmt: skip
    return {
        "day": "2026-11-23",
        "agent": {"running": True},
        "children": [{"name": "An", "running": ["minetest"], "paused": False, "limits": [row]}],
    }


def test_icon_tooltip_menu_and_toast_with_59_seconds_left() -> None:
    view = build_view(status(59), child="An")
    assert view.badge == "1"  # was "0"
    assert view.tooltip == "An: less than a minute left (Minetest)"
    assert any(e.label == "Minetest — less than a minute left" for e in view.menu)
    event = {
        "kind": "warning", "child": "An", "target": "minetest",
        "detail": {"minutes": 1, "title": "Minetest", "left_seconds": 59},
    }  # fmt: skip
    notice = notice_for(event, "An")
    assert notice is not None
    assert notice.text == "Minetest: less than a minute left. Save what you are doing."
    assert left_minutes(61) == 2 and build_view(status(61), child="An").badge == "2"
