"""The real agent against what a child's own account can do to it: floods, squatting, fakes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.agentproc import AgentProcess, unique_game_name
from tests.support.waiting import wait_for_line, wait_until

POLL = 0.5
GRACE = 2.0
CLOSE_DEADLINE = POLL + GRACE + 1.0
SLEEP = shutil.which("sleep") or "/bin/sleep"
GAME = unique_game_name()
NOBODY = 65534

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("setpriv"),
    reason="needs root and setpriv (to act as a standard account)",
)

# Run as a standard account: keeps `count` idle connections open to the port (re-opening any the
# agent closes), prints "open", and stops after `hold` seconds.
FLOOD = """
import resource, socket, sys, time
port, count, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
def connect():
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    return s
socks = [connect() for _ in range(count)]
print("open", len(socks), flush=True)
end = time.monotonic() + hold
while time.monotonic() < end:
    for i, s in enumerate(socks):
        try:
            if s.recv(1) == b"":
                raise ConnectionResetError
        except BlockingIOError:
            continue
        except OSError:
            pass
        s.close()
        socks[i] = connect()
    time.sleep(0.2)
"""


def as_nobody(argv: list[str]) -> list[str]:
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]


@dataclass
class LimitedAgent(AgentProcess):
    """The agent under `prlimit --nofile=N` (soft and hard), like a small service limit."""

    nofile: int = 1024

    def argv(self, *args: str) -> list[str]:
        argv = super().argv(*args)
        if args == ("agent",) and shutil.which("prlimit"):
            return ["prlimit", f"--nofile={self.nofile}", "--", *argv]
        return argv


@pytest.fixture
def game() -> Iterator[Path]:
    """The game (a copy of sleep named GAME) in a directory every account may enter."""
    path = Path(tempfile.mkdtemp(prefix="playclock-hardening-"))
    os.chmod(path, 0o755)
    shutil.copy2(SLEEP, path / GAME)
    os.chmod(path / GAME, 0o755)
    yield path / GAME
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def started(argv: list[str], **kwargs: object) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(argv, text=True, start_new_session=True, **kwargs)  # type: ignore[call-overload]
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@needs_root
@pytest.mark.skipif(not shutil.which("prlimit"), reason="needs prlimit")
def test_idle_connections_from_a_standard_account_do_not_stop_enforcement(
    tmp_path: Path, game: Path
) -> None:
    """2,000 idle connections against 1,024 fds: a blocked game is still closed, the log small."""
    base = AgentProcess.create(tmp_path, daily=0, game_name=GAME, poll_seconds=POLL)
    agent = LimitedAgent(base.config, base.data_dir, base.port, base.logs).start()
    try:
        argv = as_nobody([sys.executable, "-c", FLOOD, str(agent.port), "2000", "12"])
        with started(argv, stdout=subprocess.PIPE) as flooder:
            assert flooder.stdout is not None
            assert wait_for_line(flooder.stdout, timeout=60).startswith("open")
            begun = time.monotonic()
            with started([str(game), "600"]) as play:
                try:
                    play.wait(timeout=CLOSE_DEADLINE)
                except subprocess.TimeoutExpired:
                    raise AssertionError(f"the game still runs\n{agent.output()}") from None
                assert time.monotonic() - begun <= CLOSE_DEADLINE
            flooder.wait(timeout=60)  # the flood goes on for its 12 s
        wait_until(agent.health, timeout=15, message="the API answers again after the flood")
        assert agent.running()
        size = agent.stdout_path.stat().st_size + agent.stderr_path.stat().st_size
        assert size < 20_000, agent.output()
        assert "Traceback" not in agent.output()
    finally:
        agent.terminate()


# Run as a standard account: listens on the address and port first (a fake agent), says "bound".
SQUAT = """
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family)
if family == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
print("bound", flush=True)
while True:
    s.accept()[0].close()
"""


def health_at(host: str, port: int) -> bool:
    """True when the agent's /health answers on this address."""
    import json
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://{host}:{port}/api/v1/health", timeout=2) as resp:
            return bool(json.loads(resp.read()).get("ok"))
    except OSError:
        return False


@needs_root
@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_a_squatted_port_leaves_enforcement_on_and_the_api_comes_back(
    tmp_path: Path, game: Path, address: str
) -> None:
    """A child's program on the agent's address first: the agent enforces, says so, retries."""
    agent = AgentProcess.create(tmp_path, daily=0, game_name=GAME, poll_seconds=POLL)
    squat = as_nobody([sys.executable, "-c", SQUAT, address, str(agent.port)])
    try:
        with started(squat, stdout=subprocess.PIPE) as squatter:
            assert squatter.stdout is not None
            assert wait_for_line(squatter.stdout, timeout=30).startswith("bound")
            agent.start(wait=False)
            wait_until(lambda: "could not listen" in agent.output() or not agent.running(), 30)
            assert agent.running(), agent.output()
            begun = time.monotonic()
            with started([str(game), "600"]) as play:
                try:
                    play.wait(timeout=CLOSE_DEADLINE)
                except subprocess.TimeoutExpired:
                    raise AssertionError(f"the game still runs\n{agent.output()}") from None
                assert time.monotonic() - begun <= CLOSE_DEADLINE
            doc = agent.status()
            assert doc["agent"]["running"] is True
            assert "could not listen" in doc["agent"]["api"]["error"]
            said = agent.cli("status").stdout
            assert "local API is not available" in said, said
        # The address is free again: the agent takes it, on both loopbacks.
        wait_until(agent.health, timeout=30, message="the agent listens after the squatter left")
        assert health_at("127.0.0.1", agent.port)
        assert health_at("[::1]", agent.port)
        assert len(agent.events("api_unavailable")) == 1
        assert agent.output().count("could not listen") == 1, agent.output()
    finally:
        if agent.running():
            agent.terminate()


# Run as a standard account: a fake agent on the address that tells what each connection sent.
RECORD = """
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
print("bound", flush=True)
while True:
    c = s.accept()[0]
    c.settimeout(5)
    try:
        data = c.recv(65536)
    except OSError:
        data = b""
    print("got", data[:40], flush=True)
    c.close()
"""


@needs_root
def test_the_cli_sends_no_pin_to_a_program_of_a_standard_account(tmp_path: Path) -> None:
    """Root's rules name the address, a child's program holds it: `grant` refuses, sends nothing."""
    agent = AgentProcess.create(tmp_path, daily=0, game_name=GAME)
    fake = as_nobody([sys.executable, "-c", RECORD, str(agent.port)])
    with started(fake, stdout=subprocess.PIPE) as squatter:
        assert squatter.stdout is not None
        assert wait_for_line(squatter.stdout, timeout=30).startswith("bound")
        done = subprocess.run(
            agent.argv("grant", "games", "5", "--child", "An"),
            input="4321\n", env=agent.environment(), capture_output=True, text=True,
            timeout=60, check=False,
        )
        assert done.returncode == 1, (done.stdout, done.stderr)
        assert "refusing to send the parent PIN" in done.stderr
        # Whatever reached the fake agent came before this marker: nothing may have.
        import socket

        with socket.create_connection(("127.0.0.1", agent.port), timeout=5) as marker:
            marker.sendall(b"marker")
            assert wait_for_line(squatter.stdout, timeout=30) == "got b'marker'\n"


@needs_root
def test_the_socket_table_tells_roots_listener_from_a_standard_accounts(tmp_path: Path) -> None:
    import socket

    from agent.platform.listener import impostor, listening_uids

    with socket.socket() as mine:
        mine.bind(("127.0.0.1", 0))
        mine.listen(1)
        port = mine.getsockname()[1]
        assert listening_uids(port) == {0}
        assert impostor(f"http://127.0.0.1:{port}", agent_is_root=True) is None
    agent = AgentProcess.create(tmp_path)
    with started(as_nobody([sys.executable, "-c", SQUAT, "::1", str(agent.port)]),
                 stdout=subprocess.PIPE) as squatter:
        assert squatter.stdout is not None
        assert wait_for_line(squatter.stdout, timeout=30).startswith("bound")
        assert listening_uids(agent.port) == {NOBODY}
        url = f"http://localhost:{agent.port}"
        assert "not the installed PlayClock agent" in str(impostor(url, agent_is_root=True))
        assert impostor(url, agent_is_root=False) is None  # a personal (demo) agent


def test_rules_that_cannot_be_written_are_a_clear_answer_not_a_500(tmp_path: Path) -> None:
    """Like `ProtectSystem=strict` without the rules' folder: the API says why, changes nothing."""
    from tests.support.apiserver import PIN, Api, running_agent_process

    with running_agent_process(tmp_path) as (agent, url):
        (agent.rules.parent / "rules.toml.bak").mkdir()  # writing the backup fails (EISDIR)
        before = agent.rules.read_text(encoding="utf-8")
        resp = Api(url)("PUT", "/children/An/limits/games", pin=PIN, json={"daily": 10})
        assert resp.status_code == 503, resp.text
        assert "could not be saved" in resp.json()["detail"]
        assert agent.rules.read_text(encoding="utf-8") == before
        assert Api(url)("GET", "/status").status_code == 200


def test_made_up_child_names_leave_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests for children who do not exist are refused before the rate limiter sees them."""
    from agent.security.api_sessions import RateLimiter
    from tests.support.apiserver import Api, running_agent

    with running_agent(tmp_path, monkeypatch) as (runtime, url):
        api = Api(url)
        assert runtime.api is not None
        asks = runtime.api.ctx.asks
        for i in range(300):
            resp = api("POST", "/requests", json={"child": f"ghost-{i}", "minutes": 15})
            assert resp.status_code == 400, resp.text
        assert len(asks) == 0
        assert api("POST", "/requests", json={"child": "an", "minutes": 15}).status_code == 201
        assert len(asks) == 1

    clock = [0.0]
    limiter = RateLimiter(3, 600, clock=lambda: clock[0], max_keys=100)
    for i in range(10_000):
        clock[0] += 0.01
        assert limiter.allow(f"key-{i}")
    assert len(limiter) <= 100
    assert limiter.allow("key-9999") and limiter.allow("key-9999")
    assert not limiter.allow("key-9999")  # a recent key keeps its count


@needs_root
def test_report_without_read_access_to_the_ledger_says_so(tmp_path: Path) -> None:
    """A standard account's `playclock report` on root's data: exit 1 and how, not zeros."""
    from tests.support.agentproc import playclock_argv, prefill_usage, rules_text

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    prefill_usage(data, 600)
    shared = Path(tempfile.mkdtemp(prefix="playclock-report-"))
    try:
        shared.chmod(0o755)
        rules = shared / "rules.toml"
        rules.write_text(rules_text(7395), encoding="utf-8")
        rules.chmod(0o644)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLAYCLOCK_")}
        env.update(PLAYCLOCK_LANG="en", HOME=str(shared))
        argv = [*playclock_argv(), "--config", str(rules), "--data-dir", str(data), "report"]
        done = subprocess.run(
            as_nobody(argv), env=env, cwd=shared, capture_output=True, text=True, timeout=60,
            check=False,
        )
        assert done.returncode == 1, (done.stdout, done.stderr)
        assert "cannot read the ledger" in done.stderr and "sudo" in done.stderr
        assert done.stdout == ""
    finally:
        shutil.rmtree(shared, ignore_errors=True)
