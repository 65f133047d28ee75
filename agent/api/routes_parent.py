"""Routes that change something: each needs the parent (session, CSRF or PIN)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam

from agent.api.context import API_PREFIX, Ctx, Parent, agent_call
from agent.api.models import AnswerBody, GrantBody, LimitBody, PauseBody
from agent.ledger.store import EventKind

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX)


@router.post("/grants")
def grant(ctx: Ctx, body: GrantBody, actor: Parent) -> dict[str, Any]:
    """Bonus time for today: the status, and under "granted" what is really usable of it."""
    granted = agent_call(lambda: ctx.agent.grant(body.child, body.target, body.minutes, actor))
    return {**ctx.agent.status(), "granted": granted}


@router.post("/pause")
def pause(ctx: Ctx, body: PauseBody, actor: Parent) -> dict[str, Any]:
    """Pause a child's limits for the rest of today, or resume them."""
    agent_call(lambda: ctx.agent.pause(body.child, body.paused, actor))
    return ctx.agent.status()


@router.put("/children/{child}/limits/{key}")
def set_limit(ctx: Ctx, child: str, key: str, body: LimitBody, actor: Parent) -> dict[str, Any]:
    """Set or change one limit of a child (fields left out keep their value)."""
    kid = ctx.agent.config.child(child)
    base = kid.effective_limits().get(key) if kid is not None else None
    agent_call(lambda: ctx.agent.set_limit(child, key, body.spec(key, base), actor))
    return ctx.agent.status()


@router.delete("/children/{child}/limits/{key}")
def remove_limit(ctx: Ctx, child: str, key: str, actor: Parent) -> dict[str, Any]:
    """Remove one limit of a child."""
    agent_call(lambda: ctx.agent.set_limit(child, key, None, actor))
    return ctx.agent.status()


@router.post("/requests/{request_id}/answer")
def answer(
    ctx: Ctx,
    request_id: Annotated[int, PathParam(ge=1, le=2**63 - 1)],
    body: AnswerBody,
    actor: Parent,
) -> dict[str, Any]:
    """Approve (with minutes) or decline a child's request."""
    return dict(agent_call(lambda: ctx.agent.answer(request_id, body.approve, body.minutes, actor)))


@router.post("/reload")
def reload(ctx: Ctx, actor: Parent) -> dict[str, Any]:
    """Read the rules file again."""
    ctx.agent.reload()
    ctx.agent.log(EventKind.RELOAD, {}, actor)
    return ctx.agent.status()
