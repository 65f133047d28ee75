"""What a limit row of the status document really means once every covering limit counts.

The status document gives each row `effective_state`, `effective_left_seconds`,
`effective_until` and `limited_by` (rules/effective.py). The tray, the command line and the
dashboard read them through these helpers, so all three tell the child the real time left,
and tell a parent when another limit keeps a grant from being usable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.i18n import _
from agent.i18n.formatting import date_short, time_left, time_short
from agent.i18n.titles import limit_title

__all__ = ["Effective", "capped_note", "effective", "grant_note", "row_title"]

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Effective:
    """A row's state, time left and reopening with every covering limit counted."""

    state: str
    left: int | None
    until: str | None
    by: Row | None  # the other limit that decides, when one does


def row_title(row: Row) -> str:
    """A row's title for people (built-in categories and the total translated)."""
    return limit_title(str(row.get("kind", "")), str(row.get("id", "")), str(row["title"]))


def effective(child: Row, row: Row) -> Effective:
    """The row as it really is (its own values when the document predates effective ones)."""
    if "effective_state" not in row:
        return Effective(str(row["state"]), row["left_seconds"], row.get("until"), None)
    by_id = row.get("limited_by")
    by = next((r for r in child.get("limits", ()) if r["id"] == by_id), None) if by_id else None
    return Effective(
        str(row["effective_state"]),
        row.get("effective_left_seconds"),
        row.get("effective_until"),
        by,
    )


def _when(until: str | None, today: dt.date | None) -> str | None:
    if not until:
        return None
    moment = dt.datetime.fromisoformat(until)
    if today is not None and (moment.date() - today).days > 1:
        return f"{date_short(moment.date())} {time_short(moment)}"
    return time_short(moment)


def capped_note(child: Row, target: str, today: dt.date | None = None) -> str | None:
    """For the parent after a grant: the other limit that keeps the time from being usable.

    `target` is the granted limit's key ("*" for every limit). None when nothing caps it.
    """
    if target == "*":
        rows = [r for r in child.get("limits", ()) if effective(child, r).state == "blocked"]
        if not rows:
            return None
        row = rows[0]
    else:
        row = next((r for r in child.get("limits", ()) if r["id"] == target), None)
        if row is None:
            return None
    real = effective(child, row)
    if real.by is None and target != "*":
        return None
    if target == "*" and real.by is None:
        real = Effective(real.state, real.left, real.until, row)
    assert real.by is not None
    limit = row_title(real.by)
    title = row_title(row)
    if real.state == "blocked":
        when = _when(real.until, today)
        if when:
            return _(
                "Note: {limit} is blocked until {until}, so {title} stays blocked until then."
            ).format(limit=limit, until=when, title=title)
        return _(
            "Note: {limit} is blocked for the rest of today, so {title} stays blocked."
        ).format(limit=limit, title=title)
    return _(
        "Note: {limit} has {left} left, so {title} can only be used for {left} more today."
    ).format(limit=limit, left=time_left(real.left), title=title)


def grant_note(child: Row, detail: Mapping[str, Any] | None) -> str | None:
    """For the parent: how much of a grant the child can really use, when a limit caps it.

    `detail` is the grant's answer from the agent (`usable_seconds`, `limited_by`); None
    when the whole grant is usable.
    """
    by = (detail or {}).get("limited_by")
    if not by or detail is None or "usable_seconds" not in detail:
        return None
    row = next((r for r in child.get("limits", ()) if r["id"] == by), None)
    limit = row_title(row) if row is not None else str(by)
    usable = int(detail["usable_seconds"])
    if usable <= 0:
        return _("Note: because of {limit}, {child} cannot use this time now.").format(
            limit=limit, child=child["name"]
        )
    return _("Note: because of {limit}, {child} can only use {time} of it today.").format(
        limit=limit,
        child=child["name"],
        time=time_left(usable),  # rounded up, as the tray's ring shows time left
    )
