"""The in-memory ledger: the same interface as SqliteLedger, for tests and the fake."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping

from agent.ledger.limits import DayLimits, LimitRecord
from agent.ledger.store import Event, Identity, Request, UsageRecord
from rules.model import DayState

__all__ = ["MemoryLedger"]


class MemoryLedger:
    """The same ledger in memory, for the core's tests and the fake."""

    def __init__(self) -> None:
        self._usage: dict[UsageRecord, float] = {}
        self._events: list[Event] = []
        self._grants: dict[tuple[dt.date, str, str], float] = {}
        self._paused: dict[tuple[dt.date, str], bool] = {}
        self._warned: set[tuple[dt.date, str, str, int]] = set()
        self._requests: list[Request] = []
        self._meta: dict[str, str] = {}
        self._limits: DayLimits = {}
        self._identities: dict[str, Identity] = {}
        self._last_id = 0  # event ids are never reused, even after a trim
        self._lock = threading.RLock()

    def add_usage(self, records: Mapping[UsageRecord, float]) -> None:
        """Add seconds."""
        with self._lock:
            for key, seconds in records.items():
                self._usage[key] = self._usage.get(key, 0.0) + seconds

    def flush(self) -> None:
        """Nothing to do in memory."""

    def load_day(self, day: dt.date) -> DayState:
        """The day's state."""
        with self._lock:
            state = DayState(day=day)
            for (d, c, k, i), s in self._usage.items():
                if d == day:
                    state.usage[(c, k, i)] = s
            for (d, c, t), s in self._grants.items():
                if d == day:
                    state.bonus[(c, t)] = s
            state.paused = {c for (d, c), p in self._paused.items() if d == day and p}
            state.warned = {(c, k, m) for d, c, k, m in self._warned if d == day}
            return state

    def usage(self, first: dt.date, last: dt.date) -> dict[UsageRecord, float]:
        """Usage of a range of days."""
        with self._lock:
            return {k: s for k, s in self._usage.items() if first <= k[0] <= last}

    def add_event(self, event: Event) -> int:
        """Log an event."""
        with self._lock:
            stored = Event(
                event.kind,
                event.ts.astimezone(dt.UTC),
                event.day,
                event.child,
                event.target,
                dict(event.detail),
                event.actor,
                self._last_id + 1,
            )
            self._events.append(stored)
            self._last_id = stored.id
            return stored.id

    def events(
        self,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[Event]:
        """Events in time order."""
        with self._lock:
            out = [
                e
                for e in self._events
                if e.id > after_id
                and (since is None or e.ts >= since)
                and (until is None or e.ts < until)
            ]
        return out[:limit]

    def add_grant(self, day: dt.date, child: str, target: str, seconds: float) -> None:
        """Bonus seconds."""
        with self._lock:
            key = (day, child, target)
            self._grants[key] = self._grants.get(key, 0.0) + seconds

    def set_paused(self, day: dt.date, child: str, paused: bool) -> None:
        """Pause or resume."""
        with self._lock:
            self._paused[(day, child)] = paused

    def mark_warned(self, day: dt.date, child: str, key: str, minutes: int) -> None:
        """Remember a warning."""
        with self._lock:
            self._warned.add((day, child, key, minutes))

    def add_request(self, ts: dt.datetime, child: str, minutes: int, message: str) -> Request:
        """Record a request."""
        with self._lock:
            req = Request(
                len(self._requests) + 1,
                ts.astimezone(dt.UTC).replace(microsecond=0),
                child,
                minutes,
                message,
            )
            self._requests.append(req)
            return req

    def requests(self, state: str | None = None) -> list[Request]:
        """Requests, newest first."""
        with self._lock:
            return [r for r in reversed(self._requests) if state in (None, r.state)]

    def answer_request(self, request_id: int, approve: bool, minutes: int | None) -> Request:
        """Approve or deny a pending request."""
        with self._lock:
            for i, r in enumerate(self._requests):
                if r.id == request_id and r.state == "pending":
                    new = Request(
                        r.id,
                        r.ts,
                        r.child,
                        r.minutes,
                        r.message,
                        "approved" if approve else "denied",
                        minutes if approve else None,
                    )
                    self._requests[i] = new
                    return new
            raise KeyError(request_id)

    def record_limits(self, day: dt.date, limits: LimitRecord) -> None:
        """Replace the day's budgets of the children given."""
        with self._lock:
            children = {child for child, _key in limits}
            self._limits = {
                k: v for k, v in self._limits.items() if k[0] != day or k[1] not in children
            }
            for (child, key), value in limits.items():
                self._limits[(day, child, key)] = value

    def day_limits(self, first: dt.date, last: dt.date) -> DayLimits:
        """Budgets recorded for a range of days."""
        with self._lock:
            return {k: v for k, v in self._limits.items() if first <= k[0] <= last}

    def trim_events(self, prefix: str, keep: int) -> int:
        """Delete all but the newest `keep` events whose kind starts with prefix."""
        with self._lock:
            ids = [e.id for e in self._events if e.kind.startswith(prefix)]
            drop = set(ids[: max(0, len(ids) - max(0, keep))])
            self._events = [e for e in self._events if e.id not in drop]
            return len(drop)

    def add_identity(self, identity: Identity, ts: dt.datetime) -> None:
        """Remember an identity (a known digest is left as it is)."""
        with self._lock:
            self._identities.setdefault(identity.digest, identity)

    def identities(self) -> list[Identity]:
        """Every remembered identity."""
        with self._lock:
            return list(self._identities.values())

    def get_meta(self, key: str) -> str | None:
        """A small stored value."""
        return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        """Store a small value."""
        self._meta[key] = value

    def close(self) -> None:
        """Nothing to release."""
