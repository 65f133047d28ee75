"""`playclock tray` hands what it checked to a fresh process that loads only the tray."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

import playclock.cli
from agent.i18n import current, language, set_language
from playclock.cli import TRAY_STATE, tray_run


def _capture_run(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []

    def run_tray(
        url: str, user: str, accounts: Mapping[str, Sequence[str]], **flags: bool
    ) -> int:
        runs.append(
            {"url": url, "user": user, "accounts": dict(accounts), "lang": current(), **flags}
        )
        return 0

    monkeypatch.setattr(tray_run, "run_tray", run_tray)
    return runs


def test_the_fresh_process_gets_all_that_was_found(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = _capture_run(monkeypatch)
    execs: list[tuple[str, list[str], str]] = []

    def execv(program: str, argv: list[str]) -> None:
        execs.append((program, argv, tray_run.os.environ[TRAY_STATE]))
        raise OSError("not here")  # the tray then runs in this process instead

    monkeypatch.setattr(tray_run.os, "execv", execv)
    monkeypatch.delenv(TRAY_STATE, raising=False)
    with language("vi"):
        code = tray_run.handover(
            "http://127.0.0.1:9",
            "an",
            {"An": ("an", "an2")},
            follow_agent=True,
            agent_is_root=True,
            fresh=True,
        )
    assert code == 0
    ((program, _argv, state),) = execs
    assert program in (sys.executable, sys.argv[0])
    assert json.loads(state) == {
        "url": "http://127.0.0.1:9",
        "user": "an",
        "accounts": {"An": ["an", "an2"]},
        "follow_agent": True,
        "agent_is_root": True,
        "language": "vi",
    }
    assert TRAY_STATE not in tray_run.os.environ  # a failed exec leaves nothing behind
    assert runs == [
        {
            "url": "http://127.0.0.1:9",
            "user": "an",
            "accounts": {"An": ("an", "an2")},
            "lang": "vi",
            "follow_agent": True,
            "agent_is_root": True,
        }
    ]


def test_resume_runs_the_tray_in_the_language_handed_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = _capture_run(monkeypatch)
    state = {
        "url": "http://127.0.0.1:9",
        "user": "an",
        "accounts": {"An": ["an"]},
        "follow_agent": False,
        "agent_is_root": False,
        "language": "vi",
    }
    codes: list[int] = []
    # A thread of its own, as the fresh process: no thread's own language in the way.
    thread = threading.Thread(target=lambda: codes.append(tray_run.resume(json.dumps(state))))
    try:
        thread.start()
        thread.join(10)
    finally:
        set_language("en")
    assert codes == [0] and runs[0]["lang"] == "vi"
    assert runs[0]["accounts"] == {"An": ("an",)}
    assert runs[0]["follow_agent"] is False and runs[0]["agent_is_root"] is False


def test_main_resumes_only_the_tray_and_never_passes_the_state_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resumed: list[str] = []
    monkeypatch.setattr(tray_run, "resume", lambda state: resumed.append(state) or 0)
    monkeypatch.setenv(TRAY_STATE, "{}")
    assert playclock.cli.main(["tray"]) == 0
    assert resumed == ["{}"]
    assert TRAY_STATE not in tray_run.os.environ
    # Left over in another command's environment: ignored, and not passed on either.
    monkeypatch.setenv(TRAY_STATE, "{}")
    with pytest.raises(SystemExit):
        playclock.cli.main(["--help"])
    assert resumed == ["{}"]
    assert TRAY_STATE not in tray_run.os.environ


def test_the_playclock_script_is_started_again_by_its_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    script = tmp_path / "playclock"
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(script), "tray", "--url", "http://x:1"])
    monkeypatch.setattr(sys, "orig_argv", ["/usr/bin/python3", str(script), "tray"], raising=False)
    assert tray_run._this_command() == (str(script), [str(script), "tray", "--url", "http://x:1"])
    # `python -m playclock tray`: the interpreter again, with the same arguments.
    started = ["/usr/bin/python3", "-m", "playclock", "tray"]
    monkeypatch.setattr(sys, "argv", ["/src/playclock/__main__.py", "tray"])
    monkeypatch.setattr(sys, "orig_argv", started, raising=False)
    assert tray_run._this_command() == (sys.executable, started)
