"""What the tray shows, computed from the status document: icon state, tooltip, menu."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agent.i18n import _
from agent.i18n.formatting import date_short, duration, left_minutes, time_left, time_short
from agent.i18n.limit_text import effective, row_title
from agent.i18n.titles import limit_title
from agent.service.status_document import tightest

__all__ = [
    "ABOUT",
    "ASK",
    "DASHBOARD",
    "HELP_111",
    "HELP_TIPS",
    "LIMIT_CHOICES",
    "LOGOUT",
    "PAUSE",
    "REFRESH",
    "REPORT",
    "RESUME",
    "SEPARATOR",
    "IconState",
    "MenuEntry",
    "TrayView",
    "badge_text",
    "build_view",
    "find",
    "grant_action",
    "limit_action",
    "limit_line",
    "pick_child",
    "walk",
]

IconState = Literal["ok", "warning", "blocked", "paused", "unreachable"]

ASK = "ask"
PAUSE = "pause"
RESUME = "resume"
DASHBOARD = "dashboard"
REPORT = "report"
HELP_111 = "help:111"
HELP_TIPS = "help:tips"
ABOUT = "about"
LOGOUT = "logout"
REFRESH = "refresh"
GRANT_CHOICES = (15, 30, 60)
LIMIT_CHOICES = (30, 60, 90, 120, 180)


def grant_action(minutes: int) -> str:
    """The action id that adds `minutes` of bonus time to every limit."""
    return f"grant:{minutes}"


def limit_action(key: str, minutes: int) -> str:
    """The action id that sets the daily limit of `key` to `minutes`."""
    return f"limit:{key}:{minutes}"


@dataclass(frozen=True)
class MenuEntry:
    """One menu line: a label, the action it runs (None: information only), a submenu."""

    label: str
    action: str | None = None
    enabled: bool = True
    children: tuple[MenuEntry, ...] = ()
    checked: bool = False

    @property
    def is_separator(self) -> bool:
        """Whether this entry is a separator line."""
        return self is SEPARATOR or (
            self.label == "-" and self.action is None and not self.children
        )


SEPARATOR = MenuEntry("-", enabled=False)


@dataclass(frozen=True)
class TrayView:
    """Everything the icon, its tooltip and its menu show at one moment."""

    state: IconState
    badge: str  # the text drawn on the icon ("23", "2h", "∞", "")
    fraction: float  # share of the tightest limit still left, for the ring
    tooltip: str
    menu: tuple[MenuEntry, ...]
    child: str | None = None
    parent: bool = False  # a parent session is open


def walk(entries: Sequence[MenuEntry]) -> Iterator[MenuEntry]:
    """Every entry of a menu tree, depth first."""
    for entry in entries:
        yield entry
        yield from walk(entry.children)


def find(entries: Sequence[MenuEntry], action: str) -> MenuEntry | None:
    """The entry that runs `action`, or None."""
    return next((e for e in walk(entries) if e.action == action), None)


def pick_child(
    doc: Mapping[str, Any],
    user: str,
    accounts: Mapping[str, Sequence[str]] | None = None,
) -> str | None:
    """The child this OS account belongs to (by accounts), else the only or the first child."""
    children = list(doc.get("children") or [])
    if not children:
        return None
    wanted = user.casefold()
    for child in children:
        listed = child.get("accounts") or (accounts or {}).get(child["name"], ())
        if any(a.casefold() == wanted for a in listed):
            return str(child["name"])
    for child in children:
        if str(child["name"]).casefold() == wanted:
            return str(child["name"])
    return str(children[0]["name"])


def badge_text(seconds: float | None) -> str:
    """Minutes left as a short number: "23", "2h" from 100 minutes, "∞" for no limit."""
    if seconds is None:
        return "∞"
    minutes = left_minutes(seconds)  # rounded up: 59 s left shows "1", never "0"
    return f"{minutes // 60}h" if minutes >= 100 else str(minutes)


def _until(row: Mapping[str, Any], today: dt.date | None) -> str | None:
    text = row.get("until")
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text)
    if today is not None and (moment.date() - today).days > 1:
        return f"{date_short(moment.date())} {time_short(moment)}"
    return time_short(moment)


def limit_line(
    row: Mapping[str, Any],
    today: dt.date | None = None,
    child: Mapping[str, Any] | None = None,
) -> str:
    """ "Minecraft — 23 min left", "Games — blocked until 08:00", with every limit counted.

    When another limit decides (the total is used up, or runs out first) the line says the
    real time and names that limit: "Minetest — blocked today (Total screen time)".
    """
    title = _title(row)
    real = effective(child or {"limits": [row]}, row)
    by = f" ({row_title(real.by)})" if real.by is not None else ""
    if real.state == "blocked":
        until = _until({"until": real.until}, today)
        if until:
            return _("{title} — blocked until {until}").format(title=title, until=until) + by
        return _("{title} — blocked today").format(title=title) + by
    if real.left is None:
        return _("{title} — no limit").format(title=title)
    return _("{title} — {left} left").format(title=title, left=time_left(real.left)) + by


def _fraction(row: Mapping[str, Any] | None) -> float:
    if row is None or row["left_seconds"] is None:
        return 1.0
    left = float(row["left_seconds"])
    if row["limit_seconds"] is not None:
        budget = float(row["limit_seconds"]) + float(row.get("bonus_seconds") or 0)
        if budget > 0:
            return max(0.0, min(1.0, left / budget))
        return 0.0
    return max(0.0, min(1.0, left / 3600.0))  # an allowed window without a budget


def _parent_menu(child: Mapping[str, Any], parent: bool) -> MenuEntry:
    grants = tuple(
        MenuEntry(_("+{minutes} min").format(minutes=m), grant_action(m)) for m in GRANT_CHOICES
    )
    pause = (
        MenuEntry(_("Resume limits"), RESUME)
        if child.get("paused")
        else MenuEntry(_("Pause limits for today"), PAUSE)
    )
    limits = []
    for row in child["limits"]:
        current = row["limit_seconds"]
        choices = tuple(
            MenuEntry(duration(m * 60), limit_action(row["id"], m), checked=current == m * 60)
            for m in LIMIT_CHOICES
        )
        limits.append(MenuEntry(_title(row), children=choices))
    entries: list[MenuEntry] = [*grants, SEPARATOR, pause]
    if limits:
        entries.append(MenuEntry(_("Set a daily limit"), children=tuple(limits)))
    entries += [
        SEPARATOR,
        MenuEntry(_("Open the dashboard"), DASHBOARD),
        MenuEntry(_("Weekly report"), REPORT),
    ]
    if parent:
        entries.append(MenuEntry(_("Lock parent controls"), LOGOUT))
    return MenuEntry(_("Parent"), children=tuple(entries))


def _help_menu() -> MenuEntry:
    return MenuEntry(
        _("Help"),
        children=(
            MenuEntry(_("Call 111 — Tổng đài quốc gia bảo vệ trẻ em (free, 24/7)"), HELP_111),
            MenuEntry(_("Online safety tips"), HELP_TIPS),
        ),
    )


def _unreachable() -> TrayView:
    return TrayView(
        state="unreachable",
        badge="?",
        fraction=0.0,
        tooltip=_("PlayClock: the agent cannot be reached"),
        menu=(
            MenuEntry(_("PlayClock is not running"), enabled=False),
            SEPARATOR,
            MenuEntry(_("Try again"), REFRESH),
            _help_menu(),
            MenuEntry(_("About monitoring"), ABOUT),
        ),
    )


def _title(row: Mapping[str, Any]) -> str:
    """A limit's title in the tray's language (built-in categories and the total translated)."""
    return limit_title(str(row.get("kind", "")), str(row.get("id", "")), str(row["title"]))


def _state_of(child: Mapping[str, Any]) -> tuple[IconState, Mapping[str, Any] | None]:
    """The icon's state and the limit that decides it (see status_document.tightest)."""
    row = tightest(dict(child))
    if child.get("paused"):
        return "paused", row
    if row is None:
        return "ok", None
    if row["state"] == "blocked" or (row["left_seconds"] is not None and row["left_seconds"] <= 0):
        return "blocked", row
    return ("warning" if row["state"] == "warning" else "ok"), row


def _tooltip(name: str, state: IconState, row: Mapping[str, Any] | None, today: dt.date) -> str:
    if state == "paused":
        return _("{child}: limits paused today").format(child=name)
    if row is None:
        return _("{child}: no time limits now").format(child=name)
    if state == "blocked":
        until = _until(row, today)
        if until:
            return _("{child}: {limit} blocked until {until}").format(
                child=name, limit=_title(row), until=until
            )
        return _("{child}: {limit} blocked today").format(child=name, limit=_title(row))
    return _("{child}: {left} left ({limit})").format(
        child=name, left=time_left(row["left_seconds"]), limit=_title(row)
    )


def build_view(
    doc: Mapping[str, Any] | None,
    *,
    child: str | None = None,
    parent: bool = False,
) -> TrayView:
    """The tray's view of a status document (None: the agent could not be reached)."""
    if doc is None:
        return _unreachable()
    children = list(doc.get("children") or [])
    found = next((c for c in children if c["name"] == child), children[0] if children else None)
    if found is None:
        return TrayView(
            state="ok",
            badge="∞",
            fraction=1.0,
            tooltip=_("PlayClock: no child is set up"),
            menu=(
                MenuEntry(_("No child is set up yet"), enabled=False),
                SEPARATOR,
                _help_menu(),
                MenuEntry(_("About monitoring"), ABOUT),
            ),
        )
    today = dt.date.fromisoformat(doc["day"])
    name = str(found["name"])
    state, row = _state_of(found)
    if state == "paused":
        header = _("{child} — limits paused today").format(child=name)
    else:
        header = _("{child} — time left today").format(child=name)
    lines = tuple(MenuEntry(limit_line(r, today, found), enabled=False) for r in found["limits"])
    menu = (
        MenuEntry(header, enabled=False),
        *lines,
        SEPARATOR,
        MenuEntry(_("Ask for more time…"), ASK),
        SEPARATOR,
        _parent_menu(found, parent),
        _help_menu(),
        MenuEntry(_("About monitoring"), ABOUT),
    )
    # Paused and blocked icons draw a symbol instead of a number.
    badge = (
        "" if state in ("paused", "blocked") else badge_text(row["left_seconds"] if row else None)
    )
    return TrayView(
        state=state,
        badge=badge,
        fraction=0.0 if state == "blocked" else _fraction(row),
        tooltip=_tooltip(name, state, row, today),
        menu=menu,
        child=name,
        parent=parent,
    )
