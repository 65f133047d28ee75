"""Queueing parents' commands for a family's devices, and answering children's requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sync.hub.core import Hub
from sync.hub.db import lock_family
from sync.hub.errors import ApiError
from sync.hub.models import ChildRequest, Command, Parent
from sync.hub.schemas_commands import AnswerRequestIn, CommandIn
from sync.hub.store import family_device

__all__ = ["answer_request", "queue_command"]


def queue_command(s: Session, hub: Hub, parent: Parent, body: CommandIn) -> Command:
    """Store a command for the family's devices (or the one named); 404 for a stranger's ids."""
    now = hub.now()
    lock_family(s, parent.family_id)
    payload: dict[str, Any]
    if isinstance(body, AnswerRequestIn):
        request = answer_request(s, parent.family_id, body.request_id, body.approve,
                                 body.minutes, now)
        device_id: int | None = request.device_id
        payload = {"request_id": request.id, "client_request_id": request.client_request_id,
                   "approve": body.approve, "child": request.child, "target": request.target,
                   "minutes": request.answered_minutes}
        ttl = hub.settings.grant_ttl
    else:
        device_id = body.device_id
        if device_id is not None:
            family_device(s, parent.family_id, device_id)
        payload = body.model_dump(mode="json", exclude={"type", "device_id"})
        ttl = hub.settings.grant_ttl if body.type in ("grant", "pause") \
            else hub.settings.limit_ttl
    command = Command(family_id=parent.family_id, device_id=device_id, kind=body.type,
                      payload=payload, created_by=parent.id, created_at=now,
                      expires_at=now + ttl)
    s.add(command)
    s.flush()
    return command


def answer_request(s: Session, family_id: int, request_id: int, approve: bool,
                   minutes: int | None, now: datetime) -> ChildRequest:
    """Mark an open request approved (minutes: as asked by default) or denied."""
    request = s.get(ChildRequest, request_id)
    if request is None or request.family_id != family_id:
        raise ApiError(404, "request_not_found", f"no request {request_id}")
    if request.status != "open":
        raise ApiError(409, "request_answered",
                       f"request {request_id} was already {request.status}")
    request.status = "approved" if approve else "denied"
    request.answered_at = now
    request.answered_minutes = (minutes or request.minutes) if approve else None
    return request
