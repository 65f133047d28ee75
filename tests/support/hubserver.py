"""Run the real family hub (`python -m sync.hub`) as a subprocess on loopback (tests, benches).

`HubServer(db_url)` picks a free port, starts the hub, waits for `/v1/health` with a deadline,
and can `stop()`, `kill()` (crash) and `restart()` it on the same port and database.
`HubApi` is a thin client for writing tests: families, logins, pairing, consents, uploads.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from tests.support.desktop import stop_process
from tests.support.waiting import WaitTimeout, wait_until

__all__ = ["REPO_ROOT", "HubApi", "HubServer", "free_port"]

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class HubServer:
    """One hub process; the port and database are kept across restarts."""

    def __init__(self, db_url: str, *, port: int | None = None, log_dir: Path | None = None,
                 extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None) -> None:
        self.db_url = db_url
        self._fixed_port = port is not None
        self.port = port or free_port()
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="playclock-hub-"))
        self.log_path = self.log_dir / f"hub-{self.port}.log"
        self.extra_args = extra_args
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:41234."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        """Start the hub and wait until /v1/health answers 200."""
        for _attempt in range(3):
            if self._spawn_and_wait(timeout):
                return
            if self._fixed_port or "address already in use" not in self.log_text().lower():
                break
            self.port = free_port()  # someone took the port between choosing and binding
            self.log_path = self.log_dir / f"hub-{self.port}.log"
        raise RuntimeError(f"hub did not start on {self.url}:\n{self.log_text()[-4000:]}")

    def _spawn_and_wait(self, timeout: float) -> bool:
        env = dict(os.environ if self.env is None else self.env)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                          env.get("PYTHONPATH")]))
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sync.hub", "--db", self.db_url,
                 "--listen", f"127.0.0.1:{self.port}", *self.extra_args],
                cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
            )
        proc = self.proc
        try:
            wait_until(lambda: proc.poll() is not None or self.healthy(), timeout=timeout,
                       interval=0.05, message=f"hub health on {self.url}")
        except WaitTimeout:
            self.kill()
            return False
        return proc.poll() is None

    def healthy(self) -> bool:
        """True when /v1/health answers 200 right now."""
        try:
            return requests.get(f"{self.url}/v1/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (graceful), then SIGKILL after `timeout`; returns the exit code."""
        if self.proc is None:
            return None
        stop_process(self.proc, timeout)
        code = self.proc.returncode
        self.proc = None
        return code

    def kill(self) -> None:
        """SIGKILL at once, as a crash or power loss would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(15)
        self.proc = None

    def restart(self, timeout: float = 30.0, *, crash: bool = False) -> None:
        """Stop (or kill) and start again on the same port and database."""
        if crash:
            self.kill()
        else:
            self.stop()
        self._fixed_port = True
        self.start(timeout)

    def log_text(self) -> str:
        """Everything the hub wrote so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> HubServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _consent(child: str, consent_id: str | None = None,
             shares: tuple[str, ...] = ("total", "apps", "categories", "counts")) -> dict[str, Any]:
    return {
        "consent_id": consent_id or str(uuid.uuid4()), "child": child,
        "child_birth_year": 2014, "parent_name": "Mẹ", "child_consented": True,
        "parent_consented_at": "2026-01-02T09:00:00+07:00",
        "child_consented_at": "2026-01-02T09:05:00+07:00", "shares": list(shares),
    }


class HubApi:
    """A small test client: `requests` plus the hub's account and pairing steps."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base = base_url.rstrip("/")
        self.http = requests.Session()
        self.timeout = timeout

    def call(self, method: str, path: str, token: str | None = None,
             **kwargs: Any) -> requests.Response:
        """One request; `token` goes in `Authorization: Bearer`."""
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.base + path, headers=headers,
                                 timeout=self.timeout, **kwargs)

    def family(self, password: str = "correct horse 1") -> tuple[str, str]:
        """Create a family with a fresh email and log in: (email, parent token)."""
        email = f"parent-{uuid.uuid4().hex[:12]}@example.test"
        r = self.call("POST", "/v1/families", json={
            "family_name": "Gia đình Nguyễn", "email": email, "password": password})
        assert r.status_code == 201, r.text
        r = self.call("POST", "/v1/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return email, str(r.json()["token"])

    def pairing_code(self, parent_token: str) -> str:
        """A fresh pairing code."""
        r = self.call("POST", "/v1/pairing-codes", parent_token)
        assert r.status_code == 201, r.text
        return str(r.json()["code"])

    def pair(self, parent_token: str, name: str = "PC",
             children: tuple[str, ...] = ("An",)) -> tuple[str, dict[str, str]]:
        """Pair a new device with consents for `children`: (device token, child -> consent id)."""
        consents = [_consent(child) for child in children]
        r = self.call("POST", "/v1/devices/pair", json={
            "code": self.pairing_code(parent_token), "device_name": name,
            "consents": consents})
        assert r.status_code == 201, r.text
        return str(r.json()["device_token"]), {c["child"]: c["consent_id"] for c in consents}

    def upload(self, device_token: str, consent_id: str, child: str, day: str, revision: int,
               total: int, **extra: Any) -> requests.Response:
        """PUT one day summary."""
        body = {"revision": revision, "consent_id": consent_id, "total_seconds": total, **extra}
        return self.call("PUT", f"/v1/devices/me/days/{child}/{day}", device_token, json=body)

    consent_body = staticmethod(_consent)
