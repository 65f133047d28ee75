"""What sync does, for the status document, tray and dashboard: `sync_info(ledger)` (no secrets)."""

from __future__ import annotations

from typing import Any

from sync.state import MetaStore, SyncStore

__all__ = ["sync_info"]


def sync_info(ledger: MetaStore) -> dict[str, Any]:
    """{enabled, hub, shares, children, last_sent, pending_days, ...}: no token, no usage."""
    try:
        state = SyncStore(ledger).load()
    except (ValueError, TypeError, KeyError):
        return {"enabled": False, "hub": None, "shares": {}, "children": [], "last_sent": None,
                "pending_days": [], "last_error": "state_unreadable", "withdraw_pending": False,
                "consents": []}
    active = state.active_consents()
    hub = None
    if state.enabled or state.withdraw_pending:
        # Imported here: the transport loads `requests`, which an agent without sync skips.
        from sync.transport import shown_url

        hub = shown_url(state.hub)
    return {
        "enabled": state.enabled,
        "hub": hub,
        "shares": {c.child: list(c.shares) for c in active},
        "children": [c.child for c in active],
        "last_sent": state.last_sent,
        "pending_days": list(state.pending) if state.enabled else [],
        "last_error": state.last_error,
        "withdraw_pending": state.withdraw_pending,
        "consents": [
            {
                "child": c.child,
                "parent_name": c.parent_name,
                "parent_consented_at": c.parent_consented_at,
                "child_consented": c.child_consented,
                "child_consented_at": c.child_consented_at,
            }
            for c in active
        ],
    }
