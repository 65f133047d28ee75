"""`playclock run`, the README's main job: headless it runs the agent and a live status line."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import subprocess
from pathlib import Path

import requests

from agent.service.rules_file import ConfigSource
from tests.support.agentproc import free_port, playclock_argv, rules_text, unique_game_name
from tests.support.waiting import wait_for_line, wait_until


def test_demo_rules_count_the_current_account() -> None:
    """With no rules file, the demo's first child plays on this machine's account."""
    source = ConfigSource(None)
    source.load()
    assert source.config is not None and source.demo
    first = source.config.children[0]
    assert first.accounts == (getpass.getuser(),)
    assert source.config.app("minecraft") is not None


def test_run_headless_prints_where_data_lives_and_a_live_line(tmp_path: Path) -> None:
    """No display: the agent runs, says where its data is, prints status lines, stops on TERM."""
    port = free_port()
    game = unique_game_name()
    rules = tmp_path / "rules.toml"
    rules.write_text(rules_text(port, daily=30, game_name=game), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONUNBUFFERED"] = "1"
    data = tmp_path / "data"
    binary = tmp_path / game
    shutil.copy("/bin/sleep", binary)
    proc = subprocess.Popen(
        [*playclock_argv(), "--config", str(rules), "--data-dir", str(data), "run"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    game_proc = None
    try:
        assert proc.stdout is not None
        lines = [wait_for_line(proc.stdout, timeout=20) for _ in range(3)]
        assert any(str(data) in line for line in lines), lines
        assert any(f"http://127.0.0.1:{port}/" in line for line in lines), lines
        wait_until(lambda: requests.get(f"http://127.0.0.1:{port}/api/v1/health",
                                        timeout=2).ok, timeout=20)
        game_proc = subprocess.Popen([str(binary), "300"])
        live = wait_for_line(proc.stdout, timeout=20)
        while "▶" not in live:
            live = wait_for_line(proc.stdout, timeout=20)
        assert "An:" in live and "fakegame" in live, live
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert (data / "ledger.sqlite").is_file()
    finally:
        for p in (proc, game_proc):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()


def test_run_with_a_broken_rules_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    """A broken file at start: one line per error as FILE:LINE: field: message, exit 2."""
    rules = tmp_path / "rules.toml"
    rules.write_text("version = 1\n[settings]\npoll_seconds = 99\n", encoding="utf-8")
    done = subprocess.run(
        [*playclock_argv(), "--config", str(rules), "--data-dir", str(tmp_path), "run"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "DISPLAY": ""},
    )
    assert done.returncode == 2
    assert f"{rules}:3: settings.poll_seconds: must be between 0.2 and 10, got 99" in done.stderr
