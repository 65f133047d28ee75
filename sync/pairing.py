"""Pairing (consent first, then the hub, then the token into the SecretStore) and withdrawal."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Protocol

import requests

from agent.i18n import _
from agent.ledger.store import Event, EventKind
from sync.state import TOKEN_NAME, ChildConsent, SyncState, SyncStore
from sync.transport import (
    DEFAULT_TIMEOUT,
    HubConnection,
    HubError,
    Unauthorized,
    check_url,
    new_session,
    pairing_session,
)

__all__ = [
    "AlreadyPaired",
    "EventSink",
    "PairResult",
    "Secrets",
    "finish_withdrawal",
    "pair",
    "withdraw",
]

log = logging.getLogger("playclock.sync")


class Secrets(Protocol):
    """Named secrets (agent.security.secret_store.SecretStore fits)."""

    def get(self, name: str) -> str | None:
        """The secret, or None."""

    def set(self, name: str, value: str) -> None:
        """Store or replace a secret."""

    def delete(self, name: str) -> None:
        """Remove a secret (nothing happens when there is none)."""


class EventSink(Protocol):
    """Where consent and pairing are recorded."""

    def add_event(self, event: Event) -> int:
        """Log an event."""


class AlreadyPaired(RuntimeError):
    """Sync is on (or a withdrawal is unfinished): withdraw before pairing again."""


@dataclass(frozen=True)
class PairResult:
    """The paired device."""

    device_id: int
    family_id: int
    children: list[str]


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def _record(events: EventSink, kind: str, detail: dict[str, Any], actor: str,
            clock: Callable[[], dt.datetime], child: str | None = None) -> None:
    events.add_event(Event(kind, clock(), child=child, detail=detail, actor=actor))


def _reset(state: SyncState, fresh: SyncState) -> None:
    for f in fields(SyncState):
        setattr(state, f.name, getattr(fresh, f.name))


def pair(
    store: SyncStore,
    events: EventSink,
    secrets: Secrets,
    url: str,
    code: str,
    consents: dict[str, ChildConsent],
    *,
    device_name: str,
    ca_bundle: str | None = None,
    session_factory: Callable[[], requests.Session] = pairing_session,
    clock: Callable[[], dt.datetime] = _now,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> PairResult:
    """Record the consents locally, pair with the hub, keep the token, and turn sync on."""
    base = check_url(url)
    if not consents:
        raise ValueError(_("there is no child to share"))
    with store.locked() as state:
        if state.enabled or state.withdraw_pending:
            raise AlreadyPaired(
                _("this computer is already paired; run 'playclock sync withdraw' first")
            )
        _reset(state, SyncState(hub=base, ca_bundle=ca_bundle, consents=consents))
        store.save(state)
        for c in consents.values():  # who, when, what: before anything leaves the machine
            detail = {k: v for k, v in c.hub_body().items() if k != "consent_id"}
            _record(events, EventKind.SYNC_CONSENT, detail, "parent", clock, c.child)
        session = session_factory()
        try:
            conn = HubConnection(base, session, ca_bundle=ca_bundle, timeout=timeout)
            out = conn.json("POST", "/v1/devices/pair", json={
                "code": code, "device_name": device_name,
                "consents": [c.hub_body() for c in consents.values()],
            })
            token = str(out["device_token"])
            try:
                secrets.set(TOKEN_NAME, token)
            except Exception:
                conn.token = token  # the token cannot be kept: undo the pairing on the hub
                try:
                    conn.call("DELETE", "/v1/devices/me")
                except HubError:
                    log.warning("sync: could not undo the pairing on the hub")
                raise
        except BaseException:
            _reset(state, SyncState())  # not paired: no consent record stays in force
            raise
        finally:
            session.close()
        state.enabled = True
        state.device_id = int(out["device_id"])
        state.device_name = device_name
        state.paired_at = clock().isoformat(timespec="seconds")
        for c in consents.values():
            c.recorded = True
        _record(events, EventKind.SYNC_PAIRED, {"device_id": state.device_id,
                                        "children": [c.child for c in consents.values()]},
                "parent", clock)
        return PairResult(state.device_id, int(out["family_id"]),
                          [c.child for c in consents.values()])


def finish_withdrawal(
    state: SyncState,
    secrets: Secrets,
    session_factory: Callable[[], requests.Session] = new_session,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> str | None:
    """Ask the hub to delete this device's data; None once done, else an error code."""
    token = secrets.get(TOKEN_NAME)
    if token and state.hub:
        session = session_factory()
        try:
            conn = HubConnection(state.hub, session, token=token, ca_bundle=state.ca_bundle,
                                 timeout=timeout)
            conn.call("DELETE", "/v1/devices/me")
        except Unauthorized:
            pass  # already removed (by a parent, or an earlier try whose answer was lost)
        except HubError as exc:
            if exc.status != 404:
                return exc.code
        finally:
            session.close()
    secrets.delete(TOKEN_NAME)
    state.withdraw_pending = False
    state.device_id = None
    return None if token else "no_token"


def withdraw(
    store: SyncStore,
    events: EventSink,
    secrets: Secrets,
    *,
    session_factory: Callable[[], requests.Session] = new_session,
    clock: Callable[[], dt.datetime] = _now,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    actor: str = "parent",
) -> str | None:
    """Stop sync at once and have the hub delete the device's data (retried by the job)."""
    with store.locked() as state:
        stamp = clock().isoformat(timespec="seconds")
        children = [c.child for c in state.active_consents()]
        for c in state.active_consents():
            c.withdrawn_at = stamp
        state.enabled = False
        state.withdraw_pending = True
        state.days, state.clean, state.pending = {}, {}, []
        store.save(state)
        _record(events, EventKind.SYNC_WITHDRAWN, {"children": children}, actor, clock)
        error = finish_withdrawal(state, secrets, session_factory, timeout)
        state.last_error = error if error != "no_token" else None
        return error
