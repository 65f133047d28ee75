"""`playclock status` shows computer time (`screen`) like every limit, in both languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.i18n import set_language
from agent.service.status_document import status_document
from playclock.cli.status import print_status
from rules.config import load_text
from rules.model import ChildStatus

DOC = {
    "day": "2026-12-02",
    "agent": {"running": True, "version": "0.1.0", "config_error": None},
    "children": [
        {
            "name": "An",
            "running": [],
            "paused": False,
            "limits": [
                {
                    "id": "screen",
                    "kind": "screen",
                    "title": "Computer time",
                    "used_seconds": 7200,
                    "limit_seconds": 7200,
                    "bonus_seconds": 0,
                    "left_seconds": 0,
                    "state": "blocked",
                    "reason": "budget",
                    "until": "2026-12-03T07:00+07:00",
                    "active": False,
                },
                {
                    "id": "total",
                    "kind": "total",
                    "title": "Total",
                    "used_seconds": 600,
                    "limit_seconds": 3600,
                    "bonus_seconds": 0,
                    "left_seconds": 3000,
                    "state": "ok",
                    "reason": None,
                    "until": None,
                    "active": False,
                },
            ],
        }
    ],
}


@pytest.fixture(autouse=True)
def _lang() -> Iterator[None]:
    yield
    set_language("en", thread_only=True)


def test_status_lists_computer_time(capsys: pytest.CaptureFixture[str]) -> None:
    set_language("en", thread_only=True)
    print_status(DOC)
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "Computer time" in x)
    assert "blocked until" in line and "daily limit" in line
    set_language("vi", thread_only=True)
    print_status(DOC)
    assert "Thời gian dùng máy tính" in capsys.readouterr().out


def test_running_apps_by_title_and_columns_that_fit_vietnamese(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The family test: "▶ minetest" showed the id, and "Thời gian dùng máy tính" (23 letters)
    pushed its row out of the 22-letter column."""
    doc = {
        **DOC,
        "children": [
            {**DOC["children"][0], "running": ["minetest"],  # type: ignore[dict-item]
             "running_titles": {"minetest": "Minetest"}}
        ],
    }
    set_language("vi", thread_only=True)
    print_status(doc)
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("An  ▶ Minetest") for line in lines)
    rows = [line for line in lines if line.startswith("  ")]
    slashes = {line.index(" / ") for line in rows}
    assert len(slashes) == 1, rows  # every row's numbers line up


def test_the_status_document_carries_the_titles_of_running_apps() -> None:
    config = load_text(
        'version = 1\n[apps.minetest]\ntitle = "Minetest"\nnames = ["minetest"]\n'
        '[[child]]\nname = "An"\naccounts = ["an"]\n'
    )
    doc = status_document(
        dt.date(2026, 12, 2), [ChildStatus("An", ("minetest",), ())], running=True, config=config
    )
    (child,) = doc["children"]
    assert child["running_titles"] == {"minetest": "Minetest"} and child["accounts"] == ["an"]
    assert doc["agent"]["locale"] == "auto"


def test_the_status_says_what_a_blocked_screen_does_and_whether_it_can(tmp_path: Path) -> None:
    from agent.testing import FakeSessions
    from tests.unit.test_service import Harness

    rules = 'version = 1\n[[child]]\nname = "An"\naccounts = ["an"]\nscreen_action = "logout"\n'
    config = load_text(rules)
    day = dt.date(2026, 12, 2)
    doc = status_document(day, [ChildStatus("An", (), ())], running=True, config=config)
    assert doc["children"][0]["screen_action"] == "logout"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with_sessions = Harness(tmp_path / "a", rules, sessions=FakeSessions([]))
    with_sessions.agent.start()
    assert with_sessions.agent.status()["agent"]["screen_enforced"] is True
    without = Harness(tmp_path / "b", rules, sessions=None)
    without.agent.start()
    assert without.agent.status()["agent"]["screen_enforced"] is False
