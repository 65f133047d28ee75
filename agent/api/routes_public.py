"""Routes for everyone on this computer: health, status, events, the log and requests.

Events, the log and requests show a caller without a parent session only what is theirs:
the calling account's child's own (the tray needs no more), nothing of other children.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.exceptions import HTTPException

from agent.api.bodies import AskBody, IdleBody
from agent.api.checks import Checks
from agent.api.context import API_PREFIX, agent_call, caller_account, viewer_of
from agent.api.routing import ApiCall, ApiRoutes
from agent.i18n import _

__all__ = ["routes"]

routes = ApiRoutes(API_PREFIX)

Json = dict[str, Any]


@routes.get("/health", inline=True)
def health(call: ApiCall) -> Json:
    """Whether the agent answers, and how many ticks it has run."""
    return {"ok": True, "ticks": call.ctx.agent.ticks}


@routes.get("/status")
def status(call: ApiCall) -> Json:
    """The status document."""
    return call.ctx.agent.status()


@routes.get("/events")
def events(call: ApiCall) -> Json:
    """New events after an id; waits up to `wait` seconds (long polling).

    `run` is the run of the agent the caller's `after` came from: when the agent has been
    restarted since, every event of this run is new to the caller, and is answered at once.
    """
    ctx = call.ctx
    viewer = viewer_of(call.request, ctx)
    check = Checks()
    after = check.query_int(call.query, "after", 0)
    wait = check.query_float(call.query, "wait", 0.0)
    run = check.query_text(call.query, "run", None, 64)
    check.done()
    bus = ctx.agent.bus
    wait = max(0.0, min(wait, 30.0))
    if run is not None and run != bus.run:
        after, wait = 0, 0.0
    # A few long polls at a time (the trays); more answer at once, so no local
    # program can tie up every worker thread of the API.
    if wait and ctx.pollers.acquire(blocking=False):
        try:
            items = bus.wait(after, wait)
        finally:
            ctx.pollers.release()
    else:
        items = bus.since(after)
    mine = [e for e in items if viewer.sees(e.get("child"))]
    return {"last": bus.last_id, "run": bus.run, "events": mine}


@routes.get("/log")
def event_log(call: ApiCall) -> Json:
    """The ledger's events of a day (today by default)."""
    agent = call.ctx.agent
    viewer = viewer_of(call.request, call.ctx)
    check = Checks()
    day = check.query_day(call.query, "day")
    limit = check.query_int(call.query, "limit", 500)
    check.done()
    when = day or agent.state.day
    tz = agent.clock.tz
    try:
        start = dt.datetime.combine(when, dt.time(), tz) - dt.timedelta(hours=12)
        end = start + dt.timedelta(hours=48)
    except OverflowError:
        raise HTTPException(422, _("day out of range")) from None
    items = [
        e.as_json()
        for e in agent.ledger.events(start, end, limit=max(1, min(limit, 5000)))
        if e.day == when and viewer.sees(e.child)
    ]
    return {"day": when.isoformat(), "events": items}


@routes.get("/requests")
def requests(call: ApiCall) -> Json:
    """Requests for more time (pending ones by default)."""
    viewer = viewer_of(call.request, call.ctx)
    check = Checks()
    state = check.query_text(call.query, "state", "pending", None)
    check.done()
    mine = [r.as_json() for r in call.ctx.agent.ledger.requests(state) if viewer.sees(r.child)]
    return {"requests": mine}


@routes.post("/requests", status=201)
def ask(call: ApiCall) -> Json:
    """A child asks for more time (for themselves; a parent for any child)."""
    ctx = call.ctx
    viewer = viewer_of(call.request, ctx)
    body = call.body(AskBody)
    name = ctx.agent.child_name(body.child)
    if name is None:  # checked first: made-up names must not fill the rate limiter's table
        raise HTTPException(400, _("unknown child {name!r}").format(name=body.child))
    if not viewer.sees(name):
        raise HTTPException(403, _("you can ask only for your own time"))
    if not ctx.asks.allow(name.casefold()):
        raise HTTPException(429, _("you already asked; wait for a parent to answer"))
    return dict(agent_call(lambda: ctx.agent.ask(name, body.minutes, body.message)))


@routes.post("/idle", status=204)
def report_idle(call: ApiCall) -> None:
    """A tray reports its account's input idle time; the account is the one that owns the
    connection (never a name in the body), so a program can only speak for its own user."""
    body = call.body(IdleBody)
    user = caller_account(call.request, call.ctx)
    if user is None:
        raise HTTPException(403, _("idle time is only taken from a tray of this computer"))
    call.ctx.agent.report_idle(user, body.idle_seconds)
