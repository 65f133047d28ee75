"""A real agent serving its local API on loopback, for API tests.

`running_agent(tmp_path, monkeypatch)` writes a rules file (child "An" on the current OS
account, `total` 60 min, the custom app `fakegame` in "games" with `games` 30 min, `listen`
on a free loopback port), builds the real runtime with `agent.compose.build`, sets the PIN
"4321" in a RootFileKeyring in a private temporary directory, starts ticking and uvicorn,
yields (runtime, base_url) and stops it.

`running_agent_process(tmp_path)` does the same with the real `playclock agent` command in a
subprocess and yields (AgentProcess, base_url).

`Api(base_url)` is a small `requests` caller for /api/v1 (no proxies, no remembered cookies);
`snapshot(runtime)` is everything a parent action could change, to compare before and after.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keyring.core
import pytest
import requests

from agent.security.pin.lockout import FileLockoutStore
from agent.security.pin.manager import PinManager, ScryptParams
from agent.security.root_keyring import SECRETS_DIR_ENV, RootFileKeyring
from agent.security.secret_store import SecretStore
from playclock.compose import Runtime, build
from tests.support.desktop import stop_process
from tests.support.hubserver import REPO_ROOT, free_port
from tests.support.waiting import wait_until

__all__ = [
    "CHANGE_KINDS",
    "PIN",
    "AgentProcess",
    "Api",
    "agent_env",
    "running_agent",
    "running_agent_process",
    "snapshot",
    "write_rules",
]

PIN = "4321"
KEYRING_BACKEND = "agent.security.root_keyring.RootFileKeyring"
FAST_SCRYPT = ScryptParams(n=2**4, r=1, p=1)
# Ledger event kinds that record a change a parent made (PIN tries are logged, not changes).
CHANGE_KINDS = frozenset(
    {
        "grant",
        "pause",
        "resume",
        "rules_changed",
        "request_answered",
        "reload",
        "pin_changed",
        "pin.set",
    }
)


class Api:
    """Calls to /api/v1 of one agent: `api("POST", "/grants", pin=..., json=...)`."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.timeout = timeout
        self.http = requests.Session()
        self.http.trust_env = False  # never through a proxy

    def __call__(
        self,
        method: str,
        path: str,
        *,
        pin: str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """One request; `pin` goes in X-PlayClock-PIN, `token` in Authorization: Bearer."""
        sent = dict(headers or {})
        if pin is not None:
            sent["X-PlayClock-PIN"] = pin
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        self.http.cookies.clear()  # a cookie is sent only when a test passes `cookies=`
        kwargs.setdefault("timeout", self.timeout)
        return self.http.request(method, self.base + path, headers=sent, **kwargs)

    def login(self, pin: str = PIN) -> dict[str, Any]:
        """POST /session with the PIN: {"token", "csrf", "expires_in"}."""
        resp = self("POST", "/session", json={"pin": pin})
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body


_SETTLED = ("id", "kind", "title", "limit_seconds", "bonus_seconds")


def _settled(status: dict[str, Any]) -> dict[str, Any]:
    """The status document without what time and running processes change (usage, state)."""
    return {
        "day": status["day"],
        "agent": status["agent"],
        "children": [
            {
                "name": child["name"],
                "paused": child.get("paused"),
                "limits": [{k: lim.get(k) for k in _SETTLED} for lim in child["limits"]],
            }
            for child in status["children"]
        ],
    }


def snapshot(runtime: Runtime) -> dict[str, Any]:
    """The status document's settings, ledger events and requests, rules and PIN hash."""
    secrets = Path(os.environ[SECRETS_DIR_ENV]) / "keyring.json"
    rules = runtime.agent.source.path
    return {
        "status": _settled(runtime.agent.status()),
        "events": [e.as_json() for e in runtime.ledger.events()],
        "requests": [r.as_json() for r in runtime.ledger.requests(None)],
        "rules": rules.read_text(encoding="utf-8") if rules else None,
        "pin_hash": secrets.read_bytes() if secrets.exists() else None,
    }


def write_rules(directory: Path, listen: str, process: str | None = None) -> Path:
    """The test rules file in `directory`, listening on `listen`.

    `fakegame` matches the process name `process`: by default a unique one, so that other
    tests' "fakegame" processes running at the same time never count here.
    """
    process = process or f"fakegame-{uuid.uuid4().hex[:6]}"
    path = directory / "rules.toml"
    path.write_text(
        f"""version = 1

[settings]
poll_seconds = 1
listen = "{listen}"

[apps.fakegame]
title = "Fake game"
category = "games"
names = ["{process}"]

[[child]]
name = "An"
accounts = ["{getpass.getuser()}"]

[child.limits.total]
daily = 60

[child.limits.games]
daily = 30
""",
        encoding="utf-8",
    )
    return path


def _port() -> int:
    """A free loopback port whose number does not contain the PIN (tests search logs for it)."""
    while PIN in str(port := free_port()):
        pass
    return port


def _secrets_dir(tmp_path: Path) -> Path:
    path = tmp_path / "secrets"
    path.mkdir(mode=0o700, exist_ok=True)
    path.chmod(0o700)
    return path


@contextmanager
def running_agent(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    pin: str | None = PIN,
    scrypt: ScryptParams | None = FAST_SCRYPT,
) -> Iterator[tuple[Runtime, str]]:
    """A started runtime on a free loopback port with the PIN set: (runtime, base_url).

    `scrypt` is the cost the runtime's own PinManager hashes with (None: the product's
    default, about 0.1 to 0.3 s per check); everything else about the PIN is the real thing.
    """
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", KEYRING_BACKEND)
    monkeypatch.setenv(SECRETS_DIR_ENV, str(_secrets_dir(tmp_path)))
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # re-read the env above
    last: OSError | None = None
    for attempt in range(3):
        port = _port()
        rules = write_rules(tmp_path, f"127.0.0.1:{port}")
        runtime = build(rules, tmp_path / f"data-{attempt}")
        if scrypt is not None:
            runtime.pins()._params = scrypt  # a cheap hash, so that tests can try PINs often
        if pin is not None and not runtime.pins().is_set():  # set already on a retry
            runtime.pins().set_pin(pin)
        try:
            runtime.start()
        except OSError as exc:  # someone took the port between choosing and binding
            last = exc
            runtime.stop()
            continue
        try:
            yield runtime, f"http://127.0.0.1:{port}"
        finally:
            runtime.stop()
        return
    raise RuntimeError(f"the agent did not start: {last}")


def agent_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a `playclock` subprocess with a private RootFileKeyring."""
    env = dict(os.environ)
    env.update(
        {
            "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND,
            SECRETS_DIR_ENV: str(_secrets_dir(tmp_path)),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
            "PLAYCLOCK_LANG": "en",
        }
    )
    for name in ("PLAYCLOCK_CONFIG", "PLAYCLOCK_DATA_DIR", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    return env


class AgentProcess:
    """`playclock agent` in a subprocess, with its output kept in a file."""

    def __init__(self, tmp_path: Path, rules: Path, data_dir: Path) -> None:
        self.tmp_path = tmp_path
        self.rules = rules
        self.data_dir = data_dir
        self.log_path = tmp_path / "agent.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def argv(self) -> list[str]:
        """The command line."""
        return [
            sys.executable,
            "-m",
            "playclock",
            "--config",
            str(self.rules),
            "--data-dir",
            str(self.data_dir),
            "agent",
        ]

    def start(self) -> None:
        """Spawn the agent."""
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=agent_env(self.tmp_path),
            )

    def healthy(self, url: str) -> bool:
        """True when /api/v1/health answers 200 right now."""
        try:
            return requests.get(f"{url}/api/v1/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; the exit code."""
        if self.proc is None:
            return None
        stop_process(self.proc, timeout)
        return self.proc.returncode

    def output(self) -> str:
        """Everything the agent wrote."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def running_agent_process(tmp_path: Path, *, pin: str = PIN) -> Iterator[tuple[AgentProcess, str]]:
    """`playclock agent` serving on a free loopback port with the PIN set: (process, base_url)."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    store = SecretStore(RootFileKeyring(_secrets_dir(tmp_path)))
    PinManager(store, FileLockoutStore(data / "pin-lockout.json")).set_pin(pin)
    port = _port()
    url = f"http://127.0.0.1:{port}"
    agent = AgentProcess(tmp_path, write_rules(tmp_path, f"127.0.0.1:{port}"), data)
    agent.start()
    try:
        assert agent.proc is not None
        wait_until(
            lambda: agent.healthy(url) or agent.proc.poll() is not None,  # type: ignore[union-attr]
            timeout=30,
            interval=0.05,
            message="the agent's /api/v1/health",
        )
        if not agent.healthy(url):
            raise RuntimeError(f"playclock agent did not start:\n{agent.output()[-4000:]}")
        yield agent, url
    finally:
        agent.stop()
