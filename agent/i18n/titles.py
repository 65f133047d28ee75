"""Titles of limits and categories for people: built-in ones translated, a parent's own kept."""

from __future__ import annotations

from agent.i18n import _
from rules.keys import BUILTIN_CATEGORIES, SCREEN, TOTAL

__all__ = ["category_title", "limit_title"]


def _builtin() -> dict[str, str]:
    return {
        "games": _("Games"),
        "browsers": _("Web browsers"),
        "video": _("Video"),
        "social": _("Social media"),
        "chat": _("Chat"),
        "creative": _("Creative"),
        "education": _("Education"),
        "other": _("Other"),
    }


def category_title(cat_id: str, title: str) -> str:
    """A category's title; a built-in one is translated unless a parent renamed it."""
    if BUILTIN_CATEGORIES.get(cat_id) == title:
        return _builtin().get(cat_id, title)
    return title


def limit_title(kind: str, key: str, title: str) -> str:
    """A status row's title: "Total screen time" (tracked apps), "Computer time" (the whole
    session), a category's or an app's title."""
    if kind == "total" or key == TOTAL:
        return _("Total screen time")
    if kind == "screen" or key == SCREEN:
        return _("Computer time")
    if kind == "category":
        return category_title(key, title)
    return title
