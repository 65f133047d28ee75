"""Day summaries for the hub, built from the ledger: only ids, seconds and counts leave."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any, Protocol

from agent.ledger.store import Event, EventKind, EventLog, UsageRecord
from sync.state import child_key

__all__ = [
    "COUNTED_EVENTS",
    "COUNT_NAMES",
    "DEVICE_EVENTS",
    "MAX_APPS",
    "MAX_CATEGORIES",
    "MAX_SECONDS",
    "SummaryLedger",
    "day_summaries",
    "empty_summary",
    "is_empty",
    "summary_hash",
]

MAX_SECONDS = 86_400
MAX_COUNT = 100_000
MAX_APPS = 200
MAX_CATEGORIES = 50
# The hub's usage id rule: no spaces, slashes or colons, so no title, path or URL fits.
_USAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
# Event kinds counted per day, and the summary's name for each count (plus approved requests,
# which count as grants).
COUNTED_EVENTS = {
    "warning": "warnings",
    "close": "closes",
    # Computer time used up: the session was locked or signed out (the hub has no own count).
    "screen_lock": "closes",
    "screen_logout": "closes",
    "grant": "grants",
    "request": "requests",
    "gap": "gaps",
    "tamper": "tamper",
    "clock_jump": "tamper",
}
# Events about the computer rather than one child: they count in every child's summary.
DEVICE_EVENTS = frozenset({"gap", "tamper", "clock_jump"})
COUNT_NAMES = ("warnings", "closes", "grants", "requests", "gaps", "gap_seconds", "tamper")
_EVENT_PAGE = 1000


class SummaryLedger(EventLog, Protocol):
    """What summaries are read from."""

    def usage(self, first: dt.date, last: dt.date) -> dict[UsageRecord, float]:
        """Usage of the days from `first` to `last` inclusive."""


def empty_summary() -> dict[str, Any]:
    """A day with nothing in it."""
    return {
        "total_seconds": 0,
        "apps": {},
        "categories": {},
        "counts": dict.fromkeys(COUNT_NAMES, 0),
    }


def is_empty(summary: dict[str, Any]) -> bool:
    """True when a summary holds no time and no counts."""
    return summary == empty_summary()


def _seconds(value: float) -> int:
    return max(0, min(MAX_SECONDS, round(value)))


def _top(values: dict[str, float], limit: int) -> dict[str, int]:
    """Valid ids only, the largest `limit` of them, as whole seconds."""
    valid = [(k, _seconds(v)) for k, v in values.items() if _USAGE_ID.match(k)]
    valid.sort(key=lambda kv: (-kv[1], kv[0]))
    return dict(sorted(valid[:limit]))


def _count_name(event: Event) -> str | None:
    """Which count an event adds to: an approved request is bonus time granted too."""
    if event.kind == EventKind.REQUEST_ANSWERED:
        return "grants" if event.detail.get("approved") else None
    return COUNTED_EVENTS.get(event.kind)


def _count_events(
    ledger: SummaryLedger, child: str, first: dt.date, last: dt.date
) -> dict[dt.date, dict[str, int]]:
    """Counted events per day of one child (by the event's budget day)."""
    since = dt.datetime.combine(first, dt.time(), dt.UTC) - dt.timedelta(days=2)
    until = dt.datetime.combine(last, dt.time(), dt.UTC) + dt.timedelta(days=3)
    key = child_key(child)
    out: dict[dt.date, dict[str, int]] = {}
    after = 0
    while True:
        page = ledger.events(since, until, after_id=after, limit=_EVENT_PAGE)
        for event in page:
            name = _count_name(event)
            if name is None or event.day is None or not first <= event.day <= last:
                continue
            if event.child is None:
                if event.kind not in DEVICE_EVENTS:
                    continue
            elif child_key(event.child) != key:
                continue
            counts = out.setdefault(event.day, dict.fromkeys(COUNT_NAMES, 0))
            counts[name] = min(MAX_COUNT, counts[name] + 1)
            if event.kind == EventKind.GAP:
                seconds = counts["gap_seconds"] + int(event.detail.get("seconds", 0) or 0)
                counts["gap_seconds"] = min(MAX_SECONDS, seconds)
        if len(page) < _EVENT_PAGE:
            return out
        after = page[-1].id


def day_summaries(
    ledger: SummaryLedger,
    child: str,
    first: dt.date,
    last: dt.date,
    shares: Iterable[str],
) -> dict[dt.date, dict[str, Any]]:
    """`DaySummaryIn`-shaped dicts (without revision and consent) of the days with anything.

    Only what `shares` names is filled: `total` always, `apps`, `categories` and `counts`
    when shared. Nothing else from the ledger (titles, paths, messages) is ever read here.
    """
    shared = set(shares)
    key = child_key(child)
    usage: dict[dt.date, dict[str, dict[str, float]]] = {}
    for (day, who, kind, ident), seconds in ledger.usage(first, last).items():
        if child_key(who) != key:
            continue
        per_kind = usage.setdefault(day, {"app": {}, "category": {}, "total": {}})
        bucket = per_kind.setdefault(kind, {})
        bucket[ident] = bucket.get(ident, 0.0) + seconds
    counts = _count_events(ledger, child, first, last) if "counts" in shared else {}
    out: dict[dt.date, dict[str, Any]] = {}
    for day in sorted(set(usage) | set(counts)):
        per_kind = usage.get(day, {})
        summary = empty_summary()
        summary["total_seconds"] = _seconds(sum(per_kind.get("total", {}).values()))
        screen = _seconds(sum(per_kind.get("screen", {}).values()))
        if screen:  # computer time (`screen`), shared with the total; absent when none
            summary["screen_seconds"] = screen
        if "apps" in shared:
            summary["apps"] = _top(per_kind.get("app", {}), MAX_APPS)
        if "categories" in shared:
            summary["categories"] = _top(per_kind.get("category", {}), MAX_CATEGORIES)
        if day in counts:
            summary["counts"] = counts[day]
        if not is_empty(summary):
            out[day] = summary
    return out


def summary_hash(summary: dict[str, Any], consent_id: str) -> str:
    """A digest of what would be sent, to tell whether a day changed since it was sent."""
    doc = json.dumps([consent_id, summary], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(doc.encode("utf-8")).hexdigest()[:32]
