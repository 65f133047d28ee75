"""Sync's messages for people: error codes (as kept in the state and reports) in words."""

from __future__ import annotations

from agent.i18n import _

__all__ = ["error_text"]


def error_text(code: str | None) -> str:
    """A sentence for an error code; the code itself when it is not one of ours."""
    if not code:
        return ""
    texts = {
        "hub_unreachable": _("the hub could not be reached; sync tries again later"),
        "tls_error": _("the hub's TLS certificate could not be verified"),
        "unauthorized": _(
            "the hub no longer knows this computer; sync is off (pair again to turn it on)"
        ),
        "not_paired": _("this computer is not paired with a hub"),
        "no_token": _(
            "the hub's key for this computer is missing; a parent can remove the computer "
            "on the hub"
        ),
        "keyring": _("the keyring holding the hub's key could not be used"),
        "consent_withdrawn": _("consent was withdrawn on the hub"),
        "rate_limited": _("the hub asked to wait; sync tries again later"),
        "internal_error": _("the hub failed; sync tries again later"),
        "database_unavailable": _("the hub's database is down; sync tries again later"),
        "bad_response": _("the hub sent an answer PlayClock does not understand"),
        "state_unreadable": _("the sync settings could not be read"),
    }
    return texts.get(code, _("the hub refused: {code}").format(code=code))
