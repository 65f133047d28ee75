"""Engine and transactions for the hub: SQLite by default, PostgreSQL by URL; race-free upserts."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    case,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from sync.hub.models import SCHEMA_VERSION, Base, ChildRequest, DaySummary, Meta, RateLimit

__all__ = [
    "MIGRATIONS",
    "Database",
    "StoredDay",
    "default_data_dir",
    "default_db_url",
    "insert_ignore",
    "lock_family",
    "normalize_url",
    "rate_limit_hit",
    "upsert_day_summary",
]

_SQLITE_BUSY_MS = 10_000
_SCHEMA_LOCK_ID = 7_377_001  # pg_advisory lock key: hub processes create tables one at a time
_COMMANDS_LOCK_ID = 7_377_002
_DAY_KEY = ("device_id", "child_key", "day")
_DAY_VALUES = (
    "revision",
    "consent_id",
    "child",
    "total_seconds",
    "screen_seconds",
    "apps",
    "categories",
    "warnings",
    "closes",
    "grants",
    "requests",
    "gaps",
    "gap_seconds",
    "tamper",
    "updated_at",
    "status",
)


def default_data_dir() -> Path:
    """`$PLAYCLOCK_DATA_DIR`, else the per-user data directory of PlayClock."""
    env = os.environ.get("PLAYCLOCK_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("playclock", appauthor=False))


def default_db_url() -> str:
    """`sqlite:///<data dir>/hub.sqlite`."""
    return f"sqlite:///{default_data_dir() / 'hub.sqlite'}"


def normalize_url(url: str) -> URL:
    """Parse a database URL; plain `postgresql://` means psycopg 3; other dialects are refused."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and parsed.get_driver_name() in ("pysqlite", ""):
        return parsed.set(drivername="sqlite")
    raise ValueError(f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
                     "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")


class Database:
    """An engine plus a transaction helper that behaves the same on SQLite and PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.dialect = self.url.get_backend_name()
        self.engine = self._make_engine()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # The upload path's own small pool, without a ping per checkout (a round trip per
        # upload): after a database restart one upload per stale connection fails with 503
        # and the device retries; each statement commits on its own.
        self._autocommit: Engine | None = (
            create_engine(self.url, pool_size=8, max_overflow=8, pool_recycle=1800,
                          isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql" else None
        )
        # SQLite has one writer; a process lock queues our own threads fairly instead of
        # letting them spin in SQLite's busy handler (busy_timeout still covers other processes).
        self._write_lock: threading.Lock | None = (
            threading.Lock() if self.dialect == "sqlite" else None
        )

    def _make_engine(self) -> Engine:
        if self.dialect == "postgresql":
            return create_engine(self.url, pool_size=5, max_overflow=15, pool_pre_ping=True)
        database = self.url.database or ""
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 10}}
        if database in ("", ":memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs.update(pool_size=8, max_overflow=16)
        engine = create_engine(self.url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection for the hot path: each statement commits on its own (PostgreSQL).

        No BEGIN and COMMIT round trips; use it only where every write is one atomic
        statement. On SQLite it is one transaction under the process's write lock.
        """
        if self._autocommit is not None:
            with self._autocommit.connect() as conn:
                yield conn
            return
        lock: AbstractContextManager[Any] = self._write_lock or nullcontext()
        with lock, self.engine.begin() as conn:
            yield conn

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        lock: AbstractContextManager[Any] = self._write_lock or nullcontext()
        with lock, self._sessions() as session, session.begin():
            yield session

    def create_schema(self) -> None:
        """Create missing tables and check the schema version (safe with several processes)."""
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK_ID})")
            Base.metadata.create_all(conn)
            # Columns added since the table was first made (additive, with a default).
            have = {c["name"] for c in inspect(conn).get_columns(DaySummary.__tablename__)}
            if "screen_seconds" not in have:
                conn.exec_driver_sql(
                    f"ALTER TABLE {DaySummary.__tablename__} "
                    "ADD COLUMN screen_seconds INTEGER NOT NULL DEFAULT 0"
                )
            found = conn.execute(
                select(Meta.value).where(Meta.key == "schema_version")
            ).scalar_one_or_none()
            if found is None:
                conn.execute(insert(Meta).values(key="schema_version",
                                                 value=str(SCHEMA_VERSION)))
            elif int(found) > SCHEMA_VERSION:
                raise RuntimeError(f"the database has hub schema version {found}; this hub "
                                   f"understands up to {SCHEMA_VERSION}: upgrade PlayClock")
            elif int(found) < SCHEMA_VERSION:
                _migrate(conn, int(found))

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception:  # health reports any failure as "down"
            return False
        return True

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
        if self._autocommit is not None:
            self._autocommit.dispose()


def _columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}


def _to_v2(conn: Connection) -> None:
    """2: a request's message, and the day's status (limits, apps running now)."""
    if "message" not in _columns(conn, "child_requests"):
        conn.exec_driver_sql("ALTER TABLE child_requests ADD COLUMN message VARCHAR(200)")
    if "status" not in _columns(conn, "day_summaries"):
        conn.exec_driver_sql("ALTER TABLE day_summaries ADD COLUMN status JSON")


def _to_v3(conn: Connection) -> None:
    """3: whether a request's words were shared; words kept before the share are deleted."""
    if "message_shared" not in _columns(conn, "child_requests"):
        conn.exec_driver_sql("ALTER TABLE child_requests "
                             "ADD COLUMN message_shared BOOLEAN NOT NULL DEFAULT false")
    # No consent share covered free text before schema 3: nothing kept so far may stay.
    conn.execute(update(ChildRequest).values(message=None, message_shared=False))


# Each step brings a database from the version before it to its own; new tables come from
# create_all. A step may find its column already there (a crash between ALTER and version).
MIGRATIONS: dict[int, Callable[[Connection], None]] = {2: _to_v2, 3: _to_v3}


def _migrate(conn: Connection, found: int) -> None:
    """Bring an older schema up to SCHEMA_VERSION, one version at a time, in one transaction."""
    for version in range(found + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](conn)
    conn.execute(update(Meta).where(Meta.key == "schema_version")
                 .values(value=str(SCHEMA_VERSION)))


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Take transaction control from pysqlite so the "begin" hook below decides how to begin.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front: a deferred read-then-write transaction can
    # fail with SQLITE_BUSY at once, without waiting, when another writer got in between.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _insert_for(session: Session | Connection) -> Callable[..., Any]:
    name = (session.get_bind() if isinstance(session, Session) else session).dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


def insert_ignore(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was new."""
    stmt = _insert_for(session)(model).values(**values).on_conflict_do_nothing()
    return session.execute(stmt.returning(*inspect(model).primary_key)).first() is not None


def lock_family(session: Session, family_id: int) -> None:
    """Serialize writers of one family's command ids (PostgreSQL; SQLite is serial anyway).

    Ids from a sequence can commit out of order; under this lock they cannot, so a device
    paging with `after=ID` never skips a command that committed late.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(CAST(:a AS integer), CAST(:b AS integer))"),
            {"a": _COMMANDS_LOCK_ID, "b": family_id % 2_147_483_647})


@dataclass(frozen=True)
class StoredDay:
    """What the hub holds for (device, child, day) after an upload."""

    child: str
    revision: int
    total_seconds: int
    applied: bool


@cache
def _day_upsert(dialect: str) -> Any:
    """The upload's INSERT ... ON CONFLICT, built once per dialect (values bound later)."""
    table = DaySummary.__table__
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DaySummary)
    return stmt.on_conflict_do_update(
        index_elements=list(_DAY_KEY),
        set_={name: stmt.excluded[name] for name in _DAY_VALUES},
        where=stmt.excluded.revision > table.c.revision,
    ).returning(table.c.child, table.c.revision, table.c.total_seconds)


@cache
def _day_stored() -> Any:
    table = DaySummary.__table__
    return select(table.c.child, table.c.revision, table.c.total_seconds).where(
        *(table.c[k] == bindparam(k) for k in _DAY_KEY))


def upsert_day_summary(conn: Session | Connection, values: dict[str, Any]) -> StoredDay:
    """Store a day summary unless the stored one has the same or a newer revision.

    One INSERT ... ON CONFLICT DO UPDATE ... WHERE excluded.revision > revision, so two
    concurrent uploads (even through two hub processes) can never lower a revision. When it
    applies (the usual case) that one statement is the whole write; otherwise a SELECT reads
    what is stored.
    """
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    row = conn.execute(_day_upsert(bind.dialect.name), values).first()
    if row is not None:
        return StoredDay(row[0], int(row[1]), int(row[2]), True)
    row = conn.execute(_day_stored(), {k: values[k] for k in _DAY_KEY}).one()
    return StoredDay(row[0], int(row[1]), int(row[2]), False)


def rate_limit_hit(
    session: Session, key: str, now: datetime, window: timedelta
) -> tuple[int, datetime]:
    """Count one event for key in a fixed window opened by its first event: (count, start)."""
    table = RateLimit.__table__
    stmt = _insert_for(session)(table).values(key=key, window_start=now, count=1)
    expired = table.c.window_start <= now - window
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "count": case((expired, 1), else_=table.c.count + 1),
            "window_start": case((expired, stmt.excluded.window_start),
                                 else_=table.c.window_start),
        },
    ).returning(table.c.count, table.c.window_start)
    count, start = session.execute(stmt).one()
    return int(count), start
