"""One child's consent after pairing: record it on the hub, or withdraw it (retried until done)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import requests

from agent.i18n import _
from agent.ledger.store import Event
from sync.consent_records import SHARES_ALL, ChildInfo, make_consents
from sync.error_messages import error_text
from sync.pairing import EventSink, Secrets
from sync.state import (
    META_KEY,
    TOKEN_NAME,
    ChildConsent,
    MetaStore,
    SyncState,
    SyncStore,
    child_key,
)
from sync.transport import (
    DEFAULT_TIMEOUT,
    HubConnection,
    HubError,
    HubUnavailable,
    Unauthorized,
    new_session,
)

__all__ = [
    "PENDING_KEY",
    "NotPaired",
    "NothingToWithdraw",
    "child_consent",
    "find_child",
    "finish_child_withdrawals",
    "is_paired",
    "pending_withdrawals",
    "record_consent",
    "shared_text",
    "waiting_text",
    "withdraw_child",
    "withdrawals_waiting",
]

log = logging.getLogger("playclock.sync")

# Ledger meta key: per-child withdrawals whose deletion the hub has not confirmed yet. They
# live beside the sync state (not in it): the child's consent leaves the state at once.
PENDING_KEY = "sync_withdrawals"


class NotPaired(RuntimeError):
    """Sync is not on, or its device token is gone: there is no hub to tell."""


class NothingToWithdraw(LookupError):
    """The child has no consent in force and no withdrawal waiting."""


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def is_paired(state: SyncState) -> bool:
    """Whether sync is on with a hub (and no device withdrawal is under way)."""
    return state.enabled and bool(state.hub) and not state.withdraw_pending


def pending_withdrawals(meta: MetaStore, device_id: int | None = None) -> list[dict[str, Any]]:
    """Withdrawals the hub has not confirmed yet: all, or those of `device_id`."""
    items = [i for i in json.loads(meta.get_meta(PENDING_KEY) or "[]") if isinstance(i, dict)]
    if device_id is None:
        return items
    return [i for i in items if i.get("device_id") == device_id]


def withdrawals_waiting(meta: MetaStore) -> list[str]:
    """The children whose data the hub has not yet confirmed deleting (for the status)."""
    try:
        device_id = SyncState.from_json(meta.get_meta(META_KEY)).device_id
        return [str(i["child"]) for i in pending_withdrawals(meta, device_id)]
    except (ValueError, TypeError, KeyError):  # unreadable: the status says so already
        return []


def _save_pending(meta: MetaStore, items: list[dict[str, Any]]) -> None:
    meta.set_meta(PENDING_KEY, json.dumps(items, ensure_ascii=False, sort_keys=True))


def _log(events: EventSink, kind: str, detail: dict[str, Any], clock: Callable[[], dt.datetime],
         child: str | None = None, actor: str = "parent") -> None:
    events.add_event(Event(kind, clock(), child=child, detail=detail, actor=actor))


def find_child(children: Iterable[Any], name: str) -> ChildInfo | None:
    """The child of the rules (`rules.model.Child`s) with that name, matched without case."""
    for c in children:
        if child_key(c.name) == child_key(name):
            return ChildInfo(c.name, c.birth_year)
    return None


def waiting_text(child: str, error: str, withdrawing: bool) -> str:
    """Why a child's consent or withdrawal still waits for the hub, in words."""
    if error in ("unauthorized", "no_token"):
        return error_text(error)
    if withdrawing:
        return _("nothing more about {child} is sent; the hub's deletion of the data waits "
                 "({why}) and is asked for again until the hub confirms it").format(
                     child=child, why=error_text(error))
    return _("consent for {child} is recorded; it waits ({why}) and is sent to the hub at the "
             "next sync run").format(child=child, why=error_text(error))


def shared_text(consent: ChildConsent) -> str:
    """What a recorded consent shares from now on, in words."""
    line = (_("{child} is shared from now on, with the consent of {parent} and of {child}.")
            if consent.child_consented
            else _("{child} is shared from now on, with the consent of {parent}."))
    return "\n".join([line.format(child=consent.child, parent=consent.parent_name),
                      _("Summaries are sent every 5 minutes while the agent runs; "
                        "'playclock sync now' sends them at once.")])


def _token_missing(secrets: Secrets) -> bool:
    try:
        return not secrets.get(TOKEN_NAME)
    except Exception:  # the keyring cannot be opened now: the record waits for the job
        return False


def child_consent(
    child: ChildInfo, parent_name: str, child_agrees: bool, when: dt.datetime,
    shares: tuple[str, ...] = SHARES_ALL,
    *,
    messages: bool = False,
    child_messages: bool = False,
) -> ChildConsent:
    """One child's consent record; ConsentMissing when the parent's or the child's is missing.

    `messages`/`child_messages`: the parent's and the child's yes to sharing request words.
    """
    made = make_consents([child], parent_name, [child.name] if child_agrees else [], when,
                         shares, [child.name] if messages else [],
                         [child.name] if child_messages else [])
    return next(iter(made.values()))


def _revoked(state: SyncState, secrets: Secrets, events: EventSink,
             clock: Callable[[], dt.datetime]) -> None:
    """The hub no longer knows this device (and deleted all it sent): sync stops."""
    state.enabled = False
    try:
        secrets.delete(TOKEN_NAME)
    except Exception:  # the token is useless anyway; the state says sync is off
        log.warning("sync: could not delete the revoked token")
    _log(events, "sync_revoked", {"hub": state.hub}, clock, actor="sync")


def _connect(state: SyncState, secrets: Secrets,
             session: requests.Session, timeout: tuple[float, float]) -> HubConnection | str:
    """A connection with the device token, else an error code ("keyring", "no_token")."""
    try:
        token = secrets.get(TOKEN_NAME)
    except Exception:  # the keyring cannot be opened right now: the job tries again
        return "keyring"
    if not token or not state.hub:
        return "no_token"
    return HubConnection(state.hub, session, token=token, ca_bundle=state.ca_bundle,
                         timeout=timeout)


def finish_child_withdrawals(
    conn: HubConnection, store: SyncStore, state: SyncState
) -> dict[str, str]:
    """Ask the hub to delete each withdrawn child's data; child_key -> error of those left."""
    items = pending_withdrawals(store.ledger)
    if not items:
        return {}
    # Entries of an earlier pairing went with that device, deleted whole when it was withdrawn.
    todo = [i for i in items if i.get("device_id") == state.device_id]
    done: set[str] = set()
    errors: dict[str, str] = {}
    try:
        for item in todo:
            try:
                conn.call("DELETE", f"/v1/devices/me/consents/{item['consent_id']}")
            except (Unauthorized, HubUnavailable):
                raise
            except HubError as exc:
                if exc.status != 404:  # 404: never recorded, or deleted already
                    errors[child_key(item["child"])] = exc.code
                    continue
            done.add(item["consent_id"])
    except Unauthorized:
        done.update(i["consent_id"] for i in todo)  # removed from the hub with all it sent
        raise
    finally:
        _save_pending(store.ledger, [i for i in todo if i["consent_id"] not in done])
    return errors


def _put(conn: HubConnection, store: SyncStore, state: SyncState, consent: ChildConsent) -> None:
    try:
        conn.call("PUT", f"/v1/devices/me/consents/{consent.consent_id}", json=consent.hub_body())
    except HubError as exc:
        if exc.code != "consent_withdrawn":
            raise
        consent.consent_id = str(uuid.uuid4())  # a withdrawn id cannot be used again
        store.save(state)
        conn.call("PUT", f"/v1/devices/me/consents/{consent.consent_id}", json=consent.hub_body())


def record_consent(
    store: SyncStore,
    events: EventSink,
    secrets: Secrets,
    consent: ChildConsent,
    *,
    session_factory: Callable[[], requests.Session] = new_session,
    clock: Callable[[], dt.datetime] = _now,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> str | None:
    """Keep, log and PUT one child's consent: None once on the hub, else why it waits."""
    key = child_key(consent.child)
    with store.locked() as state:
        if not is_paired(state) or _token_missing(secrets):
            raise NotPaired(consent.child)
        before = state.consents.get(key)
        current = state.consent_for(consent.child)
        if current is not None:  # the hub keeps one active record per child: update it
            consent.consent_id = current.consent_id
            consent.sharing_since = current.sharing_since or current.parent_consented_at
        consent.recorded = False
        state.consents[key] = consent
        store.save(state)  # who, when, what: before anything leaves the machine
        detail = {k: v for k, v in consent.hub_body().items() if k != "consent_id"}
        _log(events, "sync_consent", detail, clock, consent.child)
        session = session_factory()
        try:
            conn = _connect(state, secrets, session, timeout)
            if isinstance(conn, str):
                return conn
            waiting = finish_child_withdrawals(conn, store, state)
            if key in waiting:  # the old record's deletion first; the job sends this one then
                return waiting[key]
            _put(conn, store, state, consent)
        except Unauthorized:
            _revoked(state, secrets, events, clock)
            return "unauthorized"
        except HubUnavailable as exc:
            return exc.code  # kept: the next sync run sends it
        except HubError:
            if before is None:
                state.consents.pop(key, None)
            else:
                state.consents[key] = before
            raise
        finally:
            session.close()
        consent.recorded = True
        store.save(state)
        return None


def withdraw_child(
    store: SyncStore,
    events: EventSink,
    secrets: Secrets,
    child: str,
    *,
    session_factory: Callable[[], requests.Session] = new_session,
    clock: Callable[[], dt.datetime] = _now,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    actor: str = "parent",
) -> str | None:
    """Stop sending one child's data at once, and DELETE it on the hub (else the job retries)."""
    key = child_key(child)
    with store.locked() as state:
        if not is_paired(state):
            raise NotPaired(child)
        consent = state.consent_for(child)
        if consent is not None:
            del state.consents[key]
            state.days = {k: v for k, v in state.days.items() if k.rsplit("|", 1)[0] != key}
            state.clean.pop(key, None)
            items = pending_withdrawals(store.ledger)
            items.append({"consent_id": consent.consent_id, "child": consent.child,
                          "device_id": state.device_id,
                          "at": clock().isoformat(timespec="seconds")})
            _save_pending(store.ledger, items)
            store.save(state)
            _log(events, "sync_consent_withdrawn", {"child": consent.child, "by": actor},
                 clock, consent.child, actor)
        elif not any(child_key(i["child"]) == key
                     for i in pending_withdrawals(store.ledger, state.device_id)):
            raise NothingToWithdraw(child)
        session = session_factory()
        try:
            conn = _connect(state, secrets, session, timeout)
            if isinstance(conn, str):
                return conn
            errors = finish_child_withdrawals(conn, store, state)
        except Unauthorized:
            _revoked(state, secrets, events, clock)
            return "unauthorized"
        except HubUnavailable as exc:
            return exc.code
        finally:
            session.close()
        return errors.get(key)
