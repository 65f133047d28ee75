"""Parent-facing family endpoints: a child's day and week, the weekly report, commands, requests."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from sync.hub.aggregate import child_day, child_week, family_report, week_bounds
from sync.hub.core import HubDep, ParentAuth
from sync.hub.errors import responses
from sync.hub.family_commands import queue_command
from sync.hub.fields import ChildName, IsoDay, IsoWeek, child_key
from sync.hub.models import ChildRequest, Command, CommandAck, DaySummary
from sync.hub.schemas import ChildDayOut, ChildWeekOut, ReportOut
from sync.hub.schemas_commands import (
    CommandIn,
    CommandOut,
    CommandsOut,
    RequestsOut,
)
from sync.hub.store import command_out, device_names, request_out

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["family"])

ChildPath = Annotated[ChildName, Path(description="the child's name (case-insensitive)")]


@router.get("/children/{child}/days/{day}", responses=responses(401, 422))
def get_child_day(child: ChildPath, day: Annotated[IsoDay, Path()], creds: ParentAuth,
                  hub: HubDep) -> ChildDayOut:
    """A child's day summed across the family's devices (zeros when nothing was uploaded)."""
    with hub.db.begin() as s:
        family_id = hub.parent(s, creds).family_id
        rows = s.execute(select(DaySummary).where(
            DaySummary.family_id == family_id, DaySummary.child_key == child_key(child),
            DaySummary.day == day)).scalars().all()
        return child_day(child, day, list(rows), device_names(s, family_id))


@router.get("/children/{child}/weeks/{week}", responses=responses(401, 422))
def get_child_week(child: ChildPath, week: Annotated[IsoWeek, Path(examples=["2026-W48"])],
                   creds: ParentAuth, hub: HubDep) -> ChildWeekOut:
    """A child's ISO week (Monday to Sunday) summed across devices."""
    start, end = week_bounds(week)
    with hub.db.begin() as s:
        family_id = hub.parent(s, creds).family_id
        rows = s.execute(select(DaySummary).where(
            DaySummary.family_id == family_id, DaySummary.child_key == child_key(child),
            DaySummary.day >= start, DaySummary.day <= end)).scalars().all()
        return child_week(child, week, list(rows), device_names(s, family_id))


@router.get("/report", responses=responses(401, 422))
def get_report(week: Annotated[IsoWeek, Query(examples=["2026-W48"])], creds: ParentAuth,
               hub: HubDep) -> ReportOut:
    """The family's weekly report: every child with data that week, across devices."""
    start, end = week_bounds(week)
    with hub.db.begin() as s:
        family_id = hub.parent(s, creds).family_id
        rows = s.execute(select(DaySummary).where(
            DaySummary.family_id == family_id, DaySummary.day >= start,
            DaySummary.day <= end)).scalars().all()
        return family_report(week, list(rows), device_names(s, family_id))


@router.post("/commands", status_code=201, responses=responses(401, 404, 409, 422))
def create_command(body: CommandIn, creds: ParentAuth, hub: HubDep) -> CommandOut:
    """Queue a grant, a limit change or an answer to a child's request for the devices."""
    with hub.db.begin() as s:
        command = queue_command(s, hub, hub.parent(s, creds), body)
        return command_out(command)


@router.get("/commands", responses=responses(401, 422))
def list_commands(
    creds: ParentAuth,
    hub: HubDep,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CommandsOut:
    """The family's commands with each device's acknowledgement, oldest first."""
    with hub.db.begin() as s:
        family_id = hub.parent(s, creds).family_id
        rows = s.execute(select(Command).where(Command.family_id == family_id,
                                               Command.id > after)
                         .order_by(Command.id).limit(limit)).scalars().all()
        acks: dict[int, list[CommandAck]] = {}
        if rows:
            for ack in s.execute(select(CommandAck).where(
                    CommandAck.command_id.in_([r.id for r in rows]))
                    .order_by(CommandAck.device_id)).scalars():
                acks.setdefault(ack.command_id, []).append(ack)
        return CommandsOut(commands=[command_out(r, acks.get(r.id)) for r in rows],
                           next_after=rows[-1].id if rows else after)


@router.get("/requests", responses=responses(401, 422))
def list_requests(
    creds: ParentAuth,
    hub: HubDep,
    status: Literal["open", "approved", "denied", "all"] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> RequestsOut:
    """Children's requests for more time, newest first (default: the open ones)."""
    with hub.db.begin() as s:
        family_id = hub.parent(s, creds).family_id
        query = select(ChildRequest).where(ChildRequest.family_id == family_id)
        if status != "all":
            query = query.where(ChildRequest.status == status)
        rows = s.execute(query.order_by(ChildRequest.id.desc()).limit(limit)).scalars().all()
        return RequestsOut(requests=[request_out(r) for r in rows])
