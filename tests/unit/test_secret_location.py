"""Issue 12: the root file keyring (the service's PIN store) lives with each agent's data
unless configured, so two agents on one machine never share a PIN."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from agent.security.root_keyring import SECRETS_DIR_ENV, RootFileKeyring
from agent.security.secret_store import open_store
from playclock.compose import build
from tests.support.apiserver import write_rules


@pytest.fixture
def root_keyring_configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """keyring configured with the root file keyring and no directory of its own, as the
    Linux service is (PYTHON_KEYRING_BACKEND=...RootFileKeyring)."""
    monkeypatch.delenv(SECRETS_DIR_ENV, raising=False)
    monkeypatch.setattr(keyring, "get_keyring", RootFileKeyring)
    yield


@pytest.mark.usefixtures("root_keyring_configured")
def test_each_data_directory_has_its_own_secrets(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir(mode=0o700)
    first = open_store(data_dir=tmp_path / "a")
    first.set("pin", "hash-a")
    second = open_store(data_dir=tmp_path / "b")
    assert second.get("pin") is None
    assert (tmp_path / "a" / "secrets" / "keyring.json").is_file()
    assert not (tmp_path / "b" / "secrets" / "keyring.json").exists()


@pytest.mark.usefixtures("root_keyring_configured")
def test_two_agents_keep_their_own_pins(tmp_path: Path) -> None:
    runtimes = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        runtimes.append(build(write_rules(folder, "127.0.0.1:7377"), folder / "data"))
    one, two = runtimes
    try:
        one.pins().set_pin("4321")
        assert one.pins().is_set() and not two.pins().is_set()
        assert (tmp_path / "one" / "data" / "secrets" / "keyring.json").is_file()
    finally:
        for runtime in runtimes:
            runtime.ledger.close()


def test_a_configured_directory_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    monkeypatch.setenv(SECRETS_DIR_ENV, str(shared))
    monkeypatch.setattr(keyring, "get_keyring", RootFileKeyring)
    open_store(data_dir=tmp_path / "data").set("pin", "hash")
    assert (shared / "keyring.json").is_file()
    explicit = RootFileKeyring(tmp_path / "mine")
    open_store(explicit, data_dir=tmp_path / "data").set("pin", "hash")
    assert (tmp_path / "mine" / "keyring.json").is_file()
