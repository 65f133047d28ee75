"""Routes that change something: each needs the parent (session, CSRF or PIN)."""

from __future__ import annotations

from typing import Any

from agent.api.bodies import AnswerBody, GrantBody, LimitBody, PauseBody
from agent.api.checks import Checks
from agent.api.context import API_PREFIX, agent_call, parent_of
from agent.api.routing import ApiCall, ApiRoutes
from agent.ledger.store import EventKind

__all__ = ["routes"]

routes = ApiRoutes(API_PREFIX)

Json = dict[str, Any]
MAX_ID = 2**63 - 1


@routes.post("/grants")
def grant(call: ApiCall) -> Json:
    """Bonus time for today: the status, and under "granted" what is really usable of it."""
    ctx = call.ctx
    actor = parent_of(call.request, ctx)
    body = call.body(GrantBody)
    granted = agent_call(lambda: ctx.agent.grant(body.child, body.target, body.minutes, actor))
    return {**ctx.agent.status(), "granted": granted}


@routes.post("/pause")
def pause(call: ApiCall) -> Json:
    """Pause a child's limits for the rest of today, or resume them."""
    ctx = call.ctx
    actor = parent_of(call.request, ctx)
    body = call.body(PauseBody)
    agent_call(lambda: ctx.agent.pause(body.child, body.paused, actor))
    return ctx.agent.status()


@routes.put("/children/{child}/limits/{key}")
def set_limit(call: ApiCall) -> Json:
    """Set or change one limit of a child (fields left out keep their value)."""
    ctx = call.ctx
    actor = parent_of(call.request, ctx)
    body = call.body(LimitBody)
    child, key = call.path["child"], call.path["key"]
    kid = ctx.agent.config.child(child)
    base = kid.effective_limits().get(key) if kid is not None else None
    agent_call(lambda: ctx.agent.set_limit(child, key, body.spec(key, base), actor))
    return ctx.agent.status()


@routes.delete("/children/{child}/limits/{key}")
def remove_limit(call: ApiCall) -> Json:
    """Remove one limit of a child."""
    ctx = call.ctx
    actor = parent_of(call.request, ctx)
    child, key = call.path["child"], call.path["key"]
    agent_call(lambda: ctx.agent.set_limit(child, key, None, actor))
    return ctx.agent.status()


@routes.post("/requests/{request_id}/answer")
def answer(call: ApiCall) -> Json:
    """Approve (with minutes) or decline a child's request."""
    ctx = call.ctx
    actor = parent_of(call.request, ctx)
    check = Checks()
    request_id = check.path_int(call.path, "request_id", ge=1, le=MAX_ID)
    body = check.done_with(check.body(AnswerBody, call.raw))
    return dict(agent_call(lambda: ctx.agent.answer(request_id, body.approve, body.minutes, actor)))


@routes.post("/reload", body=False)
def reload(call: ApiCall) -> Json:
    """Read the rules file again."""
    ctx = call.ctx
    actor = parent_of(call.request, ctx)
    ctx.agent.reload()
    ctx.agent.log(EventKind.RELOAD, {}, actor)
    return ctx.agent.status()
