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
    "SHARES_ALL",
    "ChildInfo",
    "ConsentMissing",
    "consent_still_valid",
    "make_consents",
    "needs_child_consent",
    "share_labels",
]

CHILD_CONSENT_AGE = 7
SHARES_ALL = ("total", "apps", "categories", "counts")


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
) -> dict[str, ChildConsent]:
    """One consent record per child; ConsentMissing naming those who still must agree."""
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
    out: dict[str, ChildConsent] = {}
    for c in kids:
        agrees = child_key(c.name) in agreed
        out[child_key(c.name)] = ChildConsent(
            consent_id=str(uuid.uuid4()),
            child=c.name,
            birth_year=c.birth_year,
            parent_name=parent,
            parent_consented_at=stamp,
            child_consented=agrees,
            child_consented_at=stamp if agrees else None,
            shares=list(dict.fromkeys(shares)),
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
    }
    return [labels.get(s, s) for s in shares]
