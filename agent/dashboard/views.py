"""The status document and rules shaped for pages: titles, states and progress, translated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agent.dashboard.language import _
from agent.i18n import formatting as fmt
from agent.i18n import titles
from agent.i18n.limit_text import effective, row_title
from agent.i18n.titles import category_title
from rules.limits import child_limits
from rules.model import Config, LimitSpec, Window, format_hhmm
from rules.timeutil import windows_for

__all__ = [
    "ChildView",
    "LimitRow",
    "category_title",
    "child_views",
    "limit_title",
    "sync_on",
    "windows_text",
    "words_shared",
]


def limit_title(config: Config, key: str, kind: str, title: str) -> str:
    """A limit's title for people (see agent.i18n.titles)."""
    return titles.limit_title(kind, key, title)



def windows_text(windows: Iterable[Window]) -> str:
    """ "08:00–20:30, 21:00–22:00" (en dash between the times); "" for the whole day."""
    parts = []
    for w in windows:
        if w.start == w.end:
            return ""  # the whole day: nothing to point out
        parts.append(f"{format_hhmm(w.start)}–{format_hhmm(w.end) if w.end else '24:00'}")
    return ", ".join(parts)


def _has_windows(spec: LimitSpec) -> bool:
    return bool(spec.allowed or spec.allowed_weekend is not None or spec.allowed_days)


def words_shared(status: Mapping[str, Any]) -> list[str]:
    """The children whose request words sync sends (their consent's `messages` share)."""
    sync = status.get("agent", {}).get("sync")
    if not isinstance(sync, Mapping) or not sync.get("enabled"):
        return []
    shares = sync.get("shares")
    if not isinstance(shares, Mapping):
        return []
    return [str(child) for child, kinds in shares.items() if "messages" in (kinds or ())]


def sync_on(status: Mapping[str, Any]) -> bool:
    """Whether the agent reports family-account sync as on."""
    sync = status.get("agent", {}).get("sync")
    if isinstance(sync, Mapping):
        return bool(sync.get("enabled") or sync.get("paired") or sync.get("on"))
    return bool(sync) and sync not in ("off", "disabled")


@dataclass(frozen=True)
class LimitRow:
    """One limit of a child on the today view."""

    key: str
    title: str
    used: int
    budget: int | None  # seconds, with today's bonus
    bonus: int
    left: int | None
    state: str
    state_label: str
    detail: str  # why blocked and until when, or ""
    windows: str  # today's allowed hours, or ""
    active: bool

    @property
    def percent(self) -> int:
        """Share of the budget used (0 to 100)."""
        if not self.budget:
            return 100 if self.budget == 0 else 0
        return max(0, min(100, round(100 * self.used / self.budget)))


@dataclass(frozen=True)
class ChildView:
    """A child's card on the today and parent pages."""

    name: str
    paused: bool
    running: list[str]
    limits: list[LimitRow]

    @property
    def blocked(self) -> bool:
        """Whether any limit is blocked now."""
        return any(r.state == "blocked" for r in self.limits)


def _until_text(until: str | None, today: dt.date) -> str:
    if not until:
        return ""
    try:
        moment = dt.datetime.fromisoformat(until)
    except ValueError:
        return ""
    if moment.date() == today:
        return fmt.time_short(moment)
    return f"{fmt.time_short(moment)} {fmt.weekday(moment.date())}"


def _state(row: Mapping[str, Any], paused: bool, today: dt.date) -> tuple[str, str]:
    state = str(row.get("state", "ok"))
    if paused:
        return _("Paused"), ""
    if state == "blocked":
        until = _until_text(row.get("until"), today)
        if row.get("reason") == "budget":
            if until:
                return _("Blocked"), _("Time is up. Open again at {when}.").format(when=until)
            return _("Blocked"), _("Time is up for today.")
        if until:
            return _("Blocked"), _("Outside allowed hours. Open again at {when}.").format(
                when=until
            )
        return _("Blocked"), _("Outside allowed hours for the rest of today.")
    if state == "warning":
        return _("Almost up"), ""
    return _("OK"), ""


def child_views(status: Mapping[str, Any], config: Config) -> list[ChildView]:
    """The status document's children, ready for the templates."""
    today = dt.date.fromisoformat(status["day"])
    out: list[ChildView] = []
    for child in status.get("children", []):
        paused = bool(child.get("paused"))
        kid = config.child(child["name"])
        specs: dict[str, LimitSpec] = {}
        if kid is not None:
            specs = {lim.key: lim.spec for lim in child_limits(config, kid)}
        rows: list[LimitRow] = []
        for row in child.get("limits", []):
            real = effective(child, row)
            label, detail = _state(row, paused, today)
            if real.by is not None and not paused:
                # Another limit decides: the real state and time left, and which limit it is.
                decided = {"state": real.state, "until": real.until, "reason": real.by["reason"]}
                label, detail = _state({**row, **decided}, paused, today)
                detail = " ".join(
                    part
                    for part in (
                        detail,
                        _("Because of {limit}.").format(limit=row_title(real.by)),
                    )
                    if part
                )
            limit = row.get("limit_seconds")
            bonus = int(row.get("bonus_seconds") or 0)
            spec = specs.get(row["id"])
            rows.append(
                LimitRow(
                    key=row["id"],
                    title=limit_title(config, row["id"], row["kind"], row["title"]),
                    used=int(row.get("used_seconds") or 0),
                    budget=None if limit is None else int(limit) + bonus,
                    bonus=bonus,
                    left=real.left,
                    state="paused" if paused else real.state,
                    state_label=label,
                    detail=detail,
                    windows=windows_text(windows_for(spec, today))
                    if spec and _has_windows(spec)
                    else "",
                    active=bool(row.get("active")),
                )
            )
        running = []
        for app_id in child.get("running", []):
            app = config.app(app_id)
            running.append(app.title if app else app_id)
        out.append(ChildView(child["name"], paused, running, rows))
    return out
