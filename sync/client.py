"""The sync client: push each day's summaries, pull parent commands, forward children's requests."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from agent.ledger.store import Event, EventKind, Ledger
from rules.timeutil import day_of
from sync.consent_flow import finish_child_withdrawals, pending_withdrawals
from sync.consent_records import MESSAGES, consent_still_valid, message_text
from sync.pairing import Secrets, finish_withdrawal
from sync.remote_commands import AgentActions, apply_command
from sync.state import TOKEN_NAME, ChildConsent, SyncState, SyncStore, child_key, day_key
from sync.summary import day_summaries, empty_summary, summary_hash
from sync.transport import (
    DEFAULT_TIMEOUT,
    HubConnection,
    HubError,
    HubUnavailable,
    Unauthorized,
    new_session,
    path_part,
)

__all__ = ["KEEP_DAYS", "WINDOW_DAYS", "SyncClient", "SyncReport"]

log = logging.getLogger("playclock.sync")

WINDOW_DAYS = 60  # days further back than this are not sent any more
CLOSED_AFTER = 2  # days older than this are "closed": re-read only while not yet in sync
KEEP_DAYS = 40  # command and request notes are kept this long (commands expire in 30)
_PAGE = 100


@dataclass
class SyncReport:
    """What one run did."""

    skipped: str | None = None  # "disabled" or "no_consent": nothing was sent
    sent: list[tuple[str, str]] = field(default_factory=list)  # (child, day) now on the hub
    unchanged: int = 0
    pending: list[tuple[str, str]] = field(default_factory=list)  # (child, day) still to send
    applied: list[int] = field(default_factory=list)  # command ids
    rejected: list[int] = field(default_factory=list)
    forwarded: list[int] = field(default_factory=list)  # local request ids
    notes: list[str] = field(default_factory=list)  # e.g. "child_consent_needed:An"
    error: str | None = None  # a stable code (see sync.texts)
    detail: str | None = None
    checked: bool = False  # the days were compared with what the hub holds

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return self.error is None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "ok": self.ok,
            "skipped": self.skipped,
            "sent": [list(x) for x in self.sent],
            "unchanged": self.unchanged,
            "pending": [list(x) for x in self.pending],
            "applied": self.applied,
            "rejected": self.rejected,
            "forwarded": self.forwarded,
            "notes": self.notes,
            "error": self.error,
            "detail": self.detail,
        }


def _local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def _day_seconds(value: float | None) -> int | None:
    return None if value is None else max(0, min(86_400, int(value)))


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass
class _Plan:
    consent: ChildConsent
    start: dt.date
    days: list[tuple[dt.date, dict[str, Any], str]]  # (day, summary, hash) to send
    done: set[dt.date] = field(default_factory=set)
    stopped: bool = False


class SyncClient:
    """One device's sync with its hub; `run_once()` is the whole job (safe to call any time)."""

    def __init__(
        self,
        store: SyncStore,
        ledger: Ledger,
        secrets: Secrets,
        actions: AgentActions | None,
        session_factory: Callable[[], requests.Session] = new_session,
        clock: Callable[[], dt.datetime] = _local_now,
        *,
        day_starts: int = 0,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        window_days: int = WINDOW_DAYS,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.secrets = secrets
        self.actions = actions  # None: commands are left on the hub for the agent to apply
        self.session_factory = session_factory
        self.clock = clock
        self.day_starts = day_starts
        self.timeout = timeout
        self.window_days = window_days
        self.hub_takes_status = True  # False once the hub refused `limits`/`running` (older hub)

    def today(self) -> dt.date:
        """The budget day now, as the agent counts it."""
        starts = self.actions.config.settings.day_starts if self.actions else self.day_starts
        return day_of(self.clock(), starts)

    def _log(self, kind: str, detail: dict[str, Any]) -> None:
        if self.actions is not None:
            self.actions.log(kind, detail, "sync")
        else:
            self.ledger.add_event(Event(kind, self.clock(), detail=detail, actor="sync"))

    # -- the run -----------------------------------------------------------------------

    def run_once(self) -> SyncReport:
        """Push, pull and forward once; never sends anything without `enabled` and a consent."""
        report = SyncReport()
        with self.store.locked() as state:
            if state.withdraw_pending:  # ask the hub again to delete what this device sent
                report.skipped = "disabled"
                try:
                    report.error = finish_withdrawal(
                        state, self.secrets, self.session_factory, self.timeout
                    )
                except Exception as exc:  # the keyring cannot be opened right now
                    report.error, report.detail = "keyring", str(exc)
                state.last_error = report.error
                return report
            if not state.enabled or not state.hub:
                report.skipped = "disabled"
                return report
            now = self.clock()
            # A child whose withdrawal the hub has not confirmed: nothing until it has.
            waiting = {child_key(i["child"])
                       for i in pending_withdrawals(self.store.ledger, state.device_id)}
            consents = []
            for c in state.active_consents():
                if child_key(c.child) in waiting:
                    continue
                if consent_still_valid(c, now):
                    consents.append(c)
                else:
                    report.notes.append(f"child_consent_needed:{c.child}")
            if not consents and not waiting:
                report.skipped = "no_consent"
                return report
            self._run(state, consents, report)
            state.last_attempt = now.isoformat(timespec="seconds")
            state.last_error = report.error
            if report.checked:
                state.pending = sorted({day for _child, day in report.pending})
        return report

    def _run(self, state: SyncState, consents: list[ChildConsent], report: SyncReport) -> None:
        try:
            token = self.secrets.get(TOKEN_NAME)
        except Exception as exc:  # SecretStoreError, or a keyring that cannot open here
            report.error, report.detail = "keyring", str(exc)
            return
        if not token:
            report.error = "not_paired"
            return
        assert state.hub is not None
        session = self.session_factory()
        conn = HubConnection(
            state.hub, session, token=token, ca_bundle=state.ca_bundle, timeout=self.timeout
        )
        try:
            for child, code in finish_child_withdrawals(conn, self.store, state).items():
                report.error, report.detail = code, f"withdrawal for {child}"
            for c in [c for c in consents if not c.recorded]:
                if not self._record_consent(conn, state, c, report):
                    consents.remove(c)
            self._push(conn, state, consents, report)
            if self.actions is not None:
                self._pull(conn, state, report)
                if report.applied and self.hub_takes_status:
                    self._push_again(conn, state, consents, report)
            self._forward(conn, state, consents, report)
        except Unauthorized as exc:
            self._revoked(state, report, exc)
        except HubUnavailable as exc:
            report.error, report.detail = exc.code, str(exc) or None
            log.warning("sync: hub unavailable (%s)", exc.code)
        finally:
            session.close()
            self._prune(state)

    def _revoked(self, state: SyncState, report: SyncReport, exc: HubError) -> None:
        """The hub no longer knows this device: stop, forget the token, say so."""
        state.enabled = False
        report.error, report.detail = "unauthorized", str(exc) or None
        try:
            self.secrets.delete(TOKEN_NAME)
        except Exception:  # the token is useless anyway; the state says sync is off
            log.warning("sync: could not delete the revoked token")
        self._log(EventKind.SYNC_REVOKED, {"hub": state.hub})

    def _record_consent(
        self, conn: HubConnection, state: SyncState, c: ChildConsent, report: SyncReport
    ) -> bool:
        """PUT a consent the hub does not have yet (or has an older version of)."""
        try:
            conn.call("PUT", f"/v1/devices/me/consents/{c.consent_id}", json=c.hub_body())
        except (Unauthorized, HubUnavailable):
            raise
        except HubError as exc:
            report.error, report.detail = exc.code, f"{c.child}: {exc}"
            if exc.code == "consent_withdrawn":
                self._withdrawn_on_hub(state, c)
            return False
        c.recorded = True
        self.store.save(state)
        return True

    def _withdrawn_on_hub(self, state: SyncState, c: ChildConsent) -> None:
        c.withdrawn_at = self.clock().isoformat(timespec="seconds")
        self.store.save(state)
        self._log(EventKind.SYNC_CONSENT_WITHDRAWN, {"child": c.child, "by": "hub"})

    # -- push --------------------------------------------------------------------------

    def _plan(self, state: SyncState, c: ChildConsent, today: dt.date, report: SyncReport) -> _Plan:
        """The days of one child whose summary is not on the hub as it is now."""
        oldest = today - dt.timedelta(days=self.window_days - 1)
        start = max(oldest, day_of(c.consented_at, self.day_starts_now()))
        clean = state.clean.get(child_key(c.child))
        if clean:
            start = max(start, dt.date.fromisoformat(clean) + dt.timedelta(days=1))
        start = min(start, today)
        summaries = day_summaries(self.ledger, c.child, start, today, c.shares)
        plan = _Plan(c, start, [])
        for day in _days(start, today):
            summary = summaries.get(day)
            mark = state.days.get(day_key(c.child, day))
            if summary is None:
                if mark is None or mark.rev == 0:
                    continue  # nothing now, nothing ever sent
                summary = empty_summary()
            if day == today and summaries.get(day) is not None and self.hub_takes_status:
                summary = {**summary, **self._status_now(c)}
            digest = summary_hash(summary, c.consent_id)
            if mark is not None and mark.rev > 0 and mark.acked == mark.rev and mark.hash == digest:
                report.unchanged += 1
                continue
            plan.days.append((day, summary, digest))
        return plan

    def _status_now(self, c: ChildConsent) -> dict[str, Any]:
        """Today's limits and running apps of a child from the agent, within the consent."""
        statuses = getattr(self.actions, "statuses", None) or ()
        status = next((st for st in statuses if child_key(st.name) == child_key(c.child)), None)
        if status is None:
            return {}
        allowed = {"total", "screen"}
        if "apps" in c.shares:
            allowed.add("app")
        if "categories" in c.shares:
            allowed.add("category")
        limits = [{"key": lim.id, "kind": lim.kind, "used_seconds": _day_seconds(lim.used_seconds),
                   "limit_seconds": _day_seconds(lim.limit_seconds),
                   "bonus_seconds": max(0, min(7 * 86_400, lim.bonus_seconds)),
                   "left_seconds": _day_seconds(lim.left_seconds), "state": lim.state,
                   "reason": lim.reason}
                  for lim in status.limits if lim.kind in allowed]
        out: dict[str, Any] = {"limits": limits[:50]}
        if "apps" in c.shares:
            out["running"] = sorted(status.running)[:20]
        return out

    def day_starts_now(self) -> int:
        """Minutes after midnight at which budget days start."""
        return self.actions.config.settings.day_starts if self.actions else self.day_starts

    def _push(
        self, conn: HubConnection, state: SyncState, consents: list[ChildConsent],
        report: SyncReport,
    ) -> None:
        today = self.today()
        plans = [self._plan(state, c, today, report) for c in consents]
        try:
            for plan in plans:
                for day, summary, digest in plan.days:
                    if plan.stopped:
                        break
                    if self._send_day(conn, state, plan, day, summary, digest, report):
                        plan.done.add(day)
                        report.sent.append((plan.consent.child, day.isoformat()))
        finally:
            for plan in plans:
                self._settle(state, plan, today, report)
            report.checked = True

    def _push_again(
        self, conn: HubConnection, state: SyncState, consents: list[ChildConsent],
        report: SyncReport,
    ) -> None:
        """After commands took effect: today's summary again, so parents see the new limits."""
        again = SyncReport()
        self._push(conn, state, consents, again)
        report.sent += [sent for sent in again.sent if sent not in report.sent]
        report.pending = again.pending  # the later view of what is still to send
        if again.error:
            report.error, report.detail = again.error, again.detail

    def _send_day(
        self, conn: HubConnection, state: SyncState, plan: _Plan, day: dt.date,
        summary: dict[str, Any], digest: str, report: SyncReport,
    ) -> bool:
        """Upload one day; True once the hub holds exactly this content."""
        c = plan.consent
        mark = state.mark(c.child, day)
        if not (mark.sent == digest and mark.rev > mark.acked):
            mark.rev += 1  # new content: a new revision, stored before it is ever sent
            mark.sent = digest
            self.store.save(state)
        path = f"/v1/devices/me/days/{path_part(c.child)}/{day.isoformat()}"
        for _attempt in range(3):
            body = {"revision": mark.rev, "consent_id": c.consent_id, **summary}
            try:
                out = conn.json("PUT", path, json=body)
            except (Unauthorized, HubUnavailable):
                raise
            except HubError as exc:
                if exc.code == "validation_error" and "limits" in body and self.hub_takes_status:
                    # A hub from before limits were shared refuses the fields: send without.
                    self.hub_takes_status = False
                    summary = {k: v for k, v in summary.items() if k not in ("limits", "running")}
                    continue
                return self._day_refused(conn, state, plan, exc, report)
            stored = int(out["stored_revision"])
            if stored == mark.rev and int(out["total_seconds"]) == summary["total_seconds"]:
                mark.acked, mark.hash = mark.rev, digest
                state.last_sent = self.clock().isoformat(timespec="seconds")
                self.store.save(state)
                return True
            # The hub holds a newer revision (a ledger restored from a backup): go past it.
            mark.rev = max(mark.rev, stored) + 1
            mark.sent = digest
            self.store.save(state)
        return False

    def _day_refused(
        self, conn: HubConnection, state: SyncState, plan: _Plan, exc: HubError,
        report: SyncReport,
    ) -> bool:
        c = plan.consent
        report.error, report.detail = exc.code, f"{c.child}: {exc}"
        if exc.code == "consent_withdrawn":
            self._withdrawn_on_hub(state, c)
            plan.stopped = True
        elif exc.code == "consent_required":
            c.recorded = False  # the hub lost it: record it again, and send next run
            plan.stopped = not self._record_consent(conn, state, c, report)
        return False

    def _settle(self, state: SyncState, plan: _Plan, today: dt.date, report: SyncReport) -> None:
        """Note what is still pending, and how far back every day is known to be in sync."""
        waiting = {day for day, _s, _h in plan.days if day not in plan.done}
        report.pending.extend((plan.consent.child, d.isoformat()) for d in sorted(waiting))
        closed = today - dt.timedelta(days=CLOSED_AFTER)
        clean: dt.date | None = None
        for day in _days(plan.start, closed) if plan.start <= closed else []:
            if day in waiting:
                break
            clean = day
        if clean is not None:
            state.clean[child_key(plan.consent.child)] = clean.isoformat()

    # -- pull --------------------------------------------------------------------------

    def _pull(self, conn: HubConnection, state: SyncState, report: SyncReport) -> None:
        """Apply the parent's unacknowledged commands once each, then acknowledge them."""
        assert self.actions is not None
        today = self.today()
        after = 0
        while True:
            page = conn.json("GET", "/v1/devices/me/commands",
                             params={"after": after, "limit": _PAGE})
            commands = list(page.get("commands", []))
            for command in commands:
                self._handle(conn, state, command, today, report)
            if len(commands) < _PAGE:
                return
            after = int(page["next_after"])

    def _handle(
        self, conn: HubConnection, state: SyncState, command: dict[str, Any], today: dt.date,
        report: SyncReport,
    ) -> None:
        cid = str(command["id"])
        note = state.commands.get(cid)
        if note is None:
            assert self.actions is not None
            outcome = apply_command(self.actions, self.ledger, state, command, today,
                                    self.clock())
            if outcome is None:
                return  # not yet: it stays on the hub
            note = {"status": outcome, "at": self.clock().isoformat(timespec="seconds")}
            state.commands[cid] = note
            state.last_command_id = max(state.last_command_id, int(cid))
            self.store.save(state)
        try:
            conn.call("POST", f"/v1/devices/me/commands/{cid}/ack",
                      json={"status": note["status"]})
        except (Unauthorized, HubUnavailable):
            raise
        except HubError as exc:
            report.detail = f"command {cid}: {exc}"
            return
        (report.applied if note["status"] == "applied" else report.rejected).append(int(cid))

    # -- forward -----------------------------------------------------------------------

    def _forward(
        self, conn: HubConnection, state: SyncState, consents: list[ChildConsent],
        report: SyncReport,
    ) -> None:
        """Send children's pending requests for more time to the hub (once each)."""
        sent = {int(v["local"]) for v in state.requests.values()}
        by_child = {child_key(c.child): c for c in consents if c.active}
        for req in reversed(self.ledger.requests("pending")):
            c = by_child.get(child_key(req.child))
            if req.id in sent or c is None or req.ts < c.consented_at:
                continue
            client_id = f"r{req.id}-{int(req.ts.timestamp())}"
            body: dict[str, Any] = {"client_request_id": client_id, "child": c.child,
                                    "target": "total", "minutes": max(1, min(1440, req.minutes))}
            # The child's words leave this computer only under their own share (off unless
            # the parent, and the child from 7, agreed to it).
            words = message_text(req.message) if MESSAGES in c.shares else None
            if words:
                body["message"] = words
            try:
                out = conn.json("POST", "/v1/devices/me/requests", json=body)
            except (Unauthorized, HubUnavailable):
                raise
            except HubError as exc:
                report.error, report.detail = exc.code, f"request {req.id}: {exc}"
                continue
            state.requests[client_id] = {
                "local": req.id, "hub": int(out["id"]),
                "at": self.clock().isoformat(timespec="seconds"),
            }
            self.store.save(state)
            report.forwarded.append(req.id)

    def waiting_for_answer(self, within: dt.timedelta = dt.timedelta(hours=12)) -> bool:
        """Whether sync is on and a child's request (of the last `within`) waits for a parent."""
        state = self.store.load()
        if not state.enabled or not state.hub:
            return False
        since = self.clock() - within
        return any(r.ts >= since for r in self.ledger.requests("pending"))

    def _prune(self, state: SyncState) -> None:
        """Forget marks older than the window and notes older than KEEP_DAYS."""
        today = self.today()
        oldest = (today - dt.timedelta(days=self.window_days + CLOSED_AFTER)).isoformat()
        state.days = {k: v for k, v in state.days.items() if k.rsplit("|", 1)[1] >= oldest}
        cutoff = (self.clock() - dt.timedelta(days=KEEP_DAYS)).isoformat()
        state.commands = {k: v for k, v in state.commands.items() if v.get("at", "") >= cutoff}
        pending = {r.id for r in self.ledger.requests("pending")}
        state.requests = {
            k: v for k, v in state.requests.items()
            if int(v["local"]) in pending or str(v.get("at", "")) >= cutoff
        }
