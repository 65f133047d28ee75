"""Routes for everyone on this computer: health, status, events, the log and requests.

Events, the log and requests show a caller without a parent session only what is theirs:
the calling account's child's own (the tray needs no more), nothing of other children.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse

from agent.api.context import API_PREFIX, Caller, CallerAccount, Ctx, agent_call
from agent.api.models import AskBody, IdleBody
from agent.i18n import _

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX)


# The documents below are JSON already: answered as they are, without FastAPI's walk over
# every value (`jsonable_encoder`), ten times the cost of the encoding itself (issue 15).
Json = dict[str, Any]


@router.get("/health", response_model=Json)
async def health(ctx: Ctx) -> JSONResponse:
    """Whether the agent answers, and how many ticks it has run."""
    return JSONResponse({"ok": True, "ticks": ctx.agent.ticks})


@router.get("/status", response_model=Json)
def status(ctx: Ctx) -> JSONResponse:
    """The status document."""
    return JSONResponse(ctx.agent.status())


@router.get("/events", response_model=Json)
def events(
    ctx: Ctx,
    viewer: Caller,
    after: int = 0,
    wait: float = 0,
    run: Annotated[str | None, Query(max_length=64)] = None,
) -> JSONResponse:
    """New events after an id; waits up to `wait` seconds (long polling).

    `run` is the run of the agent the caller's `after` came from: when the agent has been
    restarted since, every event of this run is new to the caller, and is answered at once.
    """
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
    return JSONResponse({"last": bus.last_id, "run": bus.run, "events": mine})


@router.get("/log")
def event_log(
    ctx: Ctx, viewer: Caller, day: dt.date | None = None, limit: int = 500
) -> dict[str, Any]:
    """The ledger's events of a day (today by default)."""
    agent = ctx.agent
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


@router.get("/requests")
def requests(ctx: Ctx, viewer: Caller, state: str | None = "pending") -> dict[str, Any]:
    """Requests for more time (pending ones by default)."""
    mine = [r.as_json() for r in ctx.agent.ledger.requests(state) if viewer.sees(r.child)]
    return {"requests": mine}


@router.post("/requests", status_code=201)
def ask(ctx: Ctx, viewer: Caller, body: AskBody) -> dict[str, Any]:
    """A child asks for more time (for themselves; a parent for any child)."""
    name = ctx.agent.child_name(body.child)
    if name is None:  # checked first: made-up names must not fill the rate limiter's table
        raise HTTPException(400, _("unknown child {name!r}").format(name=body.child))
    if not viewer.sees(name):
        raise HTTPException(403, _("you can ask only for your own time"))
    if not ctx.asks.allow(name.casefold()):
        raise HTTPException(429, _("you already asked; wait for a parent to answer"))
    return dict(agent_call(lambda: ctx.agent.ask(name, body.minutes, body.message)))


@router.post("/idle", status_code=204)
def report_idle(body: IdleBody, ctx: Ctx, user: CallerAccount) -> None:
    """A tray reports its account's input idle time; the account is the one that owns the
    connection (never a name in the body), so a program can only speak for its own user."""
    if user is None:
        raise HTTPException(403, _("idle time is only taken from a tray of this computer"))
    ctx.agent.report_idle(user, body.idle_seconds)
