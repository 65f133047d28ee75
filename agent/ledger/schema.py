"""The ledger's SQLite schema and its migrations (PRAGMA user_version)."""

from __future__ import annotations

import sqlite3

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE usage (
        day TEXT NOT NULL, child TEXT NOT NULL, kind TEXT NOT NULL, ident TEXT NOT NULL,
        seconds REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (day, child, kind, ident)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, day TEXT, kind TEXT NOT NULL,
        child TEXT, target TEXT, detail TEXT NOT NULL DEFAULT '{}', actor TEXT NOT NULL
    );
    CREATE INDEX events_ts ON events(ts);
    CREATE TABLE grants (
        id INTEGER PRIMARY KEY AUTOINCREMENT, day TEXT NOT NULL, child TEXT NOT NULL,
        target TEXT NOT NULL, seconds REAL NOT NULL
    );
    CREATE INDEX grants_day ON grants(day);
    CREATE TABLE pauses (
        day TEXT NOT NULL, child TEXT NOT NULL, paused INTEGER NOT NULL,
        PRIMARY KEY (day, child)
    );
    CREATE TABLE warned (
        day TEXT NOT NULL, child TEXT NOT NULL, key TEXT NOT NULL, minutes INTEGER NOT NULL,
        PRIMARY KEY (day, child, key, minutes)
    );
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, child TEXT NOT NULL,
        minutes INTEGER NOT NULL, message TEXT NOT NULL, state TEXT NOT NULL,
        answered_minutes INTEGER
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: each day's budget per limit, so that reports judge a past day by its own limits
    """
    CREATE TABLE day_limits (
        day TEXT NOT NULL, child TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL,
        limit_seconds INTEGER NULL,
        PRIMARY KEY (day, child, key)
    );
    """,
    # 3: content identities of games' executables, so renamed copies are known after a restart
    """
    CREATE TABLE identities (
        digest TEXT PRIMARY KEY, size INTEGER NOT NULL, app TEXT NOT NULL,
        exe TEXT NOT NULL DEFAULT '', first_seen TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Bring a ledger file up to SCHEMA_VERSION; returns the version it had."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"ledger schema {version} is newer than this PlayClock ({SCHEMA_VERSION})"
        )
    for number in range(version, SCHEMA_VERSION):
        db.executescript(f"BEGIN; {MIGRATIONS[number]} PRAGMA user_version = {number + 1}; COMMIT;")
    return int(version)
