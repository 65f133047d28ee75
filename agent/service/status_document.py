"""The status document (`playclock status --json`), as the design fixes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from rules.config import ConfigIssue
from rules.model import ChildStatus

__all__ = ["VERSION", "status_document", "tightest"]

VERSION = "0.1.0"


def status_document(
    day: dt.date,
    statuses: Iterable[ChildStatus],
    *,
    running: bool,
    config_error: list[ConfigIssue] | None = None,
    extra: dict[str, Any] | None = None,
    accounts: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """The design's status document; `extra` adds agent fields (mode, data dir, sync)."""
    agent: dict[str, Any] = {
        "running": running,
        "version": VERSION,
        "config_error": "\n".join(str(i) for i in config_error) if config_error else None,
    }
    agent.update(extra or {})
    return {
        "day": day.isoformat(),
        "agent": agent,
        # Extension: each child's OS accounts, so a tray can find its own child.
        "children": [{**s.as_json(), "accounts": list((accounts or {}).get(s.name, ()))}
                     for s in statuses],
    }


def tightest(child: dict[str, Any]) -> dict[str, Any] | None:
    """The limit that runs out first, leaving out blocked ones nothing uses now."""
    rows = [
        r
        for r in child["limits"]
        if r["left_seconds"] is not None and (r.get("active") or r["state"] != "blocked")
    ]
    return min(rows, key=lambda r: r["left_seconds"]) if rows else None
