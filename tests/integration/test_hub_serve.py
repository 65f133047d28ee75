"""`python -m sync.hub` as a process: exit codes, one-line errors, graceful stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.hubserver import REPO_ROOT, HubApi, HubServer, free_port


def _run_hub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sync.hub", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("args", "message"), [
    (("--listen", "127.0.0.1"), "expected HOST:PORT"),
    (("--listen", "127.0.0.1:99999"), "expected HOST:PORT"),
    (("--db", "mysql://root@localhost/hub", "--listen", "127.0.0.1:0"),
     "unsupported database URL"),
])
def test_bad_input_exits_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    done = _run_hub(*args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("playclock hub: ")


def test_unreachable_database_exits_1(tmp_path: Path) -> None:
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/hub?connect_timeout=5"
    done = _run_hub("--db", url, "--listen", f"127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert "cannot open database" in done.stderr and "nobody@127.0.0.1" in done.stderr


def test_busy_port_exits_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run_hub("--db", f"sqlite:///{tmp_path / 'hub.sqlite'}",
                        "--listen", f"127.0.0.1:{port}")
    assert done.returncode == 1


def test_sigterm_stops_the_hub_cleanly_and_data_persists(tmp_path: Path) -> None:
    server = HubServer(f"sqlite:///{tmp_path / 'hub.sqlite'}", log_dir=tmp_path)
    server.start()
    try:
        api = HubApi(server.url)
        _, parent = api.family()
        device, consents = api.pair(parent)
        assert api.upload(device, consents["An"], "An", "2026-01-05", 1, 42).status_code == 200
    finally:
        code = server.stop()
    # uvicorn shuts down gracefully, then re-raises SIGTERM so supervisors see the signal.
    assert code in (0, -signal.SIGTERM), server.log_text()
    assert "serving http://127.0.0.1:" in server.log_text()
    assert "Application shutdown complete" in server.log_text()
    server.start()
    try:
        day = HubApi(server.url).call("GET", "/v1/children/An/days/2026-01-05", parent).json()
        assert day["total_seconds"] == 42
    finally:
        server.stop()
