"""Writing a Config back as `rules.toml` text that loads to the same Config."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rules.catalog import BUILTIN_CATEGORIES
from rules.model import Config, LimitSpec, Settings, Window, format_hhmm

__all__ = ["dump_config", "limit_table", "toml_key", "toml_string", "toml_value"]


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

def toml_string(text: str) -> str:
    """A TOML basic string (quoted, with escapes)."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_key(key: str) -> str:
    """A bare key when TOML allows one, else a quoted one."""
    return key if _BARE_KEY.match(key) else toml_string(key)


def toml_value(value: object) -> str:
    """A TOML literal for a bool, int, float, str, list or table of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{toml_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def _windows(windows: Iterable[Window]) -> str:
    # "00:00-24:00" loads as Window(0, 0), whose str() "00:00-00:00" would not load.
    return _list(f"{format_hhmm(w.start)}-24:00" if w.start == w.end else str(w) for w in windows)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _settings(s: Settings) -> list[str]:
    return [
        "[settings]",
        f"poll_seconds = {_num(s.poll_seconds)}",
        f"day_starts = {toml_string(format_hhmm(s.day_starts))}",
        "warn_minutes = [" + ", ".join(str(m) for m in s.warn_minutes) + "]",
        f"grace_seconds = {_num(s.grace_seconds)}",
        f"locale = {toml_string(s.locale)}",
        f"listen = {toml_string(s.listen)}",
        f"timezone = {toml_string(s.timezone)}",
        f"idle_minutes = {_num(s.idle_minutes)}",
    ]


def limit_table(spec: LimitSpec) -> list[str]:
    """The `key = value` lines of one limit table."""
    lines: list[str] = []
    for name in ("daily", "weekend", "each", "reminder_minutes"):
        value = getattr(spec, name)
        if value is not None:
            lines.append(f"{name} = {value}")
    if spec.days:
        lines.append("days = { " + ", ".join(f"{d} = {m}" for d, m in spec.days) + " }")
    if spec.allowed:
        lines.append(f"allowed = {_windows(spec.allowed)}")
    if spec.allowed_weekend is not None:
        lines.append(f"allowed_weekend = {_windows(spec.allowed_weekend)}")
    if spec.allowed_days:
        inner = ", ".join(f"{d} = {_windows(w)}" for d, w in spec.allowed_days)
        lines.append("allowed_days = { " + inner + " }")
    return lines




def dump_config(config: Config, header: str = "") -> str:
    """TOML text for a config; catalogue apps and presets stay references."""
    out: list[str] = [f"# {line}" if line else "#" for line in header.splitlines()]
    out.append("version = 1")
    if config.catalog:  # a root-table key: it must come before the first [table]
        out.append(f"catalog = {_list(config.catalog)}")
    out += ["", *_settings(config.settings)]
    for cat in config.categories:
        if BUILTIN_CATEGORIES.get(cat.id) != cat.title:
            out += ["", f"[categories.{toml_key(cat.id)}]", f"title = {toml_string(cat.title)}"]
    for app in config.apps:
        if app.from_catalog:
            continue
        out += ["", f"[apps.{toml_key(app.id)}]", f"title = {toml_string(app.title)}"]
        if app.category:
            out.append(f"category = {toml_string(app.category)}")
        if app.names:
            out.append(f"names = {_list(app.names)}")
        if app.paths:
            out.append(f"paths = {_list(app.paths)}")
        if app.cmdline:
            out.append(
                "cmdline = ["
                + ", ".join(
                    "'" + p.pattern + "'" if "'" not in p.pattern else toml_string(p.pattern)
                    for p in app.cmdline
                )
                + "]"
            )
    for child in config.children:
        out += ["", "[[child]]", f"name = {toml_string(child.name)}"]
        out.append(f"accounts = {_list(child.accounts)}")
        if child.birth_year is not None:
            out.append(f"birth_year = {child.birth_year}")
        if child.preset:
            out.append(f"preset = {toml_string(child.preset)}")
        if child.always_allowed:
            out.append(f"always_allowed = {_list(sorted(child.always_allowed))}")
        if child.idle_minutes is not None:
            out.append(f"idle_minutes = {_num(child.idle_minutes)}")
        if child.screen_action != "lock":
            out.append(f"screen_action = {toml_string(child.screen_action)}")
        for spec in child.limits:
            out += ["", f"[child.limits.{toml_key(spec.key)}]", *limit_table(spec)]
    return "\n".join(out) + "\n"
