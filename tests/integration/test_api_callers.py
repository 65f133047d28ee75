"""The real agent's API tells its callers apart by their accounts (issue 12): a child's
account sees only its own child's requests and events; a forwarded-for header changes nothing."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
from pathlib import Path

import pytest
import requests

from tests.support.agentproc import AgentProcess, free_port
from tests.support.tricks import Account, kid_account

pytestmark = pytest.mark.skipif(
    not os.path.isfile("/proc/net/tcp") or not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root on Linux (the agent as the service, callers as other accounts)",
)


def rules(port: int, an: str, binh: str) -> str:
    return f"""version = 1

[settings]
poll_seconds = 1
listen = "127.0.0.1:{port}"

[apps.fakegame]
title = "Fake game"
names = ["fakegame-callers"]

[[child]]
name = "An"
accounts = ["{an}"]

[child.limits.total]
daily = 60

[[child]]
name = "Binh"
accounts = ["{binh}"]

[child.limits.total]
daily = 60
"""


def http_as(account: Account, port: int, method: str, path: str, body: str = "") -> object:
    """One HTTP request from the account's own process (bash's /dev/tcp); the JSON answer."""
    request = (
        f"{method} /api/v1{path} HTTP/1.0\\r\\nHost: 127.0.0.1:{port}\\r\\n"
        f"Content-Type: application/json\\r\\nContent-Length: {len(body)}\\r\\n\\r\\n{body}"
    )
    script = f"exec 3<>/dev/tcp/127.0.0.1/{port}; printf '{request}' >&3; cat <&3"
    done = subprocess.run(
        ["setpriv", f"--reuid={account.uid}", f"--regid={account.gid}", "--init-groups",
         "bash", "-c", script],
        capture_output=True, text=True, timeout=30, cwd="/",
    )  # fmt: skip
    head, _, payload = done.stdout.partition("\n\n")  # text mode: \r\n became \n
    assert head.startswith("HTTP/1.1 2"), done
    return json.loads(payload)


def test_each_account_sees_its_own_child_only(tmp_path: Path) -> None:
    kid = kid_account()
    entry = pwd.getpwnam("nobody")
    nobody = Account("nobody", entry.pw_uid, entry.pw_gid, "/")
    port = free_port()
    agent = AgentProcess.create(tmp_path, rules(port, kid.name, "nobody"))
    agent.port = port
    agent.start()
    try:
        http_as(kid, port, "POST", "/requests", '{"child": "An", "minutes": 10}')
        http_as(nobody, port, "POST", "/requests", '{"child": "Binh", "minutes": 20}')
        mine = http_as(kid, port, "GET", "/requests")
        assert [r["child"] for r in mine["requests"]] == ["An"]  # type: ignore[index]
        theirs = http_as(nobody, port, "GET", "/requests")
        assert [r["child"] for r in theirs["requests"]] == ["Binh"]  # type: ignore[index]
        events = http_as(kid, port, "GET", "/events")
        assert {e["child"] for e in events["events"]} == {"An"}  # type: ignore[index]
        # Root is no child here: without a parent session, nothing of either child.
        url = f"http://127.0.0.1:{port}/api/v1"
        http = requests.Session()
        http.trust_env = False
        assert http.get(f"{url}/requests", timeout=5).json() == {"requests": []}
        # A forwarded-for header is not believed: the caller stays 127.0.0.1 (not refused
        # as 8.8.8.8, and no name such as "testclient" can be claimed).
        for claimed in ("8.8.8.8", "testclient"):
            resp = http.get(f"{url}/health", headers={"X-Forwarded-For": claimed}, timeout=5)
            assert resp.status_code == 200
        http.close()
    finally:
        agent.terminate(timeout=30)
