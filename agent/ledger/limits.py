"""The ledger's day limits in SQLite: each day's budget per child and limit key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a type only: the tray uses the event kinds, not SQLite (issue 15)
    import sqlite3

__all__ = ["DayLimits", "LimitRecord", "read_day_limits", "write_day_limits"]

# (child, key) -> (kind, limit_seconds); None is no budget (windows only).
LimitRecord = Mapping[tuple[str, str], tuple[str, int | None]]
# (day, child, key) -> (kind, limit_seconds)
DayLimits = dict[tuple[dt.date, str, str], tuple[str, int | None]]


def write_day_limits(db: sqlite3.Connection, day: dt.date, limits: LimitRecord) -> None:
    """Replace the day's rows of the children in `limits`, in one transaction."""
    d = day.isoformat()
    children = sorted({child for child, _key in limits})
    rows = [(d, c, k, kind, sec) for (c, k), (kind, sec) in limits.items()]
    with db:
        db.execute("BEGIN")
        db.executemany(
            "DELETE FROM day_limits WHERE day = ? AND child = ?", [(d, c) for c in children]
        )
        db.executemany(
            "INSERT INTO day_limits(day, child, key, kind, limit_seconds) VALUES (?,?,?,?,?)", rows
        )


def read_day_limits(db: sqlite3.Connection, first: dt.date, last: dt.date) -> DayLimits:
    """The rows of the days from `first` to `last` inclusive."""
    rows = db.execute(
        "SELECT day, child, key, kind, limit_seconds FROM day_limits WHERE day BETWEEN ? AND ?",
        (first.isoformat(), last.isoformat()),
    )
    return {(dt.date.fromisoformat(d), c, k): (kind, sec) for d, c, k, kind, sec in rows}
