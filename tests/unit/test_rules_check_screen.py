"""`playclock rules check` accepts `[child.limits.screen]`, `idle_minutes` and
`screen_action`, and rejects bad values as FILE:LINE: field: message (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from playclock.cli import main

GOOD = """\
version = 1

[settings]
idle_minutes = 5

[[child]]
name = "An"
accounts = ["an"]
idle_minutes = 2
screen_action = "logout"

[child.limits.screen]
daily = 120
weekend = 180
allowed = ["07:00-21:00"]
"""


def test_rules_check_accepts_screen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["rules", "check", str(path)]) == 0


def test_rules_check_rejects_bad_screen_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAYCLOCK_LANG", "en")
    bad = (
        GOOD.replace("idle_minutes = 5", "idle_minutes = 0")
        .replace('"logout"', '"reboot"')
        .replace("daily = 120", 'daily = "two hours"')
    )
    path = tmp_path / "rules.toml"
    path.write_text(bad, encoding="utf-8")
    assert main(["rules", "check", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert f"{path}:4: settings.idle_minutes: must be between 0.1 and 120, got 0" in err
    assert (
        f"{path}:10: child[0].screen_action: expected one of: lock, logout, notify; "
        "got 'reboot'" in err
    )
    assert any(line.startswith(f"{path}:13: child[0].limits.screen.daily: ") for line in err)
