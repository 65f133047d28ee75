"""The ledger: usage per child, day and key, the event log, grants, pauses and requests."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from agent.ledger.limits import DayLimits, LimitRecord, read_day_limits, write_day_limits
from agent.ledger.schema import migrate
from agent.ledger.store import Event, Identity, Ledger, LedgerError, Request, UsageRecord
from rules.model import DayState

__all__ = ["Event", "Ledger", "LedgerError", "Request", "SqliteLedger", "UsageRecord"]











def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


class SqliteLedger:
    """The ledger in one SQLite file (WAL), safe to share between the agent's threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            migrate(self._db)
        except sqlite3.Error as exc:
            raise LedgerError(f"{path}: {exc}") from exc
        self._lock = threading.RLock()
        self._pending: dict[UsageRecord, float] = {}

    def _write(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(args))
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: {exc}") from exc

    def add_usage(self, records: Mapping[UsageRecord, float]) -> None:
        """Add seconds (buffered until `flush`)."""
        with self._lock:
            for key, seconds in records.items():
                self._pending[key] = self._pending.get(key, 0.0) + seconds

    def flush(self) -> None:
        """Write the buffered usage in one transaction."""
        with self._lock:
            if not self._pending:
                return
            rows = [(d.isoformat(), c, k, i, s) for (d, c, k, i), s in self._pending.items()]
            try:
                with self._db:
                    self._db.execute("BEGIN")
                    self._db.executemany(
                        "INSERT INTO usage(day, child, kind, ident, seconds) VALUES (?,?,?,?,?) "
                        "ON CONFLICT(day, child, kind, ident) "
                        "DO UPDATE SET seconds = seconds + excluded.seconds",
                        rows,
                    )
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: {exc}") from exc
            self._pending.clear()

    def load_day(self, day: dt.date) -> DayState:
        """The day's state, including usage not yet flushed."""
        d = day.isoformat()
        with self._lock:
            state = DayState(day=day)
            for child, kind, ident, seconds in self._db.execute(
                "SELECT child, kind, ident, seconds FROM usage WHERE day = ?", (d,)
            ):
                state.usage[(child, kind, ident)] = seconds
            for (pday, child, kind, ident), seconds in self._pending.items():
                if pday == day:
                    key = (child, kind, ident)
                    state.usage[key] = state.usage.get(key, 0.0) + seconds
            for child, target, seconds in self._db.execute(
                "SELECT child, target, SUM(seconds) FROM grants WHERE day = ? "
                "GROUP BY child, target",
                (d,),
            ):
                state.bonus[(child, target)] = seconds
            state.paused = {
                c
                for (c,) in self._db.execute(
                    "SELECT child FROM pauses WHERE day = ? AND paused = 1", (d,)
                )
            }
            state.warned = {
                (c, k, m)
                for c, k, m in self._db.execute(
                    "SELECT child, key, minutes FROM warned WHERE day = ?", (d,)
                )
            }
            return state

    def usage(self, first: dt.date, last: dt.date) -> dict[UsageRecord, float]:
        """Usage of the days from `first` to `last` inclusive (flushed and pending)."""
        out: dict[UsageRecord, float] = {}
        with self._lock:
            for day, child, kind, ident, seconds in self._db.execute(
                "SELECT day, child, kind, ident, seconds FROM usage WHERE day BETWEEN ? AND ?",
                (first.isoformat(), last.isoformat()),
            ):
                out[(dt.date.fromisoformat(day), child, kind, ident)] = seconds
            for key, seconds in self._pending.items():
                if first <= key[0] <= last:
                    out[key] = out.get(key, 0.0) + seconds
        return out

    def add_event(self, event: Event) -> int:
        """Log an event durably; returns its id."""
        cur = self._write(
            "INSERT INTO events(ts, day, kind, child, target, detail, actor) "
            "VALUES (?,?,?,?,?,?,?)",
            (
                event.ts.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
                event.day.isoformat() if event.day else None,
                event.kind,
                event.child,
                event.target,
                json.dumps(dict(event.detail), ensure_ascii=False),
                event.actor,
            ),
        )
        return int(cur.lastrowid or 0)

    def events(
        self,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[Event]:
        """Events in time order."""
        sql = "SELECT id, ts, day, kind, child, target, detail, actor FROM events WHERE id > ?"
        args: list[Any] = [after_id]
        if since is not None:
            sql += " AND ts >= ?"
            args.append(since.astimezone(dt.UTC).isoformat(timespec="milliseconds"))
        if until is not None:
            sql += " AND ts < ?"
            args.append(until.astimezone(dt.UTC).isoformat(timespec="milliseconds"))
        sql += " ORDER BY id LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [
            Event(
                kind=k,
                ts=dt.datetime.fromisoformat(ts),
                day=_day(d),
                child=c,
                target=t,
                detail=json.loads(detail),
                actor=a,
                id=i,
            )
            for i, ts, d, k, c, t, detail, a in rows
        ]

    def add_grant(self, day: dt.date, child: str, target: str, seconds: float) -> None:
        """Bonus seconds for a child's limit on a day."""
        self._write(
            "INSERT INTO grants(day, child, target, seconds) VALUES (?,?,?,?)",
            (day.isoformat(), child, target, seconds),
        )

    def set_paused(self, day: dt.date, child: str, paused: bool) -> None:
        """Pause or resume a child's limits for a day."""
        self._write(
            "INSERT INTO pauses(day, child, paused) VALUES (?,?,?) "
            "ON CONFLICT(day, child) DO UPDATE SET paused = excluded.paused",
            (day.isoformat(), child, int(paused)),
        )

    def mark_warned(self, day: dt.date, child: str, key: str, minutes: int) -> None:
        """Remember a warning threshold fired."""
        self._write(
            "INSERT OR IGNORE INTO warned(day, child, key, minutes) VALUES (?,?,?,?)",
            (day.isoformat(), child, key, minutes),
        )

    def add_request(self, ts: dt.datetime, child: str, minutes: int, message: str) -> Request:
        """Record a child's request for more time."""
        when = ts.astimezone(dt.UTC).isoformat(timespec="seconds")
        cur = self._write(
            "INSERT INTO requests(ts, child, minutes, message, state) VALUES (?,?,?,?, 'pending')",
            (when, child, minutes, message),
        )
        return Request(
            int(cur.lastrowid or 0), dt.datetime.fromisoformat(when), child, minutes, message
        )

    def requests(self, state: str | None = None) -> list[Request]:
        """Requests, newest first."""
        sql = "SELECT id, ts, child, minutes, message, state, answered_minutes FROM requests"
        args: tuple[Any, ...] = ()
        if state:
            sql, args = sql + " WHERE state = ?", (state,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id DESC LIMIT 500", args).fetchall()
        return [
            Request(i, dt.datetime.fromisoformat(ts), c, m, msg, st, am)
            for i, ts, c, m, msg, st, am in rows
        ]

    def answer_request(self, request_id: int, approve: bool, minutes: int | None) -> Request:
        """Approve or deny a pending request."""
        with self._lock:
            cur = self._write(
                "UPDATE requests SET state = ?, answered_minutes = ? WHERE id = ? "
                "AND state = 'pending'",
                ("approved" if approve else "denied", minutes if approve else None, request_id),
            )
            if cur.rowcount != 1:
                raise KeyError(request_id)
            return next(r for r in self.requests() if r.id == request_id)

    def record_limits(self, day: dt.date, limits: LimitRecord) -> None:
        """Replace the day's budgets of the children given, in one transaction."""
        with self._lock:
            try:
                write_day_limits(self._db, day, limits)
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: {exc}") from exc

    def day_limits(self, first: dt.date, last: dt.date) -> DayLimits:
        """Budgets recorded for the days from `first` to `last` inclusive."""
        with self._lock:
            return read_day_limits(self._db, first, last)

    def trim_events(self, prefix: str, keep: int) -> int:
        """Delete all but the newest `keep` events whose kind starts with prefix."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        cur = self._write(
            "DELETE FROM events WHERE kind LIKE ? ESCAPE '\\' AND id NOT IN "
            "(SELECT id FROM events WHERE kind LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?)",
            (like, like, max(0, keep)),
        )
        return int(cur.rowcount)

    def add_identity(self, identity: Identity, ts: dt.datetime) -> None:
        """Remember an executable's identity durably (a known digest is left as it is)."""
        self._write(
            "INSERT OR IGNORE INTO identities(digest, size, app, exe, first_seen) "
            "VALUES (?,?,?,?,?)",
            (
                identity.digest,
                identity.size,
                identity.app,
                identity.exe,
                ts.astimezone(dt.UTC).isoformat(timespec="seconds"),
            ),
        )

    def identities(self) -> list[Identity]:
        """Every remembered identity, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT digest, size, app, exe FROM identities ORDER BY first_seen, digest"
            ).fetchall()
        return [Identity(d, int(s), a, e) for d, s, a, e in rows]

    def get_meta(self, key: str) -> str | None:
        """A small stored value."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a small value durably."""
        self._write(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        """Flush and close the file."""
        with self._lock:
            self.flush()
            self._db.close()


