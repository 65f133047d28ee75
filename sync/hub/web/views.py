"""What the web app's pages show, read from the database for one family."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.hub.aggregate import child_week, week_bounds
from sync.hub.fields import child_key
from sync.hub.models import ChildRequest, Consent, DaySummary, Device
from sync.hub.schemas import ChildWeekOut

__all__ = [
    "ChildToday",
    "DeviceRow",
    "children_of",
    "device_rows",
    "family_today",
    "iso_week",
    "requests_of",
    "usage_ids",
    "week_report",
]


@dataclass
class DeviceRow:
    """A paired device as the pages list it."""

    id: int
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    silent: bool
    children: list[str]


@dataclass
class DeviceToday:
    """One device's part of a child's day."""

    device: DeviceRow
    total_seconds: int
    gaps: int
    gap_seconds: int
    tamper: int
    limits: list[dict[str, Any]]
    running: list[str]


@dataclass
class ChildToday:
    """A child's day across every device."""

    name: str
    key: str
    day: date
    total_seconds: int = 0
    apps: list[tuple[str, int]] = field(default_factory=list)
    categories: list[tuple[str, int]] = field(default_factory=list)
    devices: list[DeviceToday] = field(default_factory=list)
    limits: list[dict[str, Any]] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    blocked: bool = False
    tamper: bool = False
    open_requests: int = 0


def iso_week(day: date) -> str:
    """`YYYY-Www` of a day."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def device_rows(s: Session, family_id: int, now: datetime,
                silent_after: timedelta) -> list[DeviceRow]:
    """The family's devices with the children each shares and whether they went quiet."""
    devices = s.execute(select(Device).where(Device.family_id == family_id)
                        .order_by(Device.id)).scalars().all()
    shared: dict[int, list[str]] = defaultdict(list)
    for device_id, child in s.execute(select(Consent.device_id, Consent.child).where(
            Consent.family_id == family_id, Consent.withdrawn_at.is_(None))):
        shared[device_id].append(child)
    return [DeviceRow(id=d.id, name=d.name, created_at=d.created_at,
                      last_seen_at=d.last_seen_at,
                      silent=d.last_seen_at is None or now - d.last_seen_at > silent_after,
                      children=sorted(shared.get(d.id, []), key=str.casefold))
            for d in devices]


def children_of(s: Session, family_id: int) -> list[str]:
    """Every child with an active consent on some device of the family, by name."""
    names: dict[str, str] = {}
    for child in s.execute(select(Consent.child).where(
            Consent.family_id == family_id, Consent.withdrawn_at.is_(None))).scalars():
        names.setdefault(child_key(child), child)
    return sorted(names.values(), key=str.casefold)


def _merge(maps: list[dict[str, int]]) -> list[tuple[str, int]]:
    out: dict[str, int] = defaultdict(int)
    for m in maps:
        for key, seconds in m.items():
            out[key] += int(seconds)
    return sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))


def _merge_limits(parts: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    # Each device enforces its own limits; shown together, the tightest state wins and
    # used time adds up (as the hub adds totals up).
    order = {"ok": 0, "warning": 1, "blocked": 2}
    merged: dict[str, dict[str, Any]] = {}
    for limits in parts:
        for limit in limits:
            key = str(limit.get("key"))
            have = merged.get(key)
            if have is None:
                merged[key] = dict(limit)
                continue
            have["used_seconds"] = int(have.get("used_seconds") or 0) + int(
                limit.get("used_seconds") or 0)
            lefts = [v for v in (have.get("left_seconds"), limit.get("left_seconds"))
                     if v is not None]
            have["left_seconds"] = min(lefts) if lefts else None
            if order.get(str(limit.get("state")), 0) > order.get(str(have.get("state")), 0):
                have["state"], have["reason"] = limit.get("state"), limit.get("reason")
    kinds = {"total": 0, "screen": 1, "category": 2, "app": 3}
    return sorted(merged.values(), key=lambda v: (kinds.get(str(v.get("kind")), 9),
                                                  str(v.get("key"))))


def family_today(s: Session, family_id: int, now: datetime,
                 silent_after: timedelta) -> tuple[list[ChildToday], list[DeviceRow]]:
    """Each child's latest day across devices (the devices' local "today"), and the devices."""
    devices = device_rows(s, family_id, now, silent_after)
    by_id = {d.id: d for d in devices}
    recent = now.date() - timedelta(days=1)
    rows = s.execute(select(DaySummary).where(DaySummary.family_id == family_id,
                                              DaySummary.day >= recent)).scalars().all()
    latest: dict[tuple[str, int], DaySummary] = {}
    for row in rows:  # each device's newest day per child is that device's "today"
        k = (row.child_key, row.device_id)
        if k not in latest or row.day > latest[k].day:
            latest[k] = row
    open_by_child: dict[str, int] = defaultdict(int)
    for key, count in s.execute(select(ChildRequest.child_key, func.count()).where(
            ChildRequest.family_id == family_id, ChildRequest.status == "open")
            .group_by(ChildRequest.child_key)):
        open_by_child[key] = int(count)
    children: dict[str, ChildToday] = {}
    for name in children_of(s, family_id):
        children[child_key(name)] = ChildToday(name=name, key=child_key(name), day=now.date())
    grouped: dict[str, list[DaySummary]] = defaultdict(list)
    for (key, _device), row in latest.items():
        grouped[key].append(row)
    for key, parts in grouped.items():
        day = max(r.day for r in parts)
        parts = sorted((r for r in parts if r.day == day), key=lambda r: r.device_id)
        child = children.setdefault(key, ChildToday(name=parts[-1].child, key=key, day=day))
        child.day = day
        child.total_seconds = sum(r.total_seconds for r in parts)
        child.apps = _merge([r.apps for r in parts])
        child.categories = _merge([r.categories for r in parts])
        for r in parts:
            status = r.status or {}
            device = by_id.get(r.device_id)
            if device is None:
                continue
            child.devices.append(DeviceToday(
                device=device, total_seconds=r.total_seconds, gaps=r.gaps or 0,
                gap_seconds=r.gap_seconds or 0, tamper=r.tamper or 0,
                limits=list(status.get("limits") or []),
                running=list(status.get("running") or []) if not device.silent else []))
        child.limits = _merge_limits([d.limits for d in child.devices])
        child.running = sorted({app for d in child.devices for app in d.running})
        child.blocked = any(limit.get("state") == "blocked" for limit in child.limits)
        child.tamper = any(d.gaps or d.tamper for d in child.devices)
    for key, child in children.items():
        child.open_requests = open_by_child.get(key, 0)
    ordered = sorted(children.values(), key=lambda c: c.name.casefold())
    return ordered, devices


def requests_of(s: Session, family_id: int, status: str, limit: int = 50
                ) -> list[tuple[ChildRequest, str]]:
    """The family's requests in a state ("open", or "answered"), newest first, with devices."""
    query = select(ChildRequest, Device.name).join(Device, Device.id == ChildRequest.device_id) \
        .where(ChildRequest.family_id == family_id)
    if status == "open":
        query = query.where(ChildRequest.status == "open")
    else:
        query = query.where(ChildRequest.status != "open")
    rows = s.execute(query.order_by(ChildRequest.id.desc()).limit(limit)).all()
    return [(r, name) for r, name in rows]


def usage_ids(s: Session, family_id: int, since: date) -> list[str]:
    """App and category ids seen lately (targets a parent may grant time on), by name."""
    ids: set[str] = set()
    for apps, categories, status in s.execute(
            select(DaySummary.apps, DaySummary.categories, DaySummary.status).where(
                DaySummary.family_id == family_id, DaySummary.day >= since)):
        ids.update(apps or {})
        ids.update(categories or {})
        ids.update(str(limit.get("key")) for limit in (status or {}).get("limits", []))
    ids.discard("total")
    return sorted(ids)


def week_report(s: Session, family_id: int, week: str) -> list[ChildWeekOut]:
    """Every child with data that week, summed across devices, by name."""
    start, end = week_bounds(week)
    rows = s.execute(select(DaySummary).where(
        DaySummary.family_id == family_id, DaySummary.day >= start,
        DaySummary.day <= end)).scalars().all()
    names = {d.id: d.name for d in s.execute(
        select(Device).where(Device.family_id == family_id)).scalars()}
    by_child: dict[str, list[DaySummary]] = defaultdict(list)
    for r in rows:
        by_child[r.child_key].append(r)
    out = [child_week(key, week, list(parts), names) for key, parts in by_child.items()]
    return sorted(out, key=lambda c: c.child.casefold())
