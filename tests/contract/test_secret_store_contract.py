"""One contract for every SecretStore backend, and the PIN over each of them.

Backends: MemoryKeyring, RootFileKeyring in a temporary directory, and a real Secret
Service (gnome-keyring on a private D-Bus session, see tests.support.desktop).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import SecretService, chainer, fail

from agent.security.pin import manager as pin_manager
from agent.security.pin.errors import LockedOut, PinRequired, WrongPin
from agent.security.pin.lockout import DEFAULT_LOCKOUT
from agent.security.pin.manager import PIN_NAME, PinManager, VerifyStatus
from agent.security.root_keyring import RootFileKeyring
from agent.security.secret_store import SERVICE, SecretStore, SecretStoreError, open_store
from agent.testing import MemoryKeyring, MemoryLockoutStore
from tests.support.desktop import SecretServiceSession, secret_service, secret_service_unavailable

BACKENDS = ["memory", "rootfile", "secretservice"]


@pytest.fixture(scope="module")
def secret_service_session() -> Iterator[SecretServiceSession]:
    """One unlocked gnome-keyring for the module; each test uses its own service name."""
    reason = secret_service_unavailable()
    if reason:
        pytest.skip(reason)
    with secret_service() as session:
        yield session


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> KeyringBackend:
    if request.param == "memory":
        return MemoryKeyring()
    if request.param == "rootfile":
        return RootFileKeyring(tmp_path / "secrets")
    request.getfixturevalue("secret_service_session")
    return SecretService.Keyring()


@pytest.fixture
def store(backend: KeyringBackend) -> SecretStore:
    return open_store(backend, service=f"playclock-test-{uuid.uuid4().hex}")


class TestSecretStoreContract:
    def test_missing_name_is_none(self, store: SecretStore) -> None:
        assert store.get("nothing-here") is None

    def test_set_then_get(self, store: SecretStore) -> None:
        store.set("token", "s3cret")
        assert store.get("token") == "s3cret"

    def test_overwrite_keeps_only_the_new_value(self, store: SecretStore) -> None:
        store.set("token", "first")
        store.set("token", "second")
        assert store.get("token") == "second"

    def test_delete_removes_and_is_idempotent(self, store: SecretStore) -> None:
        store.set("token", "value")
        store.delete("token")
        assert store.get("token") is None
        store.delete("token")
        store.delete("never-set")
        assert store.get("never-set") is None

    def test_unicode_names_and_values(self, store: SecretStore) -> None:
        value = 'mật khẩu ☃ 𝟙𝟚\n"quoted" {json}'
        store.set("mã-đồng-bộ", value)
        assert store.get("mã-đồng-bộ") == value

    def test_long_value(self, store: SecretStore) -> None:
        value = "x" * 4096
        store.set("token", value)
        assert store.get("token") == value

    def test_names_are_isolated(self, store: SecretStore) -> None:
        store.set("a", "one")
        store.set("b", "two")
        store.delete("a")
        assert (store.get("a"), store.get("b")) == (None, "two")

    def test_services_are_isolated(self, store: SecretStore) -> None:
        other = SecretStore(store.backend, f"{store.service}-other")
        store.set("token", "mine")
        assert other.get("token") is None
        other.set("token", "theirs")
        assert store.get("token") == "mine"

    def test_default_service_is_playclock(self, backend: KeyringBackend) -> None:
        default = open_store(backend)
        name = f"probe-{uuid.uuid4().hex}"
        default.set(name, "value")
        try:
            assert default.service == SERVICE == "playclock"
            assert backend.get_password("playclock", name) == "value"
        finally:
            default.delete(name)


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def events() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
def manager(
    store: SecretStore, events: list[tuple[str, dict[str, Any]]]
) -> tuple[PinManager, FakeClock]:
    clock = FakeClock()
    pins = PinManager(store, MemoryLockoutStore(), clock, lambda e, f: events.append((e, f)))
    return pins, clock


class TestPinOverEachStore:
    def test_set_verify_change(
        self, manager: tuple[PinManager, FakeClock], store: SecretStore
    ) -> None:
        pins, _clock = manager
        assert not pins.is_set()
        pins.set_pin("2468")
        stored = store.get(PIN_NAME)
        assert stored is not None and stored.startswith("scrypt$") and "2468" not in stored
        assert pins.verify("2468").status is VerifyStatus.OK
        assert pins.verify("1357").status is VerifyStatus.WRONG
        with pytest.raises(PinRequired):
            pins.set_pin("97531")
        with pytest.raises(WrongPin):
            pins.set_pin("97531", old="0000")
        pins.set_pin("97531", old="2468")
        assert pins.verify("97531").ok
        assert not pins.verify("2468").ok

    def test_lockout_then_recovery(self, manager: tuple[PinManager, FakeClock]) -> None:
        pins, clock = manager
        pins.set_pin("correct horse")
        results = [pins.verify("wrong horse") for _ in range(DEFAULT_LOCKOUT.free_tries)]
        assert [r.status for r in results] == [VerifyStatus.WRONG] * 5
        assert results[-1].seconds_left == 30
        locked = pins.verify("correct horse")
        assert (locked.status, locked.seconds_left) == (VerifyStatus.LOCKED, 30)
        with pytest.raises(LockedOut):
            pins.set_pin("battery staple", old="correct horse")
        clock.now += 30
        assert pins.verify("correct horse").ok
        assert pins.verify("wrong horse").seconds_left == 0  # the count was reset

    def test_admin_reset(
        self, manager: tuple[PinManager, FakeClock], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        pins, _clock = manager
        pins.set_pin("8642")
        monkeypatch.setattr(pin_manager, "is_admin", lambda: True)
        pins.admin_reset()
        assert not pins.is_set()
        pins.set_pin("1111")
        assert pins.verify("1111").ok


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class TestRootFileKeyring:
    @pytest.fixture
    def ring(self, tmp_path: Path) -> RootFileKeyring:
        return RootFileKeyring(tmp_path / "var" / "secrets")

    @pytest.mark.parametrize("umask", [0o000, 0o022, 0o277])
    def test_creates_private_dir_and_file_whatever_the_umask(
        self, ring: RootFileKeyring, umask: int
    ) -> None:
        ring.directory.parent.mkdir()
        old = os.umask(umask)
        try:
            open_store(ring).set("pin", "hash")
        finally:
            os.umask(old)
        assert _mode(ring.directory) == 0o700 and _mode(ring.path) == 0o600
        assert ring.path.stat().st_uid == os.geteuid()
        assert json.loads(ring.path.read_text())["secrets"] == {"playclock": {"pin": "hash"}}
        assert sorted(p.name for p in ring.directory.iterdir()) == [".lock", "keyring.json"]

    @pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
    def test_refuses_a_readable_file(self, ring: RootFileKeyring, mode: int) -> None:
        store = open_store(ring)
        store.set("pin", "hash")
        ring.path.chmod(mode)
        with pytest.raises(SecretStoreError, match="mode"):
            store.get("pin")
        with pytest.raises(SecretStoreError, match="mode"):
            store.set("pin", "other")
        ring.path.chmod(0o600)
        assert store.get("pin") == "hash"

    @pytest.mark.parametrize("mode", [0o750, 0o755, 0o701])
    def test_refuses_an_open_directory(self, ring: RootFileKeyring, mode: int) -> None:
        store = open_store(ring)
        store.set("pin", "hash")
        ring.directory.chmod(mode)
        with pytest.raises(SecretStoreError, match="mode"):
            store.get("pin")
        with pytest.raises(SecretStoreError, match="mode"):
            store.delete("pin")

    def test_refuses_a_symlinked_file(self, ring: RootFileKeyring, tmp_path: Path) -> None:
        store = open_store(ring)
        store.set("pin", "hash")
        elsewhere = tmp_path / "elsewhere.json"
        ring.path.rename(elsewhere)
        ring.path.symlink_to(elsewhere)
        with pytest.raises(SecretStoreError, match="Refusing"):
            store.get("pin")

    @pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
    def test_refuses_a_file_owned_by_someone_else(self, ring: RootFileKeyring) -> None:
        store = open_store(ring)
        store.set("pin", "hash")
        os.chown(ring.path, 65534, 65534)
        with pytest.raises(SecretStoreError, match="owned by uid 65534"):
            store.get("pin")

    def test_damaged_file_is_an_error_not_empty(self, ring: RootFileKeyring) -> None:
        store = open_store(ring)
        store.set("pin", "hash")
        ring.path.write_text("{not json")
        with pytest.raises(SecretStoreError, match="damaged"):
            store.get("pin")

    def test_viable_for_root_on_linux_only(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Issue 14, item 1: registered as a keyring backend, picked for root, nobody else."""
        monkeypatch.setattr(sys, "platform", "linux")
        monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
        assert RootFileKeyring.viable and RootFileKeyring.priority > 10  # above the chainer
        monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
        assert not RootFileKeyring.viable
        monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
        monkeypatch.setattr(sys, "platform", "darwin")
        assert not RootFileKeyring.viable
        assert MemoryKeyring.priority < fail.Keyring.priority
        members = chainer.ChainerBackend.backends
        assert not any(isinstance(m, MemoryKeyring) for m in members)

    def test_registered_through_keyrings_entry_point(self) -> None:
        from importlib.metadata import entry_points

        found = {e.value for e in entry_points(group="keyring.backends")}
        assert "agent.security.root_keyring" in found

    @pytest.mark.skipif(
        not sys.platform.startswith("linux") or os.geteuid() != 0, reason="needs root on Linux"
    )
    def test_keyring_picks_it_for_root_with_nothing_configured(
        self, ring: RootFileKeyring, tmp_path: Path
    ) -> None:
        open_store(ring).set("token", "from-the-agent")
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS")
        }
        env.update(PLAYCLOCK_SECRETS_DIR=str(ring.directory), XDG_CONFIG_HOME=str(tmp_path))
        out = subprocess.run(
            [sys.executable, "-m", "keyring", "get", "playclock", "token"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert out.stdout.strip() == "from-the-agent"

    def test_selected_by_python_keyring_backend(self, ring: RootFileKeyring) -> None:
        open_store(ring).set("token", "from-the-agent")
        env = {
            **os.environ,
            "PYTHON_KEYRING_BACKEND": "agent.security.root_keyring.RootFileKeyring",
            "PLAYCLOCK_SECRETS_DIR": str(ring.directory),
        }
        out = subprocess.run(
            [sys.executable, "-m", "keyring", "get", "playclock", "token"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert out.stdout.strip() == "from-the-agent"

    def test_selected_by_keyringrc_cfg(self, ring: RootFileKeyring, tmp_path: Path) -> None:
        open_store(ring).set("token", "configured")
        config = tmp_path / "config" / "python_keyring"
        config.mkdir(parents=True)
        (config / "keyringrc.cfg").write_text(
            "[backend]\ndefault-keyring = agent.security.root_keyring.RootFileKeyring\n"
        )
        env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
        env |= {
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "PLAYCLOCK_SECRETS_DIR": str(ring.directory),
        }
        code = (
            "from agent.security.secret_store import open_store; s = open_store(); "
            "print(type(s.backend).__name__, s.get('token'))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert out.stdout.split() == ["RootFileKeyring", "configured"]


class TestSecretServiceErrors:
    def test_locked_collection_is_a_store_error(self) -> None:
        reason = secret_service_unavailable()
        if reason:
            pytest.skip(reason)
        import secretstorage

        with secret_service():
            store = open_store(SecretService.Keyring())
            store.set("pin", "hash")
            connection = secretstorage.dbus_init()
            try:
                secretstorage.get_default_collection(connection).lock()
            finally:
                connection.close()
            # No prompter can be activated on the private bus: the unlock prompt is dismissed.
            with pytest.raises(SecretStoreError, match="SecretService"):
                store.get("pin")

    def test_unreachable_bus_is_a_store_error(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        pytest.importorskip("secretstorage")
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
        store = SecretStore(SecretService.Keyring())
        with pytest.raises(SecretStoreError, match="Could not store"):
            store.set("pin", "hash")
        with pytest.raises(SecretStoreError, match="Could not read"):
            store.get("pin")
