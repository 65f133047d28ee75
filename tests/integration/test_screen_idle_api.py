"""POST /api/v1/idle: the account is the one owning the connection (/proc/net/tcp), never
one named by the caller; a caller whose owner cannot be found is refused."""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from agent.api_client import AgentClient
from playclock.compose import Runtime
from tests.support.apiserver import running_agent

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc/net/tcp"
)


@pytest.fixture
def served(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Runtime, str]]:
    with running_agent(tmp_path, monkeypatch) as pair:
        yield pair


def test_report_is_filed_under_the_callers_own_account(served: tuple[Runtime, str]) -> None:
    runtime, url = served
    agent = runtime.agent
    AgentClient(url).report_idle(42.0)
    idle = agent.idle_reports.idle_of(getpass.getuser(), agent.steady())
    assert idle is not None and 42.0 <= idle < 60.0
    # A name in the body does not choose the account.
    resp = requests.post(f"{url}/api/v1/idle", json={"idle_seconds": 7, "user": "an"}, timeout=5)
    assert resp.status_code == 204
    assert agent.idle_reports.idle_of("an", agent.steady()) is None


def test_bad_values_are_refused(served: tuple[Runtime, str]) -> None:
    _runtime, url = served
    for body in ({"idle_seconds": -1}, {"idle_seconds": "x"}, {}):
        assert requests.post(f"{url}/api/v1/idle", json=body, timeout=5).status_code == 422


# The client runs as "nobody", who may not read this test's interpreter (a venv under /root).
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as another account")
@pytest.mark.skipif(not Path(SYSTEM_PYTHON).exists(), reason=f"needs {SYSTEM_PYTHON}")
def test_another_account_reports_for_itself(served: tuple[Runtime, str]) -> None:
    runtime, url = served
    import pwd

    nobody = pwd.getpwnam("nobody")
    code = (
        "import json, urllib.request as u\n"
        f"r = u.Request('{url}/api/v1/idle', data=json.dumps({{'idle_seconds': 99}}).encode(),"
        " headers={'Content-Type': 'application/json'}, method='POST')\n"
        "print(u.urlopen(r, timeout=5).status)\n"
    )
    done = subprocess.run(
        [SYSTEM_PYTHON, "-I", "-c", code],
        user=nobody.pw_uid,
        group=nobody.pw_gid,
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert done.stdout.strip() == "204", done.stderr
    agent = runtime.agent
    idle = agent.idle_reports.idle_of("nobody", agent.steady())
    assert idle is not None and idle >= 99
    assert (agent.idle_reports.idle_of(getpass.getuser(), agent.steady()) or 0) < 99
