"""Stopping the agent while a tray long-polls: one line, no ASGI traceback (issue 14, item 4)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import psutil

from tests.support.agentproc import AgentProcess
from tests.support.waiting import wait_until


def test_a_stop_during_a_long_poll_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    agent = AgentProcess.create(tmp_path).start()
    last = int(agent.get("/events")["last"])
    # A tray's long poll, in flight when the stop comes (a raw socket: we see it accepted).
    poll = socket.create_connection(("127.0.0.1", agent.port), timeout=30)
    try:
        request = (
            f"GET /api/v1/events?after={last + 1000}&wait=25 HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{agent.port}\r\nConnection: close\r\n\r\n"
        )
        poll.sendall(request.encode())
        mine = poll.getsockname()[1]

        def accepted() -> bool:
            conns = psutil.Process(agent.pid).net_connections(kind="tcp")
            return any(c.raddr and c.raddr.port == mine for c in conns)

        wait_until(accepted, 10, 0.05, message="the agent accepted the long poll")
        assert agent.health() is not None  # and has read it: requests are served in order
        started = time.monotonic()
        assert agent.terminate(timeout=15) == 0
        stopped_in = time.monotonic() - started
        answer = poll.recv(65536).decode(errors="replace")
    finally:
        poll.close()
    out = agent.stdout_path.read_text(errors="replace")
    err = agent.stderr_path.read_text(errors="replace")
    assert "Traceback" not in out + err, out + err
    assert "CancelledError" not in out + err and "graceful shutdown" not in out + err, err
    assert out.rstrip("\n").splitlines()[-1] == "PlayClock agent stopped."
    assert answer.startswith("HTTP/1.1 200")  # the poll was answered, not cut off
    assert stopped_in < 2.0, f"the stop waited {stopped_in:.1f} s for the long poll"
