"""What is really left of each limit: the tightest of every limit that covers it.

Minetest with 3 minutes of its own is blocked all the same when the total is used up; its
category and the total (and `screen`, or any limit over everything) cap it, whatever runs.
Pure: values in, values out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from rules.limits import Limit
from rules.model import Config, LimitStatus

__all__ = ["SESSION_KINDS", "apps_of", "caps", "effective", "usable_grant"]

# Limits on the whole session (it is locked when they run out): they cap every other limit,
# and only each other.
SESSION_KINDS = frozenset({"screen"})


def apps_of(config: Config, limit: Limit) -> frozenset[str] | None:
    """The apps a limit counts; None for a limit over every app (total, screen, …)."""
    if limit.kind == "app":
        return frozenset((limit.usage_id,))
    if limit.kind == "category":
        return frozenset(a.id for a in config.apps if a.category == limit.usage_id)
    return None


def caps(config: Config, outer: Limit, inner: Limit) -> bool:
    """Whether `outer` limits everything `inner` limits, so that it caps `inner`'s time."""
    if outer.key == inner.key or outer.kind in SESSION_KINDS:
        return True
    if inner.kind in SESSION_KINDS:
        return False
    outer_apps, inner_apps = apps_of(config, outer), apps_of(config, inner)
    if outer_apps is None:
        return True
    return inner_apps is not None and bool(inner_apps) and inner_apps <= outer_apps


def _later(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    """When two blocks are both over: the later opening (None: not today)."""
    return None if a is None or b is None else max(a, b)


def effective(
    config: Config, limits: Sequence[Limit], rows: Sequence[LimitStatus]
) -> list[LimitStatus]:
    """Each row with `effective_*` and `limited_by` filled in from every limit that caps it.

    A blocked capping limit blocks the row (until the last of them opens); otherwise the
    least time left among them is what is left, and `limited_by` names that limit when it
    is not the row's own.
    """
    by_key = {lim.key: lim for lim in limits}
    out: list[LimitStatus] = []
    for row in rows:
        inner = by_key.get(row.id)
        capping = [
            other
            for other in rows
            if other.id == row.id
            or (inner is not None and other.id in by_key and caps(config, by_key[other.id], inner))
        ]
        blocked = [r for r in capping if r.state == "blocked"]
        if blocked:
            # The row's own block first, else the one that opens last: what the family is told.
            until = blocked[0].until
            for other in blocked[1:]:
                until = _later(until, other.until)
            decider = row if row.state == "blocked" else _latest(blocked)
            out.append(
                replace(
                    row,
                    effective_left_seconds=0,
                    effective_state="blocked",
                    effective_until=until,
                    limited_by=None if decider is row else decider.id,
                )
            )
            continue
        timed = [r for r in capping if r.left_seconds is not None]
        if not timed:
            out.append(replace(row, effective_left_seconds=None, effective_state=row.state))
            continue
        # Ties go to the row's own limit: another one is named only when it is tighter.
        tightest = min(timed, key=lambda r: (r.left_seconds, r.id != row.id))
        out.append(
            replace(
                row,
                effective_left_seconds=tightest.left_seconds,
                effective_state=tightest.state,
                limited_by=None if tightest is row else tightest.id,
            )
        )
    return out


def _latest(blocked: Sequence[LimitStatus]) -> LimitStatus:
    """The blocked row that opens last (one blocked for the rest of today first)."""
    return max(
        blocked, key=lambda r: (r.until is None, r.until or dt.datetime.min.replace(tzinfo=dt.UTC))
    )


def _gain(before: LimitStatus | None, after: LimitStatus, seconds: int) -> int:
    """How much more of a row can really be used after a grant of `seconds`."""
    if after.effective_left_seconds is None or before is None:
        return seconds
    if before.effective_left_seconds is None:
        return seconds
    return max(0, min(seconds, after.effective_left_seconds - before.effective_left_seconds))


def _decider(row: LimitStatus) -> str:
    """The limit that decides a row's time: another that caps it, or its own (its hours)."""
    return row.limited_by or row.id


def usable_grant(
    before: Sequence[LimitStatus], after: Sequence[LimitStatus], target: str, seconds: int
) -> tuple[int, str | None]:
    """What a child really gets of a grant: the usable seconds, and the limit that caps them.

    `before` and `after` are the child's rows at one moment without and with the grant;
    `target` is the granted limit's key, or "*" for every limit. For "*", what runs now
    decides (the least gain among the active rows); with nothing running, the most any row
    gains. The limit is None when the whole grant is usable (to within a minute).
    """
    old = {r.id: r for r in before}
    if target != "*":
        rows = [r for r in after if r.id == target]
    else:
        rows = [r for r in after if r.active] or list(after)
    if not rows:
        return seconds, None
    gains = [(_gain(old.get(r.id), r, seconds), r) for r in rows]
    gain, row = (min if target != "*" or any(r.active for r in after) else max)(
        gains, key=lambda g: (g[0], g[1].id)
    )
    # Seconds already overrun before the grant (a tick's worth) are not worth a word.
    return (seconds, None) if gain > seconds - 60 else (gain, _decider(row))
