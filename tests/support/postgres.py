"""A throwaway PostgreSQL cluster for tests and benches: initdb in a temp dir, a free port,
a Unix socket in that dir, one fresh database per caller.

Use the `postgres_cluster` fixture (session scope; skips with the reason when PostgreSQL
cannot run here), or `PostgresCluster` directly. As root the server runs as the `postgres`
account through `runuser`; as any other user it runs as that user.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

import pytest

from tests.support.hubserver import free_port

__all__ = [
    "PostgresCluster",
    "UnavailableError",
    "database_url",
    "find_pg_bin",
    "shared_cluster",
]


class UnavailableError(RuntimeError):
    """PostgreSQL cannot run here (the message says why)."""


def find_pg_bin() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin holding initdb, else initdb's dir on PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostgresCluster:
    """A private PostgreSQL server; `create_database()` hands out SQLAlchemy URLs."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise UnavailableError("PostgreSQL's initdb was not found "
                                   "(apt-get install postgresql)")
        self.bin = bin_dir
        self.run_as: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise UnavailableError("running as root and there is no `postgres` account "
                                       "for the server to run as") from None
            self.run_as = "postgres"
        self.base = Path(tempfile.mkdtemp(prefix="playclock-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.started = False

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False,
                              cwd=self.base)
        if done.returncode != 0:
            raise UnavailableError(f"{args[0]} failed ({done.returncode}): "
                                   f"{(done.stderr or done.stdout).strip()[-2000:]}")

    def start(self) -> PostgresCluster:
        """initdb and start the server; waits until it accepts connections (pg_ctl -w)."""
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        options = [f"-p {self.port}", f"-k {self.base}", "-c listen_addresses=''",
                   "-c max_connections=200"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off",
                        "-c full_page_writes=off"]
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data),
                  "-l", str(self.base / "server.log"), "-o", " ".join(options))
        self.started = True
        return self

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL for a database of this cluster (Unix socket, user postgres)."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.base}&port={self.port}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = name or f"hub_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host=str(self.base), port=self.port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and delete its files."""
        if self.started:
            with contextlib.suppress(UnavailableError):
                self._run("pg_ctl", "stop", "-m", "fast", "-w", "-D", str(self.data))
            self.started = False
        shutil.rmtree(self.base, ignore_errors=True)


_shared: PostgresCluster | None = None
_shared_error: str | None = None
_shared_lock = threading.Lock()


def shared_cluster() -> PostgresCluster:
    """One cluster per test process, however many modules import the fixture."""
    global _shared, _shared_error
    with _shared_lock:
        if _shared_error is not None:
            raise UnavailableError(_shared_error)
        if _shared is None:
            cluster: PostgresCluster | None = None
            try:
                cluster = PostgresCluster()
                cluster.start()
            except UnavailableError as exc:
                _shared_error = str(exc)
                if cluster is not None:
                    cluster.stop()
                raise
            atexit.register(cluster.stop)
            _shared = cluster
        return _shared



def database_url(backend: str, tmp_dir: Path, request: pytest.FixtureRequest) -> str:
    """A fresh database for a hub: `sqlite` (a file in tmp_dir) or `postgres` (skips if absent)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / 'hub.sqlite'}"
    if backend == "postgres":
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        return cluster.create_database()
    raise ValueError(f"unknown backend {backend!r}")
