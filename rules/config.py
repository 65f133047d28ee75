"""Reading and validating `rules.toml` text: every error with its line and field, all at once."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from rules import catalog as _catalog
from rules import presets as _presets
from rules.checker import N_, Checker, ConfigError, ConfigIssue
from rules.match import normalize_account
from rules.model import SCREEN, TOTAL, WEEKDAYS, App, Category, Child, Config, LimitSpec, Settings
from rules.timeutil import parse_hhmm

__all__ = ["N_", "ConfigError", "ConfigIssue", "load_text"]


_TOP = ("version", "settings", "catalog", "apps", "categories", "child")
_SETTINGS = (
    "poll_seconds",
    "day_starts",
    "warn_minutes",
    "grace_seconds",
    "locale",
    "listen",
    "timezone",
    "idle_minutes",
)
_APP = ("title", "category", "names", "paths", "cmdline")
_CATEGORY = ("title",)
_CHILD = (
    "name",
    "accounts",
    "birth_year",
    "preset",
    "always_allowed",
    "limits",
    "idle_minutes",
    "screen_action",
)
_SCREEN_ACTIONS = ("lock", "logout", "notify")
_IDLE_RANGE = (0.1, 120)  # idle_minutes
_LIMIT = (
    "daily",
    "weekend",
    "days",
    "allowed",
    "allowed_weekend",
    "allowed_days",
    "each",
    "reminder_minutes",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def _is_loopback_listen(value: str) -> bool:
    host, _, port = value.rpartition(":")
    return host in _LOOPBACK and port.isdigit() and 0 < int(port) < 65536


def _text_setting(
    c: Checker,
    table: dict[str, Any],
    key: str,
    default: str,
    valid: Callable[[str], bool],
    message: str,
) -> str:
    """A string from `[settings]`, or the default (and an error) when it is not valid."""
    path = f"settings.{key}"
    if key not in table or not c.typed(table[key], str, path):
        return default
    if not valid(table[key]):
        c.error(path, message, value=table[key])
        return default
    return str(table[key])


def _settings(c: Checker, raw: object) -> Settings:
    if raw is None:
        return Settings()
    if not c.typed(raw, dict, "settings"):
        return Settings()
    table: dict[str, Any] = raw  # type: ignore[assignment]
    c.keys(table, _SETTINGS, "settings")
    d = Settings()
    day_starts = d.day_starts
    if "day_starts" in table and c.typed(table["day_starts"], str, "settings.day_starts"):
        parsed = parse_hhmm(table["day_starts"])
        if parsed is None:
            c.error(
                "settings.day_starts",
                N_("expected a time as HH:MM (00:00 to 23:59), got {value!r}"),
                value=table["day_starts"],
            )
        else:
            day_starts = parsed
    warn = d.warn_minutes
    if "warn_minutes" in table and c.typed(table["warn_minutes"], list, "settings.warn_minutes"):
        items = table["warn_minutes"]
        good = [m for m in items if isinstance(m, int) and not isinstance(m, bool) and 0 < m <= 240]
        if len(good) != len(items):
            c.error(
                "settings.warn_minutes", N_("expected a list of whole minutes between 1 and 240")
            )
        else:
            warn = tuple(sorted(set(good), reverse=True))
    locale = _text_setting(
        c, table, "locale", d.locale, lambda v: v in ("auto", "vi", "en"),
        N_('expected "vi", "en" or "auto", got {value!r}'),
    )
    listen = _text_setting(
        c, table, "listen", d.listen, _is_loopback_listen,
        N_('expected a loopback address and port such as "127.0.0.1:7377", got {value!r}'),
    )
    timezone = d.timezone
    if "timezone" in table and c.typed(table["timezone"], str, "settings.timezone"):
        timezone = table["timezone"]
    return Settings(
        poll_seconds=c.number(table, "poll_seconds", "settings", 0.2, 10, d.poll_seconds),
        day_starts=day_starts,
        warn_minutes=warn,
        grace_seconds=c.number(table, "grace_seconds", "settings", 0, 300, d.grace_seconds),
        locale=locale,
        listen=listen,
        timezone=timezone,
        idle_minutes=c.number(table, "idle_minutes", "settings", *_IDLE_RANGE, d.idle_minutes),
    )


def _apps(
    c: Checker, raw: object, catalog_ids: tuple[str, ...], categories: set[str]
) -> tuple[App, ...]:
    apps: dict[str, App] = {}
    for app_id in catalog_ids:
        e = _catalog.CATALOG[app_id]
        apps[app_id] = App(
            app_id,
            e.title,
            e.category,
            e.names,
            e.paths,
            tuple(re.compile(p, re.IGNORECASE) for p in e.cmdline),
            True,
        )
    if raw is None or not c.typed(raw, dict, "apps"):
        return tuple(apps.values())
    for app_id, table in raw.items():  # type: ignore[attr-defined]
        path = f"apps.{app_id}"
        if not _ID.match(app_id):
            c.error(path, N_("an app id must be lower-case letters, digits, '-' or '_'"))
        if not c.typed(table, dict, path):
            continue
        c.keys(table, _APP, path)
        title = table.get("title", app_id)
        if not c.typed(title, str, f"{path}.title"):
            title = app_id
        category = table.get("category")
        if (
            category is not None
            and c.typed(category, str, f"{path}.category")
            and category not in categories
        ):
            c.error(
                f"{path}.category",
                N_("unknown category {value!r}; known: {known}"),
                value=category,
                known=", ".join(sorted(categories)),
            )
        names = c.strings(table.get("names", []), f"{path}.names")
        paths = c.strings(table.get("paths", []), f"{path}.paths")
        patterns: list[re.Pattern[str]] = []
        for i, source in enumerate(c.strings(table.get("cmdline", []), f"{path}.cmdline")):
            try:
                patterns.append(re.compile(source, re.IGNORECASE))
            except re.error as exc:
                c.error(
                    f"{path}.cmdline[{i}]",
                    N_("invalid regular expression: {error}"),
                    error=str(exc),
                )
        if not (table.get("names") or table.get("paths") or table.get("cmdline")):
            c.error(path, N_("an app needs at least one of names, paths or cmdline"))
        apps[app_id] = App(
            app_id,
            title,
            category if isinstance(category, str) else None,
            names,
            paths,
            tuple(patterns),
        )
    return tuple(apps.values())


def _weekdays(c: Checker, table: dict[str, Any], name: str, path: str) -> list[str]:
    """The keys of a per-weekday table (`days`, `allowed_days`), unknown weekdays reported."""
    if name not in table or not c.typed(table[name], dict, f"{path}.{name}"):
        return []
    good = []
    for wd in table[name]:
        if wd in WEEKDAYS:
            good.append(wd)
        else:
            c.error(
                f"{path}.{name}.{wd}",
                N_("unknown weekday {value!r}; expected one of: {allowed}"),
                value=wd,
                allowed=", ".join(WEEKDAYS),
            )
    return good


def _limit(c: Checker, key: str, table: object, path: str, kind: str) -> LimitSpec | None:
    if not c.typed(table, dict, path):
        return None
    t: dict[str, Any] = table  # type: ignore[assignment]
    c.keys(t, _LIMIT, path)

    def minutes(name: str) -> int | None:
        value = c.number(t, name, path, 0, 1440, -1, int)
        return None if value == -1 else int(value)

    days: list[tuple[str, int]] = []
    for wd in _weekdays(c, t, "days", path):
        value = c.number(t["days"], wd, f"{path}.days", 0, 1440, -1, int)
        if value != -1:
            days.append((wd, int(value)))
    allowed_days = [
        (wd, c.windows(t["allowed_days"][wd], f"{path}.allowed_days.{wd}"))
        for wd in _weekdays(c, t, "allowed_days", path)
    ]
    each = minutes("each")
    if each is not None and kind != "category":
        c.error(
            f"{path}.each",
            N_("'each' is only for category limits (minutes for each app of the category)"),
        )
        each = None
    reminder = c.number(t, "reminder_minutes", path, 5, 240, -1, int)
    return LimitSpec(
        key=key,
        daily=minutes("daily"),
        weekend=minutes("weekend"),
        days=tuple(days),
        allowed=c.windows(t["allowed"], f"{path}.allowed") if "allowed" in t else (),
        allowed_weekend=(
            c.windows(t["allowed_weekend"], f"{path}.allowed_weekend")
            if "allowed_weekend" in t
            else None
        ),
        allowed_days=tuple(allowed_days),
        each=each,
        reminder_minutes=None if reminder == -1 else int(reminder),
    )


def _children(
    c: Checker, raw: object, apps: dict[str, App], categories: set[str]
) -> tuple[Child, ...]:
    if raw is None:
        return ()
    if not c.typed(raw, list, "child"):
        return ()
    children: list[Child] = []
    owners: dict[str, str] = {}
    names: set[str] = set()
    tables: list[Any] = raw  # type: ignore[assignment]
    for index, table in enumerate(tables):
        path = f"child[{index}]"
        if not c.typed(table, dict, path):
            continue
        c.keys(table, _CHILD, path)
        name = table.get("name")
        if name is None:
            c.error(path, N_("missing 'name'"))
            name = f"#{index + 1}"
        elif not c.typed(name, str, f"{path}.name") or not name.strip():
            name = f"#{index + 1}"
        elif name.casefold() in names:
            c.error(f"{path}.name", N_("duplicate child name {value!r}"), value=name)
        names.add(name.casefold())
        if "accounts" not in table:
            c.error(
                path,
                N_("missing 'accounts' (the OS accounts whose processes count for this child)"),
            )
        accounts = c.strings(table.get("accounts", []), f"{path}.accounts")
        for account in accounts:
            folded = normalize_account(account)  # as the matcher compares: "PC\\an" is "an"
            if folded in owners:
                c.error(
                    f"{path}.accounts",
                    N_("account {account!r} already belongs to child {other!r}"),
                    account=account,
                    other=owners[folded],
                )
            owners.setdefault(folded, name)
        birth_year = table.get("birth_year")
        if birth_year is not None:
            birth_year = int(c.number(table, "birth_year", path, 1990, 2100, 0, int)) or None
        preset = table.get("preset")
        preset_limits: list[LimitSpec] = []
        if preset is not None and c.typed(preset, str, f"{path}.preset"):
            if preset not in _presets.preset_names():
                c.error(
                    f"{path}.preset",
                    N_("unknown preset {value!r}; known: {known}"),
                    value=preset,
                    known=", ".join(_presets.preset_names()),
                )
            else:
                for key, spec in _presets.limits_for(preset).items():
                    kind = _kind(key, apps)
                    parsed = _limit(c, key, spec, f"{path}.preset", kind)
                    known = key in (TOTAL, SCREEN) or key in apps or key in categories
                    if parsed is not None and known:
                        preset_limits.append(parsed)
        always = c.strings(table.get("always_allowed", []), f"{path}.always_allowed")
        for i, app_id in enumerate(always):
            if app_id not in apps:
                c.error(f"{path}.always_allowed[{i}]", N_("unknown app {value!r}"), value=app_id)
        limits: list[LimitSpec] = []
        if "limits" in table and c.typed(table["limits"], dict, f"{path}.limits"):
            for key, spec in table["limits"].items():
                lpath = f"{path}.limits.{key}"
                if key not in (TOTAL, SCREEN) and key not in apps and key not in categories:
                    c.error(
                        lpath,
                        N_(
                            "unknown app or category {value!r}: define it under [apps] "
                            "or [categories], or add it to catalog"
                        ),
                        value=key,
                    )
                    continue
                parsed = _limit(c, key, spec, lpath, _kind(key, apps))
                if parsed is not None:
                    limits.append(parsed)
        idle = table.get("idle_minutes")
        if idle is not None:
            idle = c.number(table, "idle_minutes", path, *_IDLE_RANGE, 0) or None
        action = table.get("screen_action", "lock")
        if c.typed(action, str, f"{path}.screen_action") and action not in _SCREEN_ACTIONS:
            c.error(
                f"{path}.screen_action",
                N_("expected one of: {allowed}; got {value!r}"),
                allowed=", ".join(_SCREEN_ACTIONS),
                value=action,
            )
        if action not in _SCREEN_ACTIONS:
            action = "lock"
        children.append(
            Child(
                name,
                accounts,
                birth_year,
                preset,
                frozenset(always),
                tuple(limits),
                tuple(preset_limits),
                idle_minutes=idle,
                screen_action=action,
            )
        )
    return tuple(children)


def _kind(key: str, apps: Mapping[str, App]) -> str:
    if key in (TOTAL, SCREEN):
        return key
    return "app" if key in apps else "category"


def load_text(text: str, filename: str = "rules.toml") -> Config:
    """Parse and validate config text; raises ConfigError listing every issue."""
    c = Checker(text, filename)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else 1
        raise ConfigError(
            [
                ConfigIssue(
                    filename, line, "toml", N_("not valid TOML: {error}"), {"error": str(exc)}
                )
            ]
        ) from None
    c.keys(data, _TOP, "")
    if "version" not in data:
        c.error("version", N_("missing 'version = 1' at the top of the file"))
    elif data["version"] != 1 or isinstance(data["version"], bool):
        c.error(
            "version",
            N_("expected 1 (the config version this PlayClock reads), got {value!r}"),
            value=data["version"],
        )
    settings = _settings(c, data.get("settings"))
    categories = dict(_catalog.BUILTIN_CATEGORIES)
    if "categories" in data and c.typed(data["categories"], dict, "categories"):
        for cat_id, table in data["categories"].items():
            path = f"categories.{cat_id}"
            if not _ID.match(cat_id):
                c.error(path, N_("a category id must be lower-case letters, digits, '-' or '_'"))
            if c.typed(table, dict, path):
                c.keys(table, _CATEGORY, path)
                title = table.get("title", cat_id)
                categories[cat_id] = title if c.typed(title, str, f"{path}.title") else cat_id
    catalog_ids: list[str] = []
    if "catalog" in data:
        for i, app_id in enumerate(c.strings(data["catalog"], "catalog")):
            if app_id not in _catalog.CATALOG:
                c.error(
                    f"catalog[{i}]",
                    N_("unknown catalogue app {value!r}; 'playclock rules catalog' lists them"),
                    value=app_id,
                )
            elif app_id not in catalog_ids:
                catalog_ids.append(app_id)
    apps = _apps(c, data.get("apps"), tuple(catalog_ids), set(categories))
    app_map = {a.id: a for a in apps}
    if SCREEN in app_map or SCREEN in categories:
        c.error(
            f"{'apps' if SCREEN in app_map else 'categories'}.{SCREEN}",
            N_("{value!r} names the whole-computer limit; choose another id"),
            value=SCREEN,
        )
    for cat_id in categories:
        if cat_id in app_map:
            c.error(
                f"categories.{cat_id}", N_("{value!r} is both an app and a category"), value=cat_id
            )
    children = _children(c, data.get("child"), app_map, set(categories))
    if c.issues:
        c.issues.sort(key=lambda i: i.line)
        raise ConfigError(c.issues)
    return Config(
        settings=settings,
        apps=apps,
        categories=tuple(Category(k, v) for k, v in categories.items()),
        children=children,
        catalog=tuple(catalog_ids),
    )
