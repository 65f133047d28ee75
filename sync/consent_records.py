"""Consent rules (PDPL 91/2025 Art. 24): the parent's, and the child's too from age 7."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from agent.i18n import _
from sync.state import ChildConsent, child_key

__all__ = [
    "CHILD_CONSENT_AGE",
    "MESSAGES",
    "MESSAGE_MAX",
    "SHARES_ALL",
    "ChildInfo",
    "ConsentMissing",
    "consent_still_valid",
    "make_consents",
    "message_text",
    "needs_child_consent",
    "share_labels",
]

CHILD_CONSENT_AGE = 7
SHARES_ALL = ("total", "apps", "categories", "counts")
# The words of a child's requests for more time: free text, so its own share, off unless the
# parent (and the child from 7) agree to it in particular.
MESSAGES = "messages"
MESSAGE_MAX = 200


class ConsentMissing(ValueError):
    """A consent that the law asks for was not given; nothing may be shared."""

    def __init__(self, children: list[str], message: str) -> None:
        super().__init__(message)
        self.children = children


@dataclass(frozen=True)
class ChildInfo:
    """A child as the rules know them."""

    name: str
    birth_year: int | None = None


def needs_child_consent(birth_year: int | None, when: dt.datetime) -> bool:
    """Whether the child must agree too: 7 or older in that year, or of unknown age."""
    return birth_year is None or when.year - birth_year >= CHILD_CONSENT_AGE


def consent_still_valid(consent: ChildConsent, now: dt.datetime) -> bool:
    """False once a child who did not agree (being under 7) has turned 7."""
    return consent.child_consented or not needs_child_consent(consent.birth_year, now)


def make_consents(
    children: Iterable[ChildInfo],
    parent_name: str,
    child_agreed: Iterable[str],
    when: dt.datetime,
    shares: Iterable[str] = SHARES_ALL,
    messages: Iterable[str] = (),
    child_messages: Iterable[str] = (),
) -> dict[str, ChildConsent]:
    """One consent record per child; ConsentMissing naming those who still must agree.

    `messages` names the children whose request messages the parent agrees to share and
    `child_messages` those who agreed to it themselves: a child's messages are shared only
    with the parent's yes and, from 7 (or of unknown age), the child's own yes too.
    """
    parent = parent_name.strip()
    if not parent:
        raise ConsentMissing([], _("a parent or guardian must give consent: name them"))
    if when.tzinfo is None:
        raise ValueError("consent times must carry a time zone")
    given = list(child_agreed)
    agreed = {child_key(n) for n in given}
    kids = list(children)
    known = {child_key(c.name) for c in kids}
    unknown = [n for n in given if child_key(n) not in known]
    if unknown:
        raise ConsentMissing(
            unknown, _("no child named {names} in the rules").format(names=", ".join(unknown))
        )
    missing = [
        c.name
        for c in kids
        if needs_child_consent(c.birth_year, when) and child_key(c.name) not in agreed
    ]
    if missing:
        raise ConsentMissing(
            missing,
            _(
                "{names} must agree too (children aged 7 or more, or of unknown age): "
                "ask them, then give --child-consent NAME for each. Nothing was shared."
            ).format(names=", ".join(missing)),
        )
    stamp = when.isoformat(timespec="seconds")
    parent_words = {child_key(n) for n in messages}
    child_words = {child_key(n) for n in child_messages}
    base = [s for s in dict.fromkeys(shares) if s != MESSAGES]
    out: dict[str, ChildConsent] = {}
    for c in kids:
        key = child_key(c.name)
        agrees = key in agreed
        words = key in parent_words and (
            not needs_child_consent(c.birth_year, when) or (agrees and key in child_words))
        out[child_key(c.name)] = ChildConsent(
            consent_id=str(uuid.uuid4()),
            child=c.name,
            birth_year=c.birth_year,
            parent_name=parent,
            parent_consented_at=stamp,
            child_consented=agrees,
            child_consented_at=stamp if agrees else None,
            shares=[*base, MESSAGES] if words else list(base),
        )
    return out


def share_labels(shares: Iterable[str]) -> list[str]:
    """What each shared kind means, for people."""
    labels = {
        "total": _("total screen time per day"),
        "apps": _("time per app per day"),
        "categories": _("time per category per day"),
        "counts": _("how many warnings, closes, bonus grants and requests, and when "
                    "PlayClock was not running or the clock was changed"),
        MESSAGES: _("the words of the child's requests for more time (at most 200 characters)"),
    }
    return [labels.get(s, s) for s in shares]


def message_text(text: str) -> str | None:
    """A request's words as they may leave the PC: one line, no control characters, capped."""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return cleaned[:MESSAGE_MAX] or None
