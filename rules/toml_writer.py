"""Writing a Config back as `rules.toml` text that loads to the same Config."""

from __future__ import annotations

import json
from collections.abc import Iterable

from rules.catalog import BUILTIN_CATEGORIES
from rules.model import Config, LimitSpec, Settings, Window

__all__ = ["dump_config", "limit_table"]


def _s(value: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_s(v) for v in values) + "]"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _windows(windows: Iterable[Window]) -> str:
    # "00:00-24:00" loads as Window(0, 0), whose str() "00:00-00:00" would not load.
    return _list(f"{_hhmm(w.start)}-24:00" if w.start == w.end else str(w) for w in windows)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _settings(s: Settings) -> list[str]:
    return [
        "[settings]",
        f"poll_seconds = {_num(s.poll_seconds)}",
        f"day_starts = {_s(_hhmm(s.day_starts))}",
        "warn_minutes = [" + ", ".join(str(m) for m in s.warn_minutes) + "]",
        f"grace_seconds = {_num(s.grace_seconds)}",
        f"locale = {_s(s.locale)}",
        f"listen = {_s(s.listen)}",
        f"timezone = {_s(s.timezone)}",
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


def _key(key: str) -> str:
    return key if key.replace("-", "").replace("_", "").isalnum() and key.isascii() else _s(key)


def dump_config(config: Config, header: str = "") -> str:
    """TOML text for a config; catalogue apps and presets stay references."""
    out: list[str] = [f"# {line}" if line else "#" for line in header.splitlines()]
    out.append("version = 1")
    if config.catalog:  # a root-table key: it must come before the first [table]
        out.append(f"catalog = {_list(config.catalog)}")
    out += ["", *_settings(config.settings)]
    for cat in config.categories:
        if BUILTIN_CATEGORIES.get(cat.id) != cat.title:
            out += ["", f"[categories.{_key(cat.id)}]", f"title = {_s(cat.title)}"]
    for app in config.apps:
        if app.from_catalog:
            continue
        out += ["", f"[apps.{_key(app.id)}]", f"title = {_s(app.title)}"]
        if app.category:
            out.append(f"category = {_s(app.category)}")
        if app.names:
            out.append(f"names = {_list(app.names)}")
        if app.paths:
            out.append(f"paths = {_list(app.paths)}")
        if app.cmdline:
            out.append(
                "cmdline = ["
                + ", ".join(
                    "'" + p.pattern + "'" if "'" not in p.pattern else _s(p.pattern)
                    for p in app.cmdline
                )
                + "]"
            )
    for child in config.children:
        out += ["", "[[child]]", f"name = {_s(child.name)}", f"accounts = {_list(child.accounts)}"]
        if child.birth_year is not None:
            out.append(f"birth_year = {child.birth_year}")
        if child.preset:
            out.append(f"preset = {_s(child.preset)}")
        if child.always_allowed:
            out.append(f"always_allowed = {_list(sorted(child.always_allowed))}")
        for spec in child.limits:
            out += ["", f"[child.limits.{_key(spec.key)}]", *limit_table(spec)]
    return "\n".join(out) + "\n"
