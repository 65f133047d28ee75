"""The real agent as a subprocess: `playclock --config X --data-dir Y agent` on a free port.

    agent = AgentProcess.create(tmp_path, rules_text(port_placeholder...))
    agent.start()            # waits for GET /api/v1/health
    agent.status()           # `playclock status --json`, parsed
    agent.terminate()        # SIGTERM, returns the exit code
    agent.kill()             # SIGKILL

stdout and stderr go to files (a full pipe never blocks the agent) and are shown in
failure messages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.hubserver import free_port
from tests.support.waiting import WaitTimeout, wait_until

__all__ = [
    "AgentProcess",
    "child_of",
    "free_port",
    "limit_row",
    "playclock_argv",
    "prefill_usage",
    "rules_text",
    "today",
    "unique_game_name",
]

START_TIMEOUT = 30.0
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def playclock_argv() -> list[str]:
    """The `playclock` console script of this interpreter's environment."""
    beside = Path(sys.executable).with_name("playclock")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("playclock")
    return [found] if found else [sys.executable, "-m", "playclock"]


def rules_text(
    port: int,
    *,
    daily: int = 60,
    account: str | None = None,
    second_child: str | None = None,
    second_daily: int = 60,
    poll_seconds: float = 0.5,
    grace_seconds: float = 2,
    warn_minutes: tuple[int, ...] = (10, 5, 1),
    game_name: str = "fakegame",
) -> str:
    """Rules for tests: child "An" on the current account (and "Binh" on `second_child`),
    one custom app `fakegame` in category "games", a `games` limit of `daily` minutes.

    `game_name` is the process name the app matches; give each test run its own
    (see `unique_game_name`) so that another suite's `fakegame` on this machine is
    neither counted nor closed by this agent.
    """
    user = account or getpass.getuser()
    text = f"""\
version = 1

[settings]
poll_seconds = {poll_seconds}
grace_seconds = {grace_seconds}
warn_minutes = [{", ".join(str(m) for m in warn_minutes)}]
listen = "127.0.0.1:{port}"

[apps.fakegame]
title = "Fake Game"
category = "games"
names = ["{game_name}"]

[categories.games]
title = "Games"

[[child]]
name = "An"
accounts = ["{user}"]

[child.limits.games]
daily = {daily}
"""
    if second_child:
        text += f"""
[[child]]
name = "Binh"
accounts = ["{second_child}"]

[child.limits.games]
daily = {second_daily}
"""
    return text


def unique_game_name() -> str:
    """A process name like "fakegame-1a2b3" (under Linux's 15-character limit)."""
    return f"fakegame-{secrets.token_hex(3)[:5]}"


def today(day_starts: int = 0) -> dt.date:
    """The budget day the agent will see now (the machine's zone, like the agent)."""
    from agent.platform.timezone import local_timezone
    from rules.timeutil import day_of

    return day_of(dt.datetime.now(local_timezone()), day_starts)


def prefill_usage(
    data_dir: Path,
    seconds: float,
    *,
    child: str = "An",
    app: str = "fakegame",
    category: str = "games",
    day: dt.date | None = None,
) -> None:
    """Write usage into the ledger file before the agent starts (as if played earlier)."""
    from agent.ledger.sqlite import SqliteLedger

    when = day or today()
    ledger = SqliteLedger(data_dir / "ledger.sqlite")
    try:
        ledger.add_usage(
            {
                (when, child, "app", app): seconds,
                (when, child, "category", category): seconds,
                (when, child, "total", "total"): seconds,
            }
        )
    finally:
        ledger.close()


@dataclass
class AgentProcess:
    """One run (or several, one after the other) of the real agent on one config and data dir."""

    config: Path
    data_dir: Path
    port: int
    logs: Path
    proc: subprocess.Popen[bytes] | None = None
    runs: int = 0
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, tmp_path: Path, text: str | None = None, **rules: Any) -> AgentProcess:
        """Write rules (generated with `rules_text` on a free port unless given) into tmp_path."""
        port = free_port()
        config = tmp_path / "rules.toml"
        config.write_text(text if text is not None else rules_text(port, **rules), "utf-8")
        data = tmp_path / "data"
        data.mkdir(exist_ok=True)
        logs = tmp_path / "logs"
        logs.mkdir(exist_ok=True)
        return cls(config, data, port, logs)

    # -- the environment ---------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DISPLAY", "WAYLAND_DISPLAY") and not k.startswith("PLAYCLOCK_")
        }
        env.update(
            PLAYCLOCK_CONFIG=str(self.config),
            PLAYCLOCK_DATA_DIR=str(self.data_dir),
            PLAYCLOCK_LANG="en",
            PYTHONUNBUFFERED="1",
            NO_PROXY="127.0.0.1,localhost",
        )
        env.update(self.env)
        return env

    def argv(self, *args: str) -> list[str]:
        return [
            *playclock_argv(),
            "--config",
            str(self.config),
            "--data-dir",
            str(self.data_dir),
            *args,
        ]

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def stdout_path(self) -> Path:
        return self.logs / f"agent-{self.runs}.out"

    @property
    def stderr_path(self) -> Path:
        return self.logs / f"agent-{self.runs}.err"

    def start(self, timeout: float = START_TIMEOUT, *, wait: bool = True) -> AgentProcess:
        """Start the agent and wait until its API answers /health (unless not `wait`)."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.runs += 1
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.argv("agent"),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=self.environment(),
                start_new_session=True,
            )
        if not wait:
            return self
        try:
            wait_until(self._healthy_or_dead, timeout, 0.05, "the agent's /health answers")
        except WaitTimeout as exc:
            self.kill()
            raise WaitTimeout(f"{exc}\n{self.output()}") from None
        if self.proc.poll() is not None:
            raise AssertionError(f"the agent exited with {self.proc.returncode}\n{self.output()}")
        return self

    def _healthy_or_dead(self) -> bool:
        assert self.proc is not None
        return self.proc.poll() is not None or self.health() is not None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM; the exit code (fails when it does not stop within timeout)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"the agent did not stop within {timeout:g} s of SIGTERM\n{self.output()}"
            ) from None

    def kill(self) -> None:
        """kill -9 (and reap)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def output(self) -> str:
        """The agent's stdout and stderr so far, for failure messages."""
        parts = []
        for path in (self.stdout_path, self.stderr_path):
            with contextlib.suppress(OSError):
                parts.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-6000:]}")
        return "\n".join(parts)

    # -- talking to it -----------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1{path}"

    def get(self, path: str, timeout: float = 2.0) -> Any:
        """GET a JSON document from the local API (None when nothing answers)."""
        try:
            with _NO_PROXY.open(self.url(path), timeout=timeout) as resp:
                return json.loads(resp.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return None

    def health(self) -> dict[str, Any] | None:
        doc = self.get("/health", timeout=1.0)
        return doc if isinstance(doc, dict) and doc.get("ok") else None

    def api_status(self) -> dict[str, Any]:
        doc = self.get("/status")
        assert doc is not None, f"no status from the agent\n{self.output()}"
        return dict(doc)

    def cli(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run `playclock --config X --data-dir Y ARGS...` and return what it did."""
        return subprocess.run(
            self.argv(*args),
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def status(self) -> dict[str, Any]:
        """`playclock status --json`, parsed (fails on a non-zero exit)."""
        done = self.cli("status", "--json")
        assert done.returncode == 0, (
            f"status exited {done.returncode}: {done.stderr}\n{self.output()}"
        )
        return dict(json.loads(done.stdout))

    def events(self, kind: str | None = None) -> list[Any]:
        """The ledger's events (read from the file, like a report would)."""
        from agent.ledger.sqlite import SqliteLedger

        ledger = SqliteLedger(self.data_dir / "ledger.sqlite")
        try:
            return [e for e in ledger.events(limit=100_000) if kind is None or e.kind == kind]
        finally:
            ledger.close()

    def ledger_seconds(self, child: str = "An", ident: str = "games") -> float:
        """Today's seconds in the ledger file for a child's category (flushed usage only)."""
        from agent.ledger.sqlite import SqliteLedger

        ledger = SqliteLedger(self.data_dir / "ledger.sqlite")
        try:
            return ledger.load_day(today()).usage.get((child, "category", ident), 0.0)
        finally:
            ledger.close()


def limit_row(doc: dict[str, Any], key: str = "games", child: str = "An") -> dict[str, Any]:
    """One limit's row of a status document."""
    kid = next(c for c in doc["children"] if c["name"] == child)
    return dict(next(r for r in kid["limits"] if r["id"] == key))


def child_of(doc: dict[str, Any], child: str = "An") -> dict[str, Any]:
    """One child's entry of a status document."""
    return dict(next(c for c in doc["children"] if c["name"] == child))
