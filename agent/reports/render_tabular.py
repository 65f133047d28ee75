"""The report as JSON and as CSV: the same numbers, in seconds, with ISO dates and stable keys."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from agent.reports.iso_weeks import format_week
from agent.reports.model import (
    EVENT_KINDS,
    OVER_TOLERANCE_SECONDS,
    ChildReport,
    Computer,
    Happening,
    Report,
    UsageRow,
    percent_change,
)
from rules.timeutil import weekday_key

__all__ = ["CSV_COLUMNS", "FORMAT", "VERSION", "render_csv", "render_json", "to_json"]

FORMAT = "playclock-weekly-report"
VERSION = 1
CSV_COLUMNS = (
    "record",
    "child",
    "day",
    "kind",
    "id",
    "title",
    "category",
    "seconds",
    "limit_seconds",
    "bonus_seconds",
    "allowed_seconds",
    "over_seconds",
    "previous_seconds",
    "change_seconds",
    "change_percent",
    "count",
    "status",
    "start",
    "end",
    "detail",
)


def _moment(h: Happening) -> dict[str, Any]:
    return {
        "ts": h.ts.isoformat(timespec="seconds"),
        "day": h.day.isoformat(),
        "kind": h.kind,
        "target": h.target,
        "actor": h.actor,
        "minutes": h.minutes,
        "message": h.message,
        "approved": h.approved,
        "reason": h.reason,
    }


def _row(r: UsageRow) -> dict[str, Any]:
    return {
        "key": r.key,
        "kind": r.kind,
        "id": r.id,
        "title": r.title,
        "category": r.category,
        "week_seconds": r.week,
        "previous_week_seconds": r.previous,
        "change_seconds": r.change,
        "change_percent": percent_change(r.week, r.previous),
        "days": [
            {
                "day": d.day.isoformat(),
                "used_seconds": d.used,
                "limit_seconds": d.limit,
                "bonus_seconds": d.bonus,
                "allowed_seconds": d.allowed,
                "over_seconds": d.over,
            }
            for d in r.days
        ],
    }


def _child(c: ChildReport) -> dict[str, Any]:
    total = c.total
    return {
        "name": c.name,
        "week_seconds": total.week,
        "previous_week_seconds": total.previous,
        "change_seconds": total.change,
        "change_percent": percent_change(total.week, total.previous),
        "daily_average_seconds": round(total.week / max(1, c.days_so_far)),
        "days_over": c.days_over,
        "days_within": c.days_within,
        "bonus_seconds": c.bonus,
        "events": {k: c.event_count(k) for k in EVENT_KINDS},
        "days": [
            {
                "day": d.day.isoformat(),
                "status": d.status,
                "used_seconds": d.used,
                "allowed_seconds": d.allowed,
                "left_seconds": d.left,
                "bonus_seconds": d.bonus,
                "paused": d.paused,
                "limits_over": list(d.over),
                "events": {k: d.events.get(k, 0) for k in EVENT_KINDS},
            }
            for d in c.days
        ],
        "usage": [_row(r) for r in c.rows],
        "top_apps": [
            {"id": a.id, "title": a.title, "seconds": a.seconds, "share_percent": a.share}
            for a in c.top_apps
        ],
        "comparison": [
            {
                "kind": ch.kind,
                "id": ch.id,
                "title": ch.title,
                "seconds": ch.seconds,
                "previous_seconds": ch.previous,
                "change_seconds": ch.change,
                "change_percent": ch.percent,
                "direction": ch.direction,
            }
            for ch in c.comparison
        ],
        "timeline": [_moment(h) for h in c.timeline],
    }


def _computer(report: Report, comp: Computer) -> dict[str, Any]:
    return {
        "agent_starts": comp.starts,
        "agent_stops": comp.stops,
        "offline": [{"day": d.isoformat(), "seconds": comp.offline(d)} for d in report.days],
        "gaps": [
            {
                "start": g.start.isoformat(timespec="seconds"),
                "end": g.end.isoformat(timespec="seconds"),
                "seconds": g.seconds,
                "cause": g.cause,
                "days": [{"day": d.isoformat(), "seconds": s} for d, s in g.by_day],
            }
            for g in comp.gaps
        ],
        "clock_jumps": [
            {
                "ts": j.ts.isoformat(timespec="seconds"),
                "day": j.day.isoformat(),
                "seconds": j.seconds,
            }
            for j in comp.clock_jumps
        ],
    }


def to_json(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready dict (documented in docs/report-format.md)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "week": report.label,
        "previous_week": format_week(report.previous_week),
        "first_day": report.days[0].isoformat(),
        "last_day": report.days[-1].isoformat(),
        "timezone": report.timezone,
        "generated_at": report.generated.isoformat(timespec="seconds"),
        "over_tolerance_seconds": OVER_TOLERANCE_SECONDS,
        "days": [
            {"day": d.isoformat(), "weekday": weekday_key(d), "length_seconds": n}
            for d, n in zip(report.days, report.day_seconds, strict=True)
        ],
        "children": [_child(c) for c in report.children],
        "computer": _computer(report, report.computer),
    }


def render_json(report: Report) -> str:
    """The report as indented JSON text (UTF-8, not ASCII-escaped)."""
    return json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n"


def _usage_records(c: ChildReport) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in c.rows:
        base: dict[str, Any] = {"child": c.name, "kind": r.kind, "id": r.id, "title": r.title}
        base["category"] = r.category
        for d in r.days:
            out.append(
                base
                | {
                    "record": "usage",
                    "day": d.day.isoformat(),
                    "seconds": d.used,
                    "limit_seconds": d.limit,
                    "bonus_seconds": d.bonus,
                    "allowed_seconds": d.allowed,
                    "over_seconds": d.over,
                }
            )
        out.append(
            base
            | {
                "record": "week",
                "seconds": r.week,
                "previous_seconds": r.previous,
                "change_seconds": r.change,
                "change_percent": percent_change(r.week, r.previous),
            }
        )
    return out


def _day_records(c: ChildReport) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for d in c.days:
        day = d.day.isoformat()
        out.append(
            {
                "record": "day",
                "child": c.name,
                "day": day,
                "kind": "total",
                "id": "total",
                "seconds": d.used,
                "allowed_seconds": d.allowed,
                "bonus_seconds": d.bonus,
                "count": len(d.over),
                "status": d.status,
                "detail": " ".join(d.over),
            }
        )
        for kind in EVENT_KINDS:
            if d.events.get(kind):
                out.append(
                    {"record": "event", "child": c.name, "day": day, "kind": kind}
                    | {"count": d.events[kind]}
                )
    for h in c.timeline:
        answer = None if h.approved is None else "approved" if h.approved else "declined"
        out.append(
            {
                "record": "moment",
                "child": c.name,
                "day": h.day.isoformat(),
                "kind": h.kind,
                "id": h.target,
                "seconds": None if h.minutes is None else h.minutes * 60,
                "status": h.reason or answer,
                "start": h.ts.isoformat(timespec="seconds"),
                "detail": h.message,
            }
        )
    return out


def _computer_records(comp: Computer) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for g in comp.gaps:
        for day, seconds in g.by_day:
            out.append(
                {
                    "record": "gap",
                    "day": day.isoformat(),
                    "kind": "gap",
                    "id": g.cause,
                    "seconds": seconds,
                    "start": g.start.isoformat(timespec="seconds"),
                    "end": g.end.isoformat(timespec="seconds"),
                }
            )
    for j in comp.clock_jumps:
        out.append(
            {
                "record": "clock_jump",
                "day": j.day.isoformat(),
                "kind": "clock_jump",
                "seconds": j.seconds,
                "start": j.ts.isoformat(timespec="seconds"),
            }
        )
    for kind, n in (("agent_start", comp.starts), ("agent_stop", comp.stops)):
        out.append({"record": "agent", "kind": kind, "count": n})
    return out


def render_csv(report: Report) -> str:
    """The report as one CSV table, a row per record (columns in CSV_COLUMNS)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    rows = [r for c in report.children for r in _usage_records(c) + _day_records(c)]
    for row in rows + _computer_records(report.computer):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()
