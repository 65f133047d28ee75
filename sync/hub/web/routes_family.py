"""Web pages for the family's children: today, requests, adjusting limits, the weekly report."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from sync.hub.aggregate import week_bounds
from sync.hub.core import HubDep
from sync.hub.errors import ApiError
from sync.hub.family_commands import queue_command
from sync.hub.schemas_commands import (
    AnswerRequestIn,
    CommandIn,
    GrantIn,
    PauseIn,
    SetHoursIn,
    SetLimitIn,
)
from sync.hub.web.guard import Call, FormDep, open_call
from sync.hub.web.pages import redirect
from sync.hub.web.views import (
    children_of,
    family_today,
    iso_week,
    requests_of,
    usage_ids,
    week_report,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_WEEK = re.compile(r"^\d{4}-W\d{2}$")


@router.get("/today")
def today(request: Request, hub: HubDep, form: FormDep) -> Response:
    """Each child across all devices: time used and left, running now, blocked, tamper signs."""
    call = open_call(request, hub, form)
    now = hub.now()
    with hub.db.begin() as s:
        children, devices = family_today(s, call.family_id, now, hub.settings.silent_after)
    return call.render("today.html", children=children, devices=devices, now=now,
                       push_key=hub.settings.push.public_key if hub.settings.push else "")


@router.get("/requests")
def requests_page(request: Request, hub: HubDep, form: FormDep) -> Response:
    """Open requests to approve or decline, and the latest answers."""
    call = open_call(request, hub, form)
    with hub.db.begin() as s:
        pending = requests_of(s, call.family_id, "open")
        answered = requests_of(s, call.family_id, "answered", limit=20)
    return call.render("requests.html", pending=pending, answered=answered)


def _minutes(call: Call, name: str, low: int = 1) -> int | None:
    text = call.get(name)
    if not text.isdigit() or not low <= int(text) <= 1440:
        return None
    return int(text)


@router.post("/requests/{request_id}/answer")
def answer(request_id: int, request: Request, hub: HubDep, form: FormDep) -> Response:
    """Approve (with minutes) or decline a child's request; the PC gets it on its next sync."""
    call = open_call(request, hub, form)
    approve = call.get("answer") == "approve"
    minutes = _minutes(call, "minutes") if approve and call.get("minutes") else None
    if approve and call.get("minutes") and minutes is None:
        return redirect("/requests", call._("Enter whole minutes from 1 to 1440."), error=True)
    if not 1 <= request_id <= 2**62:
        raise call.fail(404, call._("Not found"))
    try:
        with hub.db.begin() as s:
            assert call.parent is not None
            command = queue_command(s, hub, call.parent, AnswerRequestIn(
                type="answer_request", request_id=request_id, approve=approve, minutes=minutes))
            given = command.payload.get("minutes")
            child = command.payload["child"]
    except ApiError as exc:
        if exc.status_code == 404:
            raise call.fail(404, call._("Not found")) from None
        return redirect("/requests", call._("This request was answered already."), error=True)
    if approve:
        text = call._("Approved: {child} gets {minutes} more minutes on the next sync.").format(
            child=child, minutes=given)
    else:
        text = call._("Declined: {child} will see your answer on the next sync.").format(
            child=child)
    return redirect("/requests", text)


@router.get("/adjust")
def adjust(request: Request, hub: HubDep, form: FormDep, child: str = "") -> Response:
    """Forms to grant time, pause for today, change a daily limit or allowed hours."""
    call = open_call(request, hub, form)
    with hub.db.begin() as s:
        children = children_of(s, call.family_id)
        targets = usage_ids(s, call.family_id, hub.now().date() - timedelta(days=14))
    chosen = next((c for c in children if c.casefold() == child.casefold()), None)
    if chosen is None and child:
        raise call.fail(404, call._("Not found"))  # not a child of this family
    chosen = chosen or (children[0] if children else "")
    return call.render("adjust.html", children=children, chosen=chosen, targets=targets)


def _command(call: Call, kind: str) -> CommandIn | str:
    child = call.get("child")
    target = call.get("target") or "total"
    try:
        if kind == "grant":
            minutes = _minutes(call, "minutes")
            if minutes is None:
                return call._("Enter whole minutes from 1 to 1440.")
            return GrantIn(type="grant", child=child, target=target, minutes=minutes)
        if kind == "limit":
            daily = _minutes(call, "daily_minutes", low=0)
            if daily is None:
                return call._("Enter whole minutes from 0 to 1440.")
            return SetLimitIn(type="set_limit", child=child, key=target, daily_minutes=daily)
        if kind == "pause":
            return PauseIn(type="pause", child=child, paused=call.get("paused") != "no")
        windows = [w for w in re.split(r"[,\s]+", call.get("allowed")) if w]
        return SetHoursIn(type="set_hours", child=child, key=target, allowed=windows)
    except ValidationError:
        if kind == "hours":
            return call._("Write allowed hours as HH:MM-HH:MM, e.g. 16:00-20:00.")
        return call._("Check the child and the limit.")


@router.post("/adjust/{kind}")
def adjust_send(kind: str, request: Request, hub: HubDep, form: FormDep) -> Response:
    """Queue one change for the child on every device of the family."""
    call = open_call(request, hub, form)
    if kind not in ("grant", "limit", "pause", "hours"):
        raise call.fail(404, call._("Not found"))
    with hub.db.begin() as s:
        known = {c.casefold(): c for c in children_of(s, call.family_id)}
    child = known.get(call.get("child").casefold())
    back = f"/adjust?child={child}" if child else "/adjust"
    if child is None:
        raise call.fail(404, call._("Not found"))
    body = _command(call, kind)
    if isinstance(body, str):
        return redirect(back, body, error=True)
    with hub.db.begin() as s:
        assert call.parent is not None
        queue_command(s, hub, call.parent, body)
    texts = {
        "grant": call._("Sent: {child} gets bonus time on every computer at the next sync."),
        "limit": call._("Sent: the new daily limit reaches every computer at the next sync."),
        "pause": call._("Sent: the change reaches every computer at the next sync."),
        "hours": call._("Sent: the new allowed hours reach every computer at the next sync."),
    }
    return redirect(back, texts[kind].format(child=child))


@router.get("/report")
def report(request: Request, hub: HubDep, form: FormDep, week: str = "") -> Response:
    """The weekly report across devices: per child, per day, apps, categories, devices."""
    call = open_call(request, hub, form)
    current = iso_week(hub.now().date())
    if not (_WEEK.match(week) and "2000" <= week[:4] <= "2200"):
        week = current
    try:
        start, end = week_bounds(week)
    except ValueError:  # week 53 of a year that has 52
        week = current
        start, end = week_bounds(week)
    with hub.db.begin() as s:
        children = week_report(s, call.family_id, week)
    prev_week = iso_week(start - timedelta(days=7))
    next_week = iso_week(start + timedelta(days=7)) if week != current else None
    peak = max((d.total_seconds for c in children for d in c.days), default=0)
    return call.render("report.html", week=week, start=start, end=end, children=children,
                       prev_week=prev_week, next_week=next_week, peak=max(peak, 3600),
                       today=hub.now().date(), day_cls=date)
