"""Edits of the rules that the dashboard's forms ask for: pure functions from Config to Config."""

from __future__ import annotations

import re
from dataclasses import replace

from agent.dashboard.language import _
from rules import presets
from rules.catalog import CATALOG
from rules.model import SCREEN, TOTAL, App, Category, Child, Config, LimitSpec, Window
from rules.timeutil import parse_window

__all__ = [
    "EditError",
    "add_catalog_app",
    "add_category",
    "add_child",
    "add_custom_app",
    "limit_spec",
    "parse_list",
    "parse_minutes",
    "parse_windows",
    "remove_app",
    "remove_child",
    "retitle_category",
    "set_always_allowed",
    "update_child",
]

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class EditError(ValueError):
    """A form value the rules cannot take; the message is for the parent."""


def parse_minutes(text: str, what: str) -> int | None:
    """Minutes 0 to 1440 from a form field; None when empty."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 1440:
        raise EditError(
            _("{what}: enter whole minutes from 0 to 1440, or leave it empty.").format(what=what)
        )
    return int(text)


def parse_windows(text: str) -> tuple[Window, ...]:
    """Windows from "08:00-12:00, 14:00-20:30" (commas, semicolons or spaces between)."""
    out: list[Window] = []
    for part in re.split(r"[,;\s]+", text.replace("–", "-").strip()):
        if not part:
            continue
        window = parse_window(part)
        if window is None:
            raise EditError(
                _("Allowed hours: write HH:MM-HH:MM, such as 08:00-20:30 (not {value}).").format(
                    value=part
                )
            )
        out.append(window)
    if len(out) > 12:
        raise EditError(_("Allowed hours: at most 12 windows."))
    return tuple(out)


def parse_list(text: str) -> tuple[str, ...]:
    """Items separated by commas or new lines, stripped, without empties or repeats."""
    items = [p.strip() for p in re.split(r"[,\n]+", text)]
    return tuple(dict.fromkeys(p for p in items if p))


def limit_spec(
    child: Child, key: str, daily: int | None, weekend: int | None, allowed: tuple[Window, ...]
) -> LimitSpec:
    """The child's limit for `key` with new budgets and windows, keeping its other fields."""
    base = child.effective_limits().get(key) or LimitSpec(key=key)
    return replace(base, key=key, daily=daily, weekend=weekend, allowed=allowed)


def _child(config: Config, name: str) -> Child:
    child = config.child(name)
    if child is None:
        raise EditError(_("There is no child named {name}.").format(name=name))
    return child


def _replace_child(config: Config, old: Child, new: Child | None) -> Config:
    children = tuple(
        c for c in ((new if c is old else c) for c in config.children) if c is not None
    )
    return replace(config, children=children)


def _child_fields(
    config: Config, accounts: str, birth_year: str, preset: str, skip: Child | None
) -> tuple[tuple[str, ...], int | None, str | None]:
    names = parse_list(accounts)
    if not names:
        raise EditError(_("Give at least one computer account for the child."))
    for child in config.children:
        if child is skip:
            continue
        taken = {a.casefold() for a in child.accounts}
        for account in names:
            if account.casefold() in taken:
                raise EditError(
                    _("The account {account} already belongs to {child}.").format(
                        account=account, child=child.name
                    )
                )
    year: int | None = None
    if birth_year.strip():
        if not birth_year.strip().isdigit() or not 1990 <= int(birth_year) <= 2100:
            raise EditError(_("Birth year: a year such as 2014, or leave it empty."))
        year = int(birth_year)
    chosen = preset.strip() or None
    if chosen is not None and chosen not in presets.preset_names():
        raise EditError(_("Unknown preset {name}.").format(name=chosen))
    return names, year, chosen


def add_child(config: Config, name: str, accounts: str, birth_year: str, preset: str) -> Config:
    """A new child with no limits of their own (the preset's apply)."""
    name = name.strip()
    if not name or len(name) > 64:
        raise EditError(_("Give the child a name (at most 64 characters)."))
    if config.child(name) is not None:
        raise EditError(_("There is already a child named {name}.").format(name=name))
    fields = _child_fields(config, accounts, birth_year, preset, None)
    child = Child(name, fields[0], fields[1], fields[2])
    return replace(config, children=(*config.children, child))


def update_child(config: Config, name: str, accounts: str, birth_year: str, preset: str) -> Config:
    """A child's accounts, birth year and preset changed."""
    child = _child(config, name)
    accs, year, chosen = _child_fields(config, accounts, birth_year, preset, child)
    new = replace(child, accounts=accs, birth_year=year, preset=chosen, preset_limits=())
    return _replace_child(config, child, new)


def remove_child(config: Config, name: str) -> Config:
    """The child removed from the rules (their past usage stays in the ledger)."""
    return _replace_child(config, _child(config, name), None)


def set_always_allowed(config: Config, name: str, app_ids: list[str]) -> Config:
    """The apps that never count and are never closed for this child."""
    child = _child(config, name)
    unknown = [a for a in app_ids if config.app(a) is None]
    if unknown:
        raise EditError(_("Unknown app {name}.").format(name=unknown[0]))
    return _replace_child(config, child, replace(child, always_allowed=frozenset(app_ids)))


def _check_new_id(config: Config, ident: str) -> None:
    if not _ID.match(ident):
        raise EditError(
            _("An id uses lower-case letters, digits, '-' or '_' (for example {example}).").format(
                example="my-game"
            )
        )
    if (
        ident in (TOTAL, SCREEN)
        or config.app(ident) is not None
        or config.category(ident) is not None
    ):
        raise EditError(_("The id {id} is already used.").format(id=ident))


def add_catalog_app(config: Config, app_id: str) -> Config:
    """An app from the built-in catalogue."""
    entry = CATALOG.get(app_id)
    if entry is None:
        raise EditError(_("Choose an app from the catalogue."))
    _check_new_id(config, app_id)
    if config.category(entry.category) is None:
        raise EditError(_("Unknown category {id}.").format(id=entry.category))
    patterns = tuple(re.compile(p, re.IGNORECASE) for p in entry.cmdline)
    app = App(app_id, entry.title, entry.category, entry.names, entry.paths, patterns, True)
    return replace(config, apps=(*config.apps, app), catalog=(*config.catalog, app_id))


def add_custom_app(config: Config, app_id: str, title: str, category: str, names: str) -> Config:
    """An app recognised by its process names."""
    app_id = app_id.strip().lower()
    _check_new_id(config, app_id)
    processes = parse_list(names)
    if not processes:
        raise EditError(_("Give at least one process name, such as minecraft-launcher.exe."))
    cat = category.strip() or None
    if cat is not None and config.category(cat) is None:
        raise EditError(_("Unknown category {id}.").format(id=cat))
    app = App(app_id, title.strip()[:100] or app_id, cat, processes)
    return replace(config, apps=(*config.apps, app))


def remove_app(config: Config, app_id: str) -> Config:
    """An app removed, unless a child's limit or always-allowed list still names it."""
    app = config.app(app_id)
    if app is None:
        raise EditError(_("Unknown app {name}.").format(name=app_id))
    for child in config.children:
        if app_id in child.always_allowed or any(s.key == app_id for s in child.limits):
            raise EditError(
                _(
                    "{child} still has a limit or always-allowed entry for {app}: remove it first."
                ).format(child=child.name, app=app.title)
            )
    return replace(
        config,
        apps=tuple(a for a in config.apps if a.id != app_id),
        catalog=tuple(c for c in config.catalog if c != app_id),
    )


def add_category(config: Config, cat_id: str, title: str) -> Config:
    """A new category."""
    cat_id = cat_id.strip().lower()
    _check_new_id(config, cat_id)
    category = Category(cat_id, title.strip()[:100] or cat_id)
    return replace(config, categories=(*config.categories, category))


def retitle_category(config: Config, cat_id: str, title: str) -> Config:
    """A category with a new title."""
    if config.category(cat_id) is None:
        raise EditError(_("Unknown category {id}.").format(id=cat_id))
    title = title.strip()[:100]
    if not title:
        raise EditError(_("Give the category a title."))
    return replace(
        config,
        categories=tuple(Category(c.id, title) if c.id == cat_id else c for c in config.categories),
    )
