"""The sync state, kept as JSON under one key ("sync") of the ledger's meta, and its lock."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

try:
    import fcntl
except ImportError:  # Windows: the agent process's thread lock is all there is
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "META_KEY",
    "TOKEN_NAME",
    "ChildConsent",
    "DayMark",
    "MetaStore",
    "SyncState",
    "SyncStore",
    "child_key",
    "day_key",
]

META_KEY = "sync"
TOKEN_NAME = "sync-token"  # the device token's name in the SecretStore; never in the state
_VERSION = 1


class MetaStore(Protocol):
    """The part of the ledger the state lives in."""

    def get_meta(self, key: str) -> str | None:
        """A small stored value."""

    def set_meta(self, key: str, value: str) -> None:
        """Store a small value durably."""


def child_key(name: str) -> str:
    """The case-insensitive key a child is matched by (as in rules.toml and on the hub)."""
    return name.casefold()


def day_key(child: str, day: dt.date) -> str:
    """The key of one (child, day) in `SyncState.days`."""
    return f"{child_key(child)}|{day.isoformat()}"


@dataclass
class ChildConsent:
    """Who agreed to share which summaries of one child, and when (child's consent from 7)."""

    consent_id: str
    child: str
    birth_year: int | None
    parent_name: str
    parent_consented_at: str  # ISO time with its zone
    child_consented: bool
    child_consented_at: str | None
    shares: list[str]
    recorded: bool = False  # the hub has this version of the record
    withdrawn_at: str | None = None
    # When sharing began: an updated record (a child turning 7) keeps the first one, so
    # days still waiting to be sent are not dropped.
    sharing_since: str | None = None

    @property
    def active(self) -> bool:
        """Not withdrawn."""
        return self.withdrawn_at is None

    @property
    def consented_at(self) -> dt.datetime:
        """When sharing started: the first consent of this record, else the parent's consent."""
        return dt.datetime.fromisoformat(self.sharing_since or self.parent_consented_at)

    def hub_body(self) -> dict[str, Any]:
        """The record as the hub's `ConsentIn`."""
        return {
            "consent_id": self.consent_id,
            "child": self.child,
            "child_birth_year": self.birth_year,
            "parent_name": self.parent_name,
            "parent_consented_at": self.parent_consented_at,
            "child_consented": self.child_consented,
            "child_consented_at": self.child_consented_at,
            "shares": list(self.shares),
        }


@dataclass
class DayMark:
    """One (child, day): the revision last used, the one acknowledged, and content hashes."""

    rev: int = 0  # the highest revision ever used (persisted before it is sent)
    acked: int = 0  # the revision the hub confirmed holding
    hash: str = ""  # hash of the acknowledged content
    sent: str = ""  # hash of the content sent with `rev`


@dataclass
class SyncState:
    """Everything sync remembers between runs (no secrets)."""

    enabled: bool = False
    hub: str | None = None
    ca_bundle: str | None = None
    device_id: int | None = None
    device_name: str | None = None
    paired_at: str | None = None
    withdraw_pending: bool = False  # the hub has not yet confirmed deleting our data
    consents: dict[str, ChildConsent] = field(default_factory=dict)  # by child_key
    days: dict[str, DayMark] = field(default_factory=dict)  # by day_key
    clean: dict[str, str] = field(default_factory=dict)  # child_key -> last day known in sync
    commands: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {status, at}
    last_command_id: int = 0
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)  # client id -> {local, hub}
    last_sent: str | None = None
    last_attempt: str | None = None
    last_error: str | None = None  # a stable code (see sync.texts)
    pending: list[str] = field(default_factory=list)  # days not yet on the hub, as of last run

    def active_consents(self) -> list[ChildConsent]:
        """The consents sync may act under."""
        return [c for c in self.consents.values() if c.active]

    def consent_for(self, child: str) -> ChildConsent | None:
        """The active consent of a child, or None."""
        found = self.consents.get(child_key(child))
        return found if found is not None and found.active else None

    def mark(self, child: str, day: dt.date) -> DayMark:
        """The (child, day) mark, created empty when missing."""
        return self.days.setdefault(day_key(child, day), DayMark())

    def to_json(self) -> str:
        """Serialised for the ledger's meta."""
        doc = asdict(self)
        doc["version"] = _VERSION
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> SyncState:
        """Parsed from the meta value (an empty state when there is none)."""
        if not text:
            return cls()
        doc = json.loads(text)
        doc.pop("version", None)
        known = set(cls.__dataclass_fields__)
        doc = {k: v for k, v in doc.items() if k in known}
        doc["consents"] = {k: ChildConsent(**v) for k, v in doc.get("consents", {}).items()}
        doc["days"] = {k: DayMark(**v) for k, v in doc.get("days", {}).items()}
        return cls(**doc)


class SyncStore:
    """Loads and saves the state; `locked()` serialises runs across threads and processes."""

    def __init__(self, ledger: MetaStore, lock_path: Path | None = None) -> None:
        self.ledger = ledger
        if lock_path is None:
            ledger_path = getattr(ledger, "path", None)
            if isinstance(ledger_path, Path):
                lock_path = ledger_path.with_name("sync.lock")
        self.lock_path = lock_path
        self._lock = threading.RLock()

    def load(self) -> SyncState:
        """The stored state (read fresh every time: another process may have changed it)."""
        return SyncState.from_json(self.ledger.get_meta(META_KEY))

    def save(self, state: SyncState) -> None:
        """Store the state durably."""
        self.ledger.set_meta(META_KEY, state.to_json())

    @contextlib.contextmanager
    def locked(self) -> Iterator[SyncState]:
        """Hold the sync lock and yield the fresh state; it is saved on the way out."""
        with self._lock, self._file_lock():
            state = self.load()
            try:
                yield state
            finally:
                self.save(state)

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self.lock_path is None or fcntl is None:
            yield
            return
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
