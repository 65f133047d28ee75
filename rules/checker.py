"""Collecting config problems: each with its file, line, field path and message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rules.locate import Locator
from rules.model import Window
from rules.timeutil import parse_window

__all__ = ["N_", "Checker", "ConfigError", "ConfigIssue", "format_number"]


def N_(message: str) -> str:
    """Mark a message for translation; the caller translates it (the core does no I/O)."""
    return message


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file."""

    file: str
    line: int
    path: str
    template: str
    args: Mapping[str, object] = field(default_factory=dict)

    def message(self, translate: Callable[[str], str] = N_) -> str:
        """The message, translated by `translate` (type names inside it too)."""
        args = {
            k: translate(v) if k in ("expected", "got") and isinstance(v, str) else v
            for k, v in self.args.items()
        }
        return translate(self.template).format(**args)

    def format(self, translate: Callable[[str], str] = N_) -> str:
        """`FILE:LINE: field.path: message`."""
        return f"{self.file}:{self.line}: {self.path}: {self.message(translate)}"

    def __str__(self) -> str:
        return self.format()


class ConfigError(ValueError):
    """A config file that cannot be used, with all its issues."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


_TYPE_NAMES = {
    bool: N_("true or false"),
    int: N_("a whole number"),
    float: N_("a number"),
    str: N_("a string"),
    list: N_("a list"),
    dict: N_("a table"),
}


def _type_name(value: object) -> str:
    for t, name in _TYPE_NAMES.items():
        if type(value) is t:
            return name
    return type(value).__name__


class Checker:
    """Collects issues while walking the parsed TOML."""

    def __init__(self, text: str, filename: str) -> None:
        self.file = filename
        self.locator = Locator(text)
        self.issues: list[ConfigIssue] = []

    def error(self, path: str, template: str, **args: object) -> None:
        self.issues.append(ConfigIssue(self.file, self.locator.line(path), path, template, args))

    def keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        for key in table:
            if key not in allowed:
                self.error(
                    f"{path}.{key}" if path else key,
                    N_("unknown key; expected one of: {allowed}"),
                    allowed=", ".join(allowed),
                )

    def typed(self, value: object, kind: type, path: str) -> bool:
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            self.error(
                path,
                N_("expected {expected}, got {got}"),
                expected=_TYPE_NAMES.get(kind, kind.__name__),
                got=_type_name(value),
            )
        return ok

    def number(
        self,
        table: Mapping[str, Any],
        key: str,
        path: str,
        lo: float,
        hi: float,
        default: float,
        kind: type = float,
    ) -> float:
        if key not in table:
            return default
        value = table[key]
        if not self.typed(value, kind, f"{path}.{key}"):
            return default
        if not lo <= value <= hi:
            self.error(
                f"{path}.{key}",
                N_("must be between {lo} and {hi}, got {value}"),
                lo=format_number(lo),
                hi=format_number(hi),
                value=value,
            )
            return default
        return float(value) if kind is float else value

    def strings(self, value: object, path: str) -> tuple[str, ...]:
        if not self.typed(value, list, path):
            return ()
        out: list[str] = []
        items: list[Any] = value  # type: ignore[assignment]
        for i, item in enumerate(items):
            if self.typed(item, str, f"{path}[{i}]"):
                out.append(item)
        return tuple(out)

    def windows(self, value: object, path: str) -> tuple[Window, ...]:
        out: list[Window] = []
        for i, text in enumerate(self.strings(value, path)):
            window = parse_window(text)
            if window is None:
                self.error(
                    f"{path}[{i}]",
                    N_(
                        "expected a window as HH:MM-HH:MM (00:00 to 24:00, start and end "
                        "different), got {value!r}"
                    ),
                    value=text,
                )
            else:
                out.append(window)
        return tuple(out)


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
