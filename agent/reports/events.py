"""The event log read for a week: per-child counts and moments, and the computer's gaps."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from agent.ledger.store import Event, EventKind, Ledger
from agent.reports.iso_weeks import day_bounds
from agent.reports.model import EVENT_KINDS, ClockJump, Computer, Gap, GapCause, Happening
from rules.timeutil import day_of

__all__ = [
    "TIMELINE_KINDS",
    "ChildEvents",
    "computer_summary",
    "event_day",
    "events_by_child",
    "fetch_events",
]

# The moments listed one by one (the others are only counted).
TIMELINE_KINDS = frozenset({"close", "grant", "pause", "resume", "request", "request_answered"})
# A clean stop is recorded at the time of the last heartbeat, give or take this much.
STOP_SLACK = dt.timedelta(seconds=120)
PAGE = 1000

ChildEvents = tuple[dict[dt.date, Counter[str]], list[Happening]]


def fetch_events(ledger: Ledger, since: dt.datetime, until: dt.datetime) -> list[Event]:
    """Every event in [since, until), page by page."""
    out: list[Event] = []
    after = 0
    while True:
        batch = ledger.events(since=since, until=until, after_id=after, limit=PAGE)
        out.extend(batch)
        if len(batch) < PAGE:
            return out
        after = batch[-1].id


def event_day(event: Event, day_starts: int, tz: dt.tzinfo) -> dt.date:
    """The budget day of an event: the one the agent recorded, else from its time."""
    return event.day or day_of(event.ts.astimezone(tz), day_starts)


def _int(value: Any) -> int | None:
    try:
        return None if value is None else round(float(value))
    except (TypeError, ValueError):
        return None


def _moment(event: Event, day: dt.date, tz: dt.tzinfo) -> Happening:
    detail = event.detail
    approved = detail.get("approved")
    message = detail.get("message")
    return Happening(
        ts=event.ts.astimezone(tz),
        day=day,
        kind=event.kind,
        target=event.target,
        actor=event.actor,
        minutes=_int(detail.get("minutes")),
        message=str(message) if message is not None else None,
        approved=bool(approved) if approved is not None else None,
        reason=detail.get("reason") if event.kind == EventKind.CLOSE else None,
    )


def events_by_child(
    events: Iterable[Event], days: Sequence[dt.date], day_starts: int, tz: dt.tzinfo
) -> dict[str, ChildEvents]:
    """Per child: counts per day and kind, and the listed moments (kills found by their pid)."""
    events = list(events)
    pid_child: dict[int, str] = {}
    for e in events:
        if e.kind == EventKind.CLOSE and e.child:
            for pid in e.detail.get("pids", ()) or ():
                pid_child[int(pid)] = e.child
    asked = {
        _int(e.detail.get("id")): _int(e.detail.get("minutes"))
        for e in events
        if e.kind == EventKind.REQUEST
    }
    wanted = set(days)
    out: dict[str, ChildEvents] = {}
    for e in events:
        if e.kind not in EVENT_KINDS:
            continue
        child = e.child
        if child is None and e.kind == EventKind.KILL:
            pid = _int(e.detail.get("pid"))
            child = pid_child.get(pid) if pid is not None else None
        if child is None:
            continue
        day = event_day(e, day_starts, tz)
        if day not in wanted:
            continue
        counts, moments = out.setdefault(child, ({}, []))
        counts.setdefault(day, Counter())[e.kind] += 1
        if e.kind in TIMELINE_KINDS:
            moment = _moment(e, day, tz)
            if moment.approved and moment.minutes is None:
                moment = replace(moment, minutes=asked.get(_int(e.detail.get("id"))))
            moments.append(moment)
    return out


def _when(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(tz)


def _stopped_cleanly(ledger: Ledger, at: dt.datetime) -> bool:
    at = at.astimezone(dt.UTC)  # arithmetic on local times would follow the wall clock
    near = ledger.events(since=at - STOP_SLACK, until=at + STOP_SLACK, limit=PAGE)
    return any(e.kind == EventKind.AGENT_STOP for e in near)


def _gap(
    ledger: Ledger,
    event: Event,
    bounds: Mapping[dt.date, tuple[dt.datetime, dt.datetime]],
    tz: dt.tzinfo,
) -> Gap | None:
    detail = event.detail
    end = _when(detail.get("to"), tz) or event.ts.astimezone(tz)
    start = _when(detail.get("from"), tz)
    cause: GapCause
    if start is None:
        seconds = _int(detail.get("seconds")) or 0
        start = (end.astimezone(dt.UTC) - dt.timedelta(seconds=seconds)).astimezone(tz)
        cause = "asleep"
    else:
        cause = "stopped" if _stopped_cleanly(ledger, start) else "unexpected"
    by_day: list[tuple[dt.date, int]] = []
    a, b = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    for day, (first, last) in bounds.items():
        inside = (min(b, last) - max(a, first)).total_seconds()
        if inside > 0:
            by_day.append((day, round(inside)))
    return Gap(start, end, cause, tuple(by_day)) if by_day else None


def computer_summary(
    ledger: Ledger,
    events: Iterable[Event],
    days: Sequence[dt.date],
    day_starts: int,
    tz: dt.tzinfo,
) -> Computer:
    """Gaps overlapping the week, clock jumps, agent starts and stops during it."""
    bounds = {d: day_bounds(d, day_starts, tz) for d in days}
    since, until = bounds[days[0]][0], bounds[days[-1]][1]
    gaps: list[Gap] = []
    jumps: list[ClockJump] = []
    starts = stops = 0
    for e in events:
        if e.kind == EventKind.GAP:
            gap = _gap(ledger, e, bounds, tz)
            if gap is not None:
                gaps.append(gap)
            continue
        if not since <= e.ts < until:
            continue
        if e.kind == EventKind.CLOCK_JUMP:
            seconds = _int(e.detail.get("seconds")) or 0
            jumps.append(ClockJump(e.ts.astimezone(tz), event_day(e, day_starts, tz), seconds))
        elif e.kind == EventKind.AGENT_START:
            starts += 1
        elif e.kind == EventKind.AGENT_STOP:
            stops += 1
    gaps.sort(key=lambda g: g.start.astimezone(dt.UTC))
    return Computer(tuple(gaps), tuple(jumps), starts, stops)
