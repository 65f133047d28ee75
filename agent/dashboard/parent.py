"""The parent's page: bonus time, pause and resume, and children's requests for more time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from starlette.responses import Response

from agent.dashboard.language import _
from agent.dashboard.views import child_views, limit_title
from agent.dashboard.web import Call, Routes, Web
from agent.i18n import formatting as fmt
from agent.i18n.limit_text import capped_note, grant_note
from agent.service.agent import AgentError
from rules.limits import child_limits

__all__ = ["routes"]

GRANT_MINUTES = (15, 30, 60)
ACTOR = "parent"


@dataclass(frozen=True)
class RequestView:
    """A pending request for more time."""

    id: int
    child: str
    minutes: int
    message: str
    when: str


def _when(ts: dt.datetime, tz: dt.tzinfo, today: dt.date) -> str:
    local = ts.astimezone(tz)
    if local.date() == today:
        return fmt.time_short(local)
    return f"{fmt.date_short(local.date())} {fmt.time_short(local)}"


def _int(text: str, lo: int, hi: int) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if lo <= value <= hi else None


routes = Routes()  # /parent and its actions.


@routes.page("/parent", parent=True)
def page(web: Web, call: Call) -> Response:
    agent = web.ctx.agent
    status = agent.status()
    config = agent.config
    today = dt.date.fromisoformat(status["day"])
    targets: dict[str, list[tuple[str, str]]] = {}
    for child in config.children:
        targets[child.name] = [
            (lim.key, limit_title(config, lim.key, lim.kind, lim.title))
            for lim in child_limits(config, child)
            if not lim.implicit
        ]
    pending = [
        RequestView(r.id, r.child, r.minutes, r.message, _when(r.ts, agent.clock.tz, today))
        for r in agent.ledger.requests("pending")
    ]
    return web.render(
        call,
        "parent.html",
        children=child_views(status, config),
        targets=targets,
        grants=GRANT_MINUTES,
        pending=pending,
    )


@routes.action("/parent/grant")
def grant(web: Web, call: Call) -> Response:
    agent = web.ctx.agent
    child, target = call.get("child"), call.get("target", "*") or "*"
    minutes = _int(call.get("minutes"), -1440, 1440)
    if not minutes:
        return web.redirect("/parent", _("Choose how many minutes to give."), error=True)
    try:
        granted = agent.grant(child, target, minutes, ACTOR)
    except AgentError as exc:
        return web.redirect("/parent", str(exc), error=True)
    msg = _("{child} got {minutes} minutes of bonus time for today.").format(
        child=child, minutes=minutes
    )
    status = agent.status()
    found = next((c for c in status["children"] if c["name"] == child), None)
    note = found and (
        capped_note(found, target, dt.date.fromisoformat(status["day"]))
        or grant_note(found, granted)
    )
    return web.redirect("/parent", f"{msg} {note}" if note else msg)


@routes.action("/parent/pause")
def pause(web: Web, call: Call) -> Response:
    agent = web.ctx.agent
    child = call.get("child")
    paused = call.get("paused") == "1"
    try:
        agent.pause(child, paused, ACTOR)
    except AgentError as exc:
        return web.redirect("/parent", str(exc), error=True)
    if paused:
        msg = _("Limits for {child} are paused for the rest of today.").format(child=child)
    else:
        msg = _("Limits for {child} apply again.").format(child=child)
    return web.redirect("/parent", msg)


@routes.action("/parent/answer")
def answer(web: Web, call: Call) -> Response:
    agent = web.ctx.agent
    request_id = _int(call.get("id"), 1, 2**62)
    approve = call.get("approve") == "1"
    minutes = _int(call.get("minutes"), 1, 1440) if approve and call.get("minutes") else None
    if request_id is None or (approve and call.get("minutes") and minutes is None):
        return web.redirect("/parent", _("Minutes must be between 1 and 1440."), error=True)
    try:
        done = agent.answer(request_id, approve, minutes, ACTOR)
    except AgentError as exc:
        return web.redirect("/parent", str(exc), error=True)
    if approve:
        msg = _("Approved: {child} got {minutes} more minutes.").format(
            child=done["child"], minutes=done.get("answered_minutes") or done["minutes"]
        )
        status = agent.status()
        found = next((c for c in status["children"] if c["name"] == done["child"]), None)
        note = found and grant_note(found, done.get("granted"))
        if note:
            msg = f"{msg} {note}"
    else:
        msg = _("Request from {child} denied.").format(child=done["child"])
    return web.redirect("/parent#requests", msg)
