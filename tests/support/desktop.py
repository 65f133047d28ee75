"""Throwaway desktop pieces for tests: a private D-Bus session bus and a real Secret Service.

from tests.support.desktop import secret_service, secret_service_unavailable

reason = secret_service_unavailable()   # None, or why to skip
with secret_service() as session:       # os.environ points at it inside the block
    keyring.backends.SecretService.Keyring().set_password("svc", "user", "secret")
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.waiting import wait_until

__all__ = [
    "SECRETS_BUS_NAME",
    "DBusSession",
    "SecretServiceSession",
    "dbus_session",
    "log_tail",
    "missing_tools",
    "patched_environ",
    "secret_service",
    "secret_service_unavailable",
    "stop_process",
]

SECRETS_BUS_NAME = "org.freedesktop.secrets"

# No <servicedir>: nothing is D-Bus-activated behind our back (an activated
# gnome-keyring would be locked and would outlive the bus).
_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def missing_tools(*names: str) -> list[str]:
    """The programs among `names` that are not on PATH."""
    return [name for name in names if shutil.which(name) is None]


@contextlib.contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block, then restore the previous values."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Terminate a child we started, killing it if it does not exit in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def log_tail(path: Path) -> str:
    """The end of a child's log, for error messages."""
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[-2000:]
    return ""


@dataclass
class DBusSession:
    """A running private session bus."""

    address: str
    pid: int
    workdir: Path


def _bus_answers(address: str, name: str | None = None) -> bool:
    """Whether the bus accepts a connection (and, when given, `name` has an owner)."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    try:
        conn = open_dbus_connection(bus=address)
    except OSError:
        return False
    with conn:
        if name is None:
            return True
        bus = DBusAddress(
            "/org/freedesktop/DBus",
            bus_name="org.freedesktop.DBus",
            interface="org.freedesktop.DBus",
        )
        reply = conn.send_and_get_reply(new_method_call(bus, "NameHasOwner", "s", (name,)))
        return bool(reply.body[0])


@contextlib.contextmanager
def dbus_session(timeout: float = 10.0) -> Iterator[DBusSession]:
    """Start a private `dbus-daemon` on a socket in a fresh temporary directory."""
    # mkdtemp under /tmp: a unix socket path must stay under 108 bytes.
    workdir = Path(tempfile.mkdtemp(prefix="pc-dbus-"))
    address = f"unix:path={workdir / 'bus'}"
    config = workdir / "bus.conf"
    config.write_text(_BUS_CONFIG.format(address=address))
    log = workdir / "dbus.log"
    # --nofork keeps the daemon our child, so that it is reaped and cannot linger.
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"dbus-daemon exited ({proc.returncode}): {log_tail(log)}")
            return _bus_answers(address)

        wait_until(ready, timeout, message="the private D-Bus session bus")
        yield DBusSession(address, proc.pid, workdir)
    finally:
        stop_process(proc)
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class SecretServiceSession:
    """A gnome-keyring Secret Service on a private bus, unlocked with `password`."""

    bus: DBusSession
    password: str
    pid: int
    env: dict[str, str] = field(default_factory=dict)


def secret_service_unavailable() -> str | None:
    """Why `secret_service()` cannot run here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return "the Secret Service fixture needs Linux"
    missing = missing_tools("dbus-daemon", "gnome-keyring-daemon")
    if missing:
        return f"not installed: {', '.join(missing)} (Debian: apt-get install dbus gnome-keyring)"
    for module in ("jeepney", "secretstorage"):
        try:
            __import__(module)
        except ImportError:
            return f"Python package {module!r} not installed"
    return None


def _default_collection_unlocked(address: str) -> bool:
    """Whether the Secret Service owns its name and its default collection is unlocked."""
    if not _bus_answers(address, SECRETS_BUS_NAME):
        return False
    from jeepney.io.blocking import open_dbus_connection
    from secretstorage import Collection
    from secretstorage.exceptions import SecretStorageException

    with open_dbus_connection(bus=address) as conn:
        try:
            return not Collection(conn).is_locked()
        except SecretStorageException:
            return False


@contextlib.contextmanager
def secret_service(
    password: str = "playclock-test", timeout: float = 10.0
) -> Iterator[SecretServiceSession]:
    """Run an unlocked gnome-keyring on a private bus; os.environ points at it in the block."""
    with dbus_session(timeout) as bus:
        root = bus.workdir
        env = {
            "DBUS_SESSION_BUS_ADDRESS": bus.address,
            # A fresh keyring each time: an old one with another password would prompt.
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_CACHE_HOME": str(root / "cache"),
            "XDG_RUNTIME_DIR": str(root / "run"),
            "NO_AT_BRIDGE": "1",
        }
        for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
            Path(env[name]).mkdir(mode=0o700)
        log = root / "gnome-keyring.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **env},
            )
        try:
            assert proc.stdin is not None
            proc.stdin.write(password.encode("utf-8"))
            proc.stdin.close()

            def ready() -> bool:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"gnome-keyring-daemon exited ({proc.returncode}): {log_tail(log)}"
                    )
                return _default_collection_unlocked(bus.address)

            wait_until(ready, timeout, message=f"{SECRETS_BUS_NAME} on the private bus, unlocked")
            with patched_environ(env):
                yield SecretServiceSession(bus, password, proc.pid, env)
        finally:
            stop_process(proc)
