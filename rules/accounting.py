"""How time is counted: seconds of running apps become usage per child and key, as a union."""

from __future__ import annotations

import datetime as dt

from rules.match import Running
from rules.model import TOTAL, Config, LimitKind

__all__ = ["account"]


def account(
    config: Config, running: Running, day: dt.date, seconds: float
) -> dict[tuple[dt.date, str, LimitKind, str], float]:
    """Time to add for `seconds` of these apps running, counted as a union per key."""
    out: dict[tuple[dt.date, str, LimitKind, str], float] = {}
    if seconds <= 0:
        return out
    for child, apps in running.items():
        if not apps:
            continue
        keys: set[tuple[LimitKind, str]] = {("total", TOTAL)}
        for app_id in apps:
            keys.add(("app", app_id))
            app = config.app(app_id)
            if app is not None and app.category:
                keys.add(("category", app.category))
        for kind, ident in keys:
            out[(day, child, kind, ident)] = seconds
    return out
