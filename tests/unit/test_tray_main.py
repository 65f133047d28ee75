"""`playclock tray` refuses clearly when it cannot run."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from agent.i18n import set_language
from playclock.cli.tray import cmd_tray, has_display


def args(tmp_path: Path, url: str | None, config: Path | None = None) -> argparse.Namespace:
    return argparse.Namespace(
        url=url, config=str(config) if config else None, data_dir=str(tmp_path)
    )


def test_no_display_is_a_failure_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("LANGUAGE", "en")
    monkeypatch.delenv("PLAYCLOCK_CONFIG", raising=False)
    assert not has_display()
    assert cmd_tray(args(tmp_path, "http://127.0.0.1:9")) == 1
    assert "the tray needs a graphical session" in capsys.readouterr().err
    set_language("en")


def test_broken_rules_and_no_url_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LANGUAGE", "en")
    rules = tmp_path / "rules.toml"
    rules.write_text("version = 1\n[settings]\npoll_secondz = 1\n", encoding="utf-8")
    assert cmd_tray(args(tmp_path, None, rules)) == 2
    err = capsys.readouterr().err
    assert "poll_secondz" in err
    assert "no agent address" in err
    set_language("en")
