"""The parent PIN: hashing, formats, lockout schedule, persistence, logging, admin reset."""

from __future__ import annotations

import json
import os
import stat
import unicodedata
from pathlib import Path
from typing import Any, ClassVar

import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.compat import properties

from agent.security.pin import manager as pin_manager
from agent.security.pin.errors import (
    LockedOut,
    LockoutStoreError,
    NotAdmin,
    PinError,
    PinFormatError,
    PinNotSet,
)
from agent.security.pin.lockout import DEFAULT_LOCKOUT, FileLockoutStore, Lockout, LockoutState
from agent.security.pin.manager import (
    DEFAULT_PARAMS,
    PIN_NAME,
    PinManager,
    ScryptParams,
    VerifyStatus,
    hash_pin,
    is_admin,
    needs_rehash,
    validate_pin,
    verify_hash,
)
from agent.security.secret_store import NoSecureKeyringError, SecretStore, open_store
from agent.testing import MemoryKeyring, MemoryLockoutStore

CHEAP = ScryptParams(n=2**4, r=1, p=1)  # fast tests of the counting logic; cost is tested apart


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, event: str, fields: dict[str, Any]) -> None:
        self.events.append((event, dict(fields)))

    def text(self) -> str:
        return json.dumps(self.events, ensure_ascii=False)


def make_manager(
    lockout: Any = None, clock: FakeClock | None = None, store: SecretStore | None = None
) -> tuple[PinManager, FakeClock, Recorder]:
    clock = clock or FakeClock()
    log = Recorder()
    pins = PinManager(
        store or SecretStore(MemoryKeyring()),
        lockout if lockout is not None else MemoryLockoutStore(),
        clock,
        log,
        params=CHEAP,
    )
    return pins, clock, log


class TestHashing:
    def test_the_hash_never_contains_the_pin_and_is_salted(self) -> None:
        first, second = hash_pin("482913"), hash_pin("482913")
        assert "482913" not in first and first != second
        assert first.split("$")[4] != second.split("$")[4]

    def test_format_states_its_parameters(self) -> None:
        parts = hash_pin("482913").split("$")
        assert parts[:4] == ["scrypt", "n=32768", "r=8", "p=1"]
        assert ScryptParams(n=2**15, r=8, p=1) == DEFAULT_PARAMS
        assert 128 * DEFAULT_PARAMS.n * DEFAULT_PARAMS.r >= 32 * 2**20  # 32 MiB per guess

    def test_verify_right_and_wrong(self) -> None:
        stored = hash_pin("correct horse", CHEAP)
        assert verify_hash("correct horse", stored)
        assert not verify_hash("correct horsf", stored)
        assert not verify_hash("", stored)

    def test_composed_and_decomposed_diacritics_match(self) -> None:
        stored = hash_pin(unicodedata.normalize("NFC", "mật khẩu bố mẹ"), CHEAP)
        assert verify_hash(unicodedata.normalize("NFD", "mật khẩu bố mẹ"), stored)

    @pytest.mark.parametrize(
        "stored",
        [
            "",
            "pbkdf2$whatever",
            "scrypt$n=32768$r=8$p=1$c2FsdA",
            "scrypt$n=1000$r=8$p=1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43,
            "scrypt$n=1099511627776$r=8$p=1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43,
            "scrypt$n=16$r=8$p=1$!!!!$" + "A" * 43,
            "scrypt$r=8$n=16$p=1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43,
        ],
    )
    def test_malformed_or_hostile_hash_is_refused(self, stored: str) -> None:
        with pytest.raises(ValueError):
            verify_hash("1234", stored)
        assert needs_rehash(stored)

    def test_needs_rehash_when_cheaper_than_current(self) -> None:
        assert needs_rehash(hash_pin("1234", CHEAP))
        assert not needs_rehash(hash_pin("1234"))
        assert not needs_rehash(hash_pin("1234", CHEAP), CHEAP)
        assert needs_rehash(hash_pin("1234", CHEAP), ScryptParams(n=2**4, r=2, p=1))

    def test_a_right_pin_upgrades_an_old_hash(self) -> None:
        store = SecretStore(MemoryKeyring())
        store.set(PIN_NAME, hash_pin("1234", CHEAP))
        log = Recorder()
        params = ScryptParams(n=2**5, r=1, p=1)
        pins = PinManager(store, MemoryLockoutStore(), FakeClock(), log, params=params)
        assert pins.verify("1234").ok
        stored = store.get(PIN_NAME)
        assert stored is not None and stored.startswith("scrypt$n=32$r=1$p=1$")
        assert pins.verify("1234").ok
        assert [e for e, _ in log.events].count("pin.rehash") == 1


class TestFormats:
    @pytest.mark.parametrize(
        "pin",
        ["1234", "0000", "123456789012", "abcdefgh", "correct horse", "mật khẩu 1", "12345678a"],
    )
    def test_accepted(self, pin: str) -> None:
        validate_pin(pin)

    @pytest.mark.parametrize(
        "pin",
        [
            "",
            "123",
            "1234567890123",
            "abc",
            "abcdefg",
            "١٢٣٤",  # Arabic-Indic digits are not a digit PIN, and too short for a passphrase
            " 12345678",
            "12345678 ",
            "1234\n",
            "abc\x00defgh",
            "x" * 257,
        ],
    )
    def test_refused_with_a_message(self, pin: str) -> None:
        with pytest.raises(PinFormatError) as info:
            validate_pin(pin)
        assert str(info.value).strip()

    def test_set_pin_refuses_a_bad_format_before_anything_else(self) -> None:
        pins, _clock, log = make_manager()
        with pytest.raises(PinFormatError, match="4 to 12 digits"):
            pins.set_pin("12")
        assert not pins.is_set() and log.events == []


class TestLockoutPolicy:
    @pytest.mark.parametrize(
        ("failures", "delay"),
        [
            *[(0, 0), (1, 0), (4, 0), (5, 30), (6, 60), (7, 120), (8, 240), (9, 480)],
            *[(10, 960), (11, 1920), (12, 3600), (13, 3600), (50, 3600), (10_000, 3600)],
        ],
    )
    def test_schedule(self, failures: int, delay: float) -> None:
        assert DEFAULT_LOCKOUT.delay(failures) == delay

    @pytest.mark.parametrize(
        ("failures", "last", "now", "wait"),
        [
            (5, None, 100.0, 0.0),
            (4, 100.0, 100.0, 0.0),
            (5, 100.0, 100.0, 30.0),
            (5, 100.0, 110.0, 20.0),
            (5, 100.0, 130.0, 0.0),
            (5, 100.0, 999.0, 0.0),
            (6, 100.0, 150.0, 10.0),
            (5, 100.0, -5000.0, 30.0),  # clock set back: never longer than the delay
        ],
    )
    def test_wait(self, failures: int, last: float | None, now: float, wait: float) -> None:
        assert DEFAULT_LOCKOUT.wait(failures, last, now) == wait

    def test_other_policies(self) -> None:
        policy = Lockout(free_tries=3, first_wait=10, max_wait=25)
        assert [policy.delay(n) for n in range(2, 7)] == [0, 10, 20, 25, 25]


class TestManagerLockout:
    def test_walks_the_whole_schedule_with_an_injected_clock(self) -> None:
        pins, clock, _log = make_manager()
        pins.set_pin("2580")
        expected = [0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
        for failures, delay in enumerate(expected, start=1):
            result = pins.verify("0000")
            assert (result.status, result.failures, result.seconds_left) == (
                VerifyStatus.WRONG,
                failures,
                delay,
            )
            if delay:
                clock.now += delay - 1
                locked = pins.verify("2580")  # even the right PIN is not checked
                assert (locked.status, locked.failures, locked.seconds_left) == (
                    VerifyStatus.LOCKED,
                    failures,
                    1,
                )
                assert pins.seconds_locked() == 1
                clock.now += 1
                assert pins.seconds_locked() == 0
        assert pins.verify("2580").ok
        assert pins.verify("0000").seconds_left == 0

    def test_survives_a_restart_over_the_same_file(self, tmp_path: Path) -> None:
        path = tmp_path / "state" / "pin-lockout.json"
        store = SecretStore(MemoryKeyring())
        clock = FakeClock()
        first, _, _ = make_manager(FileLockoutStore(path), clock, store)
        first.set_pin("135790")
        for _ in range(5):
            first.verify("000000")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        clock.now += 10
        restarted, _, _ = make_manager(FileLockoutStore(path), clock, store)
        locked = restarted.verify("135790")
        assert (locked.status, locked.failures, locked.seconds_left) == (VerifyStatus.LOCKED, 5, 20)
        clock.now += 20
        assert restarted.verify("135790").ok
        assert FileLockoutStore(path).load() == LockoutState(0, None)

    def test_changing_the_pin_counts_wrong_old_pins(self) -> None:
        pins, _clock, _log = make_manager()
        pins.set_pin("1111")
        for _ in range(5):
            with pytest.raises(PinError):
                pins.set_pin("2222", old="9999")
        with pytest.raises(LockedOut) as info:
            pins.set_pin("2222", old="1111")
        assert info.value.seconds == 30 and "30" in str(info.value)
        assert pins.verify("1111").status is VerifyStatus.LOCKED

    def test_verify_without_a_pin(self) -> None:
        pins, _clock, _log = make_manager()
        with pytest.raises(PinNotSet):
            pins.verify("1234")

    def test_damaged_stored_hash_is_an_error_not_a_try(self) -> None:
        store = SecretStore(MemoryKeyring())
        store.set(PIN_NAME, "scrypt$garbage")
        lockout = MemoryLockoutStore()
        pins, _clock, _log = make_manager(lockout, store=store)
        with pytest.raises(PinError, match="damaged"):
            pins.verify("1234")
        assert lockout.load() == LockoutState()

    def test_exit_codes(self) -> None:
        codes = {s: s.exit_code for s in VerifyStatus}
        assert codes == {VerifyStatus.OK: 0, VerifyStatus.WRONG: 1, VerifyStatus.LOCKED: 3}


class TestFileLockoutStore:
    def test_missing_file_means_no_failures(self, tmp_path: Path) -> None:
        assert FileLockoutStore(tmp_path / "none.json").load() == LockoutState()

    def test_round_trip_and_no_temp_files(self, tmp_path: Path) -> None:
        store = FileLockoutStore(tmp_path / "lockout.json")
        store.save(LockoutState(7, 1234.5))
        store.save(LockoutState(8, 2345.5))
        assert FileLockoutStore(tmp_path / "lockout.json").load() == LockoutState(8, 2345.5)
        assert [p.name for p in tmp_path.iterdir()] == ["lockout.json"]

    @pytest.mark.parametrize(
        "content", ["{", "[]", '{"failures": -1}', '{"failures": "3"}', '{"failures": true}']
    )
    def test_damaged_file_fails_closed(self, tmp_path: Path, content: str) -> None:
        path = tmp_path / "lockout.json"
        path.write_text(content)
        with pytest.raises(LockoutStoreError, match="damaged"):
            FileLockoutStore(path).load()


class TestLogging:
    def test_every_try_is_logged_without_the_pin(self, monkeypatch: pytest.MonkeyPatch) -> None:
        pins, clock, log = make_manager()
        pins.set_pin("739164")
        for attempt in ["111111", "739164", "222222", "333333", "444444", "555555", "666666"]:
            pins.verify(attempt)
        pins.verify("739164")  # locked: logged too
        clock.now += 30
        pins.set_pin("passphrase 2", old="739164")
        pins.verify("passphrase 2")
        monkeypatch.setattr(pin_manager, "is_admin", lambda: True)
        pins.admin_reset()
        text = log.text()
        for secret in ["739164", "111111", "666666", "passphrase 2", "passphrase"]:
            assert secret not in text
        tries = [f for e, f in log.events if e == "pin.try"]
        results = [t["result"] for t in tries]
        assert results == ["wrong", "ok"] + ["wrong"] * 5 + ["locked", "ok", "ok"]
        assert [t["purpose"] for t in tries][-2:] == ["change", "verify"]
        assert [t["failures"] for t in tries[2:8]] == [1, 2, 3, 4, 5, 5]
        assert {e for e, _ in log.events} >= {"pin.set", "pin.try", "pin.admin_reset"}


class TestLockoutEpisodes:
    """Issue 12: a flood of tries while locked out is one event per episode, with a count."""

    def test_refused_tries_are_one_event_per_episode(self) -> None:
        pins, clock, log = make_manager()
        pins.set_pin("739164")
        for wrong in ["111111", "222222", "333333", "444444", "555555"]:
            pins.verify(wrong)
        assert pins.verify("739164").status is VerifyStatus.LOCKED
        for _ in range(6000):
            pins.verify("000000")
        tries = [f for e, f in log.events if e == "pin.try"]
        assert [t["result"] for t in tries] == ["wrong"] * 5  # nothing yet for the flood
        clock.now += 31  # the episode ends; the next try logs it first
        assert pins.verify("000000").status is VerifyStatus.WRONG
        tries = [f for e, f in log.events if e == "pin.try"]
        assert [t["result"] for t in tries] == ["wrong"] * 5 + ["locked", "wrong"]
        episode = tries[5]
        assert (episode["count"], episode["failures"], episode["seconds_left"]) == (6001, 5, 30)
        # A second, longer episode: its own event, logged at `flush` (the agent's stop).
        for _ in range(10):
            pins.verify("739164")
        pins.flush()
        pins.flush()  # nothing more to say
        tries = [f for e, f in log.events if e == "pin.try"]
        assert [(t["result"], t.get("count")) for t in tries[7:]] == [("locked", 10)]
        assert len(log.events) < 12

    def test_a_new_episode_logs_the_one_before(self) -> None:
        pins, clock, log = make_manager()
        pins.set_pin("739164")
        for _ in range(5):
            pins.verify("111111")
        pins.verify("111111")  # locked: first episode (30 s)
        clock.now += 31
        pins.verify("222222")  # wrong again: a second episode (60 s)
        pins.verify("222222")  # refused in the second episode
        pins.flush()
        results = [(f["result"], f.get("count")) for e, f in log.events if e == "pin.try"]
        assert results == [("wrong", None)] * 5 + [("locked", 1), ("wrong", None), ("locked", 1)]


class TestAdminReset:
    def test_refused_for_a_non_admin(self, monkeypatch: pytest.MonkeyPatch) -> None:
        pins, _clock, log = make_manager()
        pins.set_pin("2468")
        monkeypatch.setattr(pin_manager, "is_admin", lambda: False)
        with pytest.raises(NotAdmin):
            pins.admin_reset()
        assert pins.is_set() and pins.verify("2468").ok
        assert log.events[-2][0] == "pin.admin_reset" and log.events[-2][1]["result"] == "refused"

    def test_admin_clears_pin_and_lockout(self, monkeypatch: pytest.MonkeyPatch) -> None:
        lockout = MemoryLockoutStore()
        pins, _clock, log = make_manager(lockout)
        pins.set_pin("2468")
        for _ in range(7):
            pins.verify("0000")
        monkeypatch.setattr(pin_manager, "is_admin", lambda: True)
        pins.admin_reset()
        assert not pins.is_set() and lockout.load() == LockoutState()
        assert log.events[-1][0] == "pin.admin_reset" and log.events[-1][1]["result"] == "ok"
        pins.set_pin("8642")  # no old PIN needed any more
        assert pins.verify("8642").ok

    @pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX")
    def test_is_admin_means_root_on_posix(self) -> None:
        assert is_admin() is (os.geteuid() == 0)


class _NotViable:
    """Test doubles must never be picked by keyring's detection in this process."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test double")


class PlaintextKeyring(_NotViable, KeyringBackend):
    """Looks like keyrings.alt's plaintext file backend."""

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        pass


PlaintextKeyring.__module__ = "keyrings.alt.file"


class EncryptedKeyring(PlaintextKeyring):
    """Another keyrings.alt backend, by module."""


EncryptedKeyring.__module__ = "keyrings.alt.file"


class FakeChainer(chainer.ChainerBackend):
    viable: ClassVar[bool] = False  # type: ignore[misc]

    def __init__(self, members: list[KeyringBackend]) -> None:
        super().__init__()
        self._members = members

    @property
    def backends(self) -> list[KeyringBackend]:
        return self._members


class TestOpenStore:
    @pytest.mark.parametrize(
        ("backend", "why"),
        [
            (fail.Keyring(), "no keyring backend"),
            (null.Keyring(), "null keyring"),
            (PlaintextKeyring(), "keyrings.alt.file.PlaintextKeyring"),
            (EncryptedKeyring(), "keyrings.alt.file"),
            (FakeChainer([PlaintextKeyring()]), "PlaintextKeyring"),
            (FakeChainer([]), "none found"),
        ],
    )
    def test_refuses_unsafe_backends_with_a_clear_message(
        self, backend: KeyringBackend, why: str
    ) -> None:
        with pytest.raises(NoSecureKeyringError) as info:
            open_store(backend)
        message = str(info.value)
        assert why in message
        assert "run PlayClock as root" in message and "sudo playclock install" in message
        assert "desktop session with a keyring" in message

    def test_a_chainer_is_pinned_to_its_best_safe_member(self) -> None:
        safe = MemoryKeyring()
        store = open_store(FakeChainer([PlaintextKeyring(), safe]))
        assert store.backend is safe

    def test_uses_keyrings_configured_backend(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(keyring.core, "_keyring_backend", None)
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "agent.testing.MemoryKeyring")
        assert isinstance(open_store().backend, MemoryKeyring)

    def test_refuses_the_fail_backend_when_nothing_is_configured(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
        with pytest.raises(NoSecureKeyringError, match="no keyring backend"):
            open_store()

    def test_a_broken_configuration_is_named(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(keyring.core, "_keyring_backend", None)
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Backend")
        with pytest.raises(NoSecureKeyringError, match=r"no_such_module\.Backend"):
            open_store()
