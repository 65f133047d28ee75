"""End to end: the real `playclock agent` process serving the local API on loopback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.api_client import AgentClient, ApiRefused
from agent.ledger.sqlite import SqliteLedger
from tests.support.apiserver import PIN, Api, agent_env, running_agent_process, write_rules
from tests.support.hubserver import REPO_ROOT


def test_playclock_agent_serves_parent_actions_end_to_end(tmp_path: Path) -> None:
    """Status for all; a grant only with the PIN, logged as parent; a clean stop on SIGTERM."""
    with running_agent_process(tmp_path) as (agent, url):
        client = AgentClient(url)
        doc = client.status()
        assert doc["agent"]["running"] is True
        assert [c["name"] for c in doc["children"]] == ["An"]
        with pytest.raises(ApiRefused) as refused:
            client.grant("An", "games", 10)
        assert refused.value.status == 401
        with pytest.raises(ApiRefused) as wrong:
            client.grant("An", "games", 10, pin="0000")
        assert wrong.value.status == 401
        doc = client.grant("An", "games", 10, pin=PIN)
        games = next(lim for lim in doc["children"][0]["limits"] if lim["id"] == "games")
        assert games["bonus_seconds"] == 600
        client.login(PIN)
        token = client.token
        assert token
        client.pause("An", True)
        client.logout()
        assert Api(url)("POST", "/reload", token=token).status_code == 401
        day = Api(url)("GET", "/log").json()["events"]
        changes = [(e["kind"], e["actor"]) for e in day if e["kind"] in ("grant", "pause")]
        assert changes == [("grant", "parent"), ("pause", "parent")]
        assert agent.stop() == 0
    output = agent.output()
    assert "PlayClock agent stopped." in output
    for secret in (PIN, token):
        assert secret not in output.replace(str(tmp_path), "<tmp>")
    ledger = SqliteLedger(agent.data_dir / "ledger.sqlite")
    try:
        kinds = [e.kind for e in ledger.events()]
    finally:
        ledger.close()
    assert kinds[-1] == "agent_stop"
    assert [k for k in kinds if k == "pin.try"] == ["pin.try"] * 3


@pytest.mark.parametrize("listen", ["0.0.0.0:7377", "192.168.1.5:7377"])
def test_playclock_agent_refuses_a_non_loopback_listen(tmp_path: Path, listen: str) -> None:
    """The rules' `listen` must be loopback: `agent` and `rules check` exit 2 naming it."""
    rules = write_rules(tmp_path, listen)
    line = next(i for i, text in enumerate(rules.read_text().splitlines(), 1) if "listen" in text)
    expected = (
        f"{rules}:{line}: settings.listen: expected a loopback address and port such as "
        f"\"127.0.0.1:7377\", got '{listen}'"
    )
    base = [sys.executable, "-m", "playclock", "--data-dir", str(tmp_path / "data")]
    commands = {
        "agent": [*base, "--config", str(rules), "agent"],
        "rules check": [*base, "rules", "check", str(rules)],
    }
    for name, argv in commands.items():
        done = subprocess.run(
            argv,
            cwd=REPO_ROOT,
            env=agent_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        assert expected in done.stderr.splitlines(), (name, done.stderr)
        assert "running" not in done.stdout, name
