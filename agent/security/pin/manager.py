"""The parent PIN: a slow salted hash in the SecretStore, checks in constant time, lockout.

Hash: scrypt n=2**15, r=8, p=1 (32 MiB, about 90 ms on a 2-core machine), 16-byte salt,
32-byte key, stored as `scrypt$n=32768$r=8$p=1$<salt>$<key>` (base64) so that a later
version can raise the cost: `needs_rehash` tells, and a right PIN is re-hashed.

Lockout: 5 free wrong tries, then 30 s, doubling on each further wrong try, at most 1 h.
The count is persisted (a LockoutStore) so that restarting the agent does not clear it.
Tries refused while locked out are not logged one by one (a flood would fill the disk):
one "pin.try" event with result "locked" and their `count` is logged per lockout episode,
when the episode is over (at the next try after it, or at `flush`).

Forgotten PIN: the machine's administrator (root, or an elevated Administrator on
Windows) runs the reset (`PinManager.admin_reset`), which deletes the hash and the
failure count and is logged; the next `pin set` then needs no old PIN.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.i18n import _
from agent.ledger.store import EventKind
from agent.security.pin.errors import (
    LockedOut,
    NotAdmin,
    PinError,
    PinFormatError,
    PinNotSet,
    PinRequired,
    PinStoreUnavailable,
    WrongPin,
    ceil_seconds,
)
from agent.security.pin.lockout import DEFAULT_LOCKOUT, Lockout, LockoutState, LockoutStore
from agent.security.pin.scrypt_hash import (
    DEFAULT_PARAMS,
    ScryptParams,
    hash_pin,
    needs_rehash,
    verify_hash,
)
from agent.security.secret_store import SecretStore, SecretStoreError, open_store

__all__ = [
    "DEFAULT_LOCKOUT",
    "DEFAULT_PARAMS",
    "PIN_NAME",
    "LockedOut",
    "Lockout",
    "LockoutState",
    "LockoutStore",
    "NotAdmin",
    "PinError",
    "PinFormatError",
    "PinManager",
    "PinNotSet",
    "PinRequired",
    "PinStoreUnavailable",
    "ScryptParams",
    "VerifyResult",
    "VerifyStatus",
    "WrongPin",
    "hash_pin",
    "is_admin",
    "keyring_store",
    "needs_rehash",
    "validate_pin",
    "verify_hash",
]

PIN_NAME = "pin"
_MAX_PASSPHRASE = 256


def validate_pin(pin: str) -> None:
    """Accept 4 to 12 digits, or a passphrase of 8 or more characters; else PinFormatError."""
    text = unicodedata.normalize("NFC", pin)
    if not text:
        raise PinFormatError(_("The PIN is empty."))
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        raise PinFormatError(_("The PIN must not contain control characters."))
    if text != text.strip():
        raise PinFormatError(_("The PIN must not start or end with a space."))
    if text.isascii() and text.isdigit():
        if not 4 <= len(text) <= 12:
            raise PinFormatError(_("A PIN of digits must have 4 to 12 digits."))
        return
    if len(text) < 8:
        raise PinFormatError(
            _("A passphrase must have at least 8 characters (or use 4 to 12 digits).")
        )
    if len(text) > _MAX_PASSPHRASE:
        raise PinFormatError(_("A passphrase must have at most 256 characters."))


def is_admin() -> bool:
    """Whether this process runs as the machine's administrator (root / elevated Administrator)."""
    from agent.platform import current

    return current().is_admin()


class VerifyStatus(enum.Enum):
    """The outcome of one PIN check."""

    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"

    @property
    def exit_code(self) -> int:
        """The `playclock pin verify` exit code: 0 right, 1 wrong, 3 locked out."""
        return {"ok": 0, "wrong": 1, "locked": 3}[self.value]


@dataclass(frozen=True)
class VerifyResult:
    """A PIN check: its status, consecutive failures, and the lockout now in force."""

    status: VerifyStatus
    failures: int = 0
    seconds_left: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the PIN was right."""
        return self.status is VerifyStatus.OK


def keyring_store(data_dir: Path | None = None) -> SecretStore:
    """The keyring's store for the PIN; PinStoreUnavailable, saying how to fix it, if none.

    With `data_dir`, a root file keyring keeps its file with that agent's data (`DATA/secrets`).
    """
    try:
        return open_store(data_dir=data_dir)
    except SecretStoreError as exc:
        raise PinStoreUnavailable(str(exc)) from exc


class _Guarded:
    """A store whose errors are PIN errors: every caller shows them, none turns them into a 500."""

    def __init__(self, store: SecretStore) -> None:
        self.store = store

    def get(self, name: str) -> str | None:
        try:
            return self.store.get(name)
        except SecretStoreError as exc:
            raise PinStoreUnavailable(str(exc)) from exc

    def set(self, name: str, value: str) -> None:
        try:
            self.store.set(name, value)
        except SecretStoreError as exc:
            raise PinStoreUnavailable(str(exc)) from exc

    def delete(self, name: str) -> None:
        try:
            self.store.delete(name)
        except SecretStoreError as exc:
            raise PinStoreUnavailable(str(exc)) from exc


def _log_to_logging(event: str, fields: dict[str, Any]) -> None:
    logging.getLogger("playclock.pin").info("%s %s", event, fields)


class PinManager:
    """Sets, checks and resets the parent PIN; every attempt is counted and logged."""

    def __init__(
        self,
        store: SecretStore,
        lockout: LockoutStore,
        clock: Callable[[], float] = time.time,
        log: Callable[[str, dict[str, Any]], None] = _log_to_logging,
        *,
        policy: Lockout = DEFAULT_LOCKOUT,
        params: ScryptParams = DEFAULT_PARAMS,
    ) -> None:
        self._store = _Guarded(store)
        self._lockout = lockout
        self._clock = clock
        self._log = log
        self._policy = policy
        self._params = params
        self._lock = threading.RLock()
        # Tries refused during the current lockout episode (logged as one event later).
        self._refused: dict[str, Any] | None = None
        self._episode: float | None = None

    def is_set(self) -> bool:
        """Whether a PIN has been set."""
        return self._store.get(PIN_NAME) is not None

    def set_pin(self, new: str, old: str | None = None) -> None:
        """Set the PIN: freely the first time, later only with the right old PIN."""
        validate_pin(new)
        with self._lock:
            stored = self._store.get(PIN_NAME)
            if stored is None:
                self._store.set(PIN_NAME, hash_pin(new, self._params))
                self._lockout.save(LockoutState())
                self._log(EventKind.PIN_SET, {"result": "ok", "first": True})
                return
            if old is None:
                self._log(EventKind.PIN_SET, {"result": "pin_required"})
                raise PinRequired(_("A PIN is already set: give the current PIN to change it."))
            result = self._attempt(old, stored, "change")
            if result.status is VerifyStatus.LOCKED:
                raise LockedOut(result.seconds_left)
            if result.status is VerifyStatus.WRONG:
                raise WrongPin(_("The current PIN is wrong."), result.failures, result.seconds_left)
            self._store.set(PIN_NAME, hash_pin(new, self._params))
            self._log(EventKind.PIN_SET, {"result": "ok", "first": False})

    def verify(self, pin: str) -> VerifyResult:
        """Check a PIN, unless locked out; PinNotSet when there is none."""
        with self._lock:
            stored = self._store.get(PIN_NAME)
            if stored is None:
                self._log(EventKind.PIN_VERIFY, {"result": "not_set"})
                raise PinNotSet(_("No parent PIN is set yet: set one with `playclock pin set`."))
            result = self._attempt(pin, stored, "verify")
            if result.ok and needs_rehash(stored, self._params):
                self._store.set(PIN_NAME, hash_pin(pin, self._params))
                self._log(
                    EventKind.PIN_REHASH,
                    {"n": self._params.n, "r": self._params.r, "p": self._params.p},
                )
            return result

    def seconds_locked(self) -> float:
        """Seconds until a PIN will be checked again (0 when not locked out)."""
        return self._seconds_left(self._lockout.load(), self._clock())

    def admin_reset(self) -> None:
        """Forget the PIN and the failure count; only the machine's administrator may."""
        user = _who()
        if not is_admin():
            self._log(EventKind.PIN_ADMIN_RESET, {"result": "refused", "user": user})
            raise NotAdmin(
                _("Only the machine's administrator (root / Administrator) can reset the PIN.")
            )
        with self._lock:
            self._store.delete(PIN_NAME)
            self._lockout.save(LockoutState())
            self._log(EventKind.PIN_ADMIN_RESET, {"result": "ok", "user": user})

    def _seconds_left(self, state: LockoutState, now: float) -> float:
        """The lockout left for a state; last failure = locked_until - delay."""
        if state.locked_until is None:
            return 0.0
        last = state.locked_until - self._policy.delay(state.failures)
        return self._policy.wait(state.failures, last, now)

    def _matches(self, pin: str, stored: str) -> bool:
        """Compare with the stored hash; a damaged hash is an error, not a wrong try."""
        try:
            return verify_hash(pin, stored)
        except ValueError as exc:
            self._log(EventKind.PIN_DAMAGED, {"error": str(exc)})
            msg = _("The stored PIN hash is damaged; the administrator's PIN reset clears it.")
            raise PinError(msg) from exc

    def flush(self) -> None:
        """Log the tries refused in the current lockout episode, if any (at the agent's stop)."""
        with self._lock:
            if self._refused is not None:
                self._log(EventKind.PIN_TRY, self._refused)
            self._refused = None
            self._episode = None

    def _refuse(self, purpose: str, state: LockoutState, left: float) -> VerifyResult:
        """A try while locked out: counted into its episode's one event, not logged alone."""
        if self._episode != state.locked_until:
            self.flush()  # another episode began: log the one before
            self._episode = state.locked_until
        if self._refused is None:
            self._refused = {
                "purpose": purpose,
                "result": VerifyStatus.LOCKED.value,
                "failures": state.failures,
                "seconds_left": ceil_seconds(left),
                "count": 0,
            }
        self._refused["count"] += 1
        return VerifyResult(VerifyStatus.LOCKED, state.failures, left)

    def _attempt(self, pin: str, stored: str, purpose: str) -> VerifyResult:
        """One counted try: refused while locked out, else compared and the count persisted."""
        now = self._clock()
        state = self._lockout.load()
        left = self._seconds_left(state, now)
        if left > 0:
            return self._refuse(purpose, state, left)
        self.flush()  # the lockout is over: its refused tries come first in the log
        if self._matches(pin, stored):
            if state != LockoutState():
                self._lockout.save(LockoutState())
            result = VerifyResult(VerifyStatus.OK)
        else:
            failures = state.failures + 1
            delay = self._policy.delay(failures)
            self._lockout.save(LockoutState(failures, now + delay if delay > 0 else None))
            result = VerifyResult(VerifyStatus.WRONG, failures, delay)
        fields = {"purpose": purpose, "result": result.status.value, "failures": result.failures}
        self._log(EventKind.PIN_TRY, {**fields, "seconds_left": ceil_seconds(result.seconds_left)})
        return result


def _who() -> str:
    """The account running this process, for the audit log."""
    try:
        import getpass

        name = getpass.getuser()
    except (ImportError, KeyError, OSError):
        name = "?"
    return f"{name} (uid {os.geteuid()})" if hasattr(os, "geteuid") else name
