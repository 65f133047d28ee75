"""The status document (`playclock status --json`), as the design fixes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the tray reads documents without the rules checker
    from rules.config import ConfigIssue
    from rules.model import ChildStatus, Config

__all__ = ["VERSION", "status_document", "tightest"]

VERSION = "0.1.0"


def status_document(
    day: dt.date,
    statuses: Iterable[ChildStatus],
    *,
    running: bool,
    config: Config,
    config_error: list[ConfigIssue] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The design's status document; `extra` adds agent fields (mode, data dir, sync).

    From the rules it adds the `locale` ("vi", "en" or "auto": a tray started with only the
    agent's address speaks the family's language from it), each child's accounts, and the
    titles of the apps that run (a toast says "Minetest", not "minetest").
    """
    agent: dict[str, Any] = {
        "running": running,
        "version": VERSION,
        "config_error": "\n".join(str(i) for i in config_error) if config_error else None,
        "locale": config.settings.locale,
    }
    agent.update(extra or {})
    return {
        "day": day.isoformat(),
        "agent": agent,
        # Extensions: each child's OS accounts, so a tray can find its own child, and the
        # titles of the apps running now.
        "children": [_child(s, config) for s in statuses],
    }



def _child(status: ChildStatus, config: Config) -> dict[str, Any]:
    kid = config.child(status.name)
    titles = {}
    for app_id in status.running:
        app = config.app(app_id)
        titles[app_id] = app.title if app is not None else app_id
    return {
        **status.as_json(),
        "accounts": list(kid.accounts) if kid is not None else [],
        "running_titles": titles,
        # What a blocked `screen` does (the agent's `screen_enforced` false: nothing can).
        "screen_action": kid.screen_action if kid is not None else "lock",
    }


def tightest(child: dict[str, Any]) -> dict[str, Any] | None:
    """The limit that really decides for the child now (the icon's and the live line's).

    Every covering limit counts (the rows' `effective_*` fields): a blocked limit over every
    app (`total`, `screen`…) first, even when nothing runs; then the limit that blocks an app
    that runs; then the one that runs out first. A blocked app limit nothing uses is left out.
    """
    rows: list[dict[str, Any]] = list(child["limits"])
    by_id: dict[str, dict[str, Any]] = {r["id"]: r for r in rows}

    def state(r: dict[str, Any]) -> str:
        return str(r.get("effective_state", r["state"]))

    def left(r: dict[str, Any]) -> Any:
        return r["effective_left_seconds"] if "effective_state" in r else r["left_seconds"]

    def decider(r: dict[str, Any]) -> dict[str, Any]:
        return by_id.get(r.get("limited_by") or "", r)

    wide = [r for r in rows if r["state"] == "blocked" and r.get("kind") not in ("app", "category")]
    if wide:
        return wide[0]
    blocked = [r for r in rows if r.get("active") and state(r) == "blocked"]
    if blocked:
        return decider(blocked[0])
    timed = [r for r in rows if left(r) is not None and state(r) != "blocked"]
    if not timed:
        return None
    return decider(min(timed, key=lambda r: (left(r), r.get("limited_by") is not None)))
