"""`playclock status` shows computer time (`screen`) like every limit, in both languages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.i18n import set_language
from playclock.cli.status import print_status

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
