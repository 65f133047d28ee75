"""What every command handler shares: one-line errors and the rules it works on."""

from __future__ import annotations

import argparse
import os
import re
import sys
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.exit_codes import ExitCode
from agent.i18n import _, resolve, set_language
from agent.platform import paths

if TYPE_CHECKING:
    from agent.service.rules_file import ConfigSource

__all__ = [
    "Handler",
    "Parser",
    "Subcommands",
    "error",
    "file_language",
    "load_source",
    "report_issues",
]

Handler = Callable[[argparse.Namespace], int]


def error(message: str) -> None:
    """Print one clear line on stderr, as every command does for a failure."""
    print(f"playclock: {message}", file=sys.stderr)


def load_source(args: argparse.Namespace) -> ConfigSource:
    """The rules named by --config/$PLAYCLOCK_CONFIG, a saved one, or the demo."""
    # Here, not at the top: the tray imports this module and keeps no rules checker.
    from agent.service.rules_file import ConfigSource

    data = paths.data_dir(args.data_dir)
    found = paths.find_config(args.config)
    saved = data / "rules.toml"
    if found is None and saved.is_file():
        found = saved
    source = ConfigSource(found, save_path=saved)
    source.load()
    return source


def rules_locale(config: str | None, data: str | None) -> str | None:
    """`settings.locale` of the rules the command would use (None: none, or unreadable).

    Read on its own, before the parser is built, so that even --help speaks the family's
    language; a broken file is left to the command to report.
    """
    found = paths.find_config(config)
    if found is None:
        saved = paths.data_dir(data) / "rules.toml"
        found = saved if saved.is_file() else None
    if found is None:
        return None
    try:
        settings = tomllib.loads(found.read_text(encoding="utf-8")).get("settings", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    locale = settings.get("locale") if isinstance(settings, dict) else None
    return locale if isinstance(locale, str) else None


def cli_language(config: str | None, data: str | None, *fallbacks: str | None) -> str:
    """One rule for every entry point: $PLAYCLOCK_LANG, the rules' `settings.locale`, then
    the given fallbacks (the tray: the agent's locale), then the OS ("auto" passes on)."""
    for setting in (os.environ.get("PLAYCLOCK_LANG"), rules_locale(config, data), *fallbacks):
        if setting and setting != "auto":
            return resolve(setting)
    return resolve(None)


def file_language(file: Path, args: argparse.Namespace) -> None:
    """Speak the language of a rules file a command works on (`rules check FILE`).

    The one rule, with that file as "the rules": $PLAYCLOCK_LANG, the file's
    `settings.locale`, then the rules the command would otherwise use, then the OS.
    """
    usual = rules_locale(args.config, args.data_dir)
    set_language(cli_language(str(file), args.data_dir, usual))


def report_issues(source: ConfigSource) -> int:
    """Print every problem of broken rules; the usage exit code."""
    for issue in source.error or []:
        print(issue.format(_), file=sys.stderr)
    return ExitCode.USAGE


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated where used."""
    return message


# argparse's own words (Python 3.11-3.13) are looked up in the standard library's gettext
# domain, which PlayClock does not use: it would follow the OS locale, not the family's
# language, and would need compiled catalogs on disk. Their msgids are marked here so that
# tools/i18n.py keeps them in our one catalog; `Parser` and `Formatter` use them where
# argparse writes its help, and `Parser.error` translates argparse's finished messages.
_ARGPARSE_ERRORS = (
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("unrecognized arguments: %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("expected %s argument"),
    N_("expected %s arguments"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("ignored explicit argument %r"),
)
_TYPE_NAMES = {"int": N_("whole number"), "float": N_("number")}
_FIELD = re.compile(r"%\((\w+)\)[rs]|%[rs]")


@cache
def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression that matches what argparse made of `template`."""
    parts: list[str] = []
    pos = 0
    for n, field in enumerate(_FIELD.finditer(template)):
        parts.append(re.escape(template[pos : field.start()]))
        parts.append(f"(?P<{field.group(1) or f'_{n}'}>.+?)")
        pos = field.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts), re.DOTALL)


def argparse_message(message: str) -> str:
    """One of argparse's error messages in the current language (unknown ones unchanged)."""
    for template in _ARGPARSE_ERRORS:
        found = _pattern(template).fullmatch(message)
        if found is None:
            continue
        values = found.groupdict()
        if values.get("type") in _TYPE_NAMES:  # "invalid int value": the type for people
            values["type"] = _(_TYPE_NAMES[values["type"]])
        if "message" in values:  # "argument X: <another of argparse's messages>"
            values["message"] = argparse_message(values["message"])
        return _render(_(template), values)
    return message


def _render(template: str, values: dict[str, str]) -> str:
    """`template` with argparse's values put back as they were written (%r already done)."""
    positional = iter(v for k, v in values.items() if k.startswith("_"))

    def value(field: re.Match[str]) -> str:
        return values[field.group(1)] if field.group(1) else next(positional, "")

    return _FIELD.sub(value, template)


class Formatter(argparse.HelpFormatter):
    """argparse's help, with "usage:" in the current language."""

    def add_usage(
        self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None
    ) -> None:
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """argparse with the design's exit code 2, one clear line on bad usage, and its own
    words (usage, options, help, errors) in the current language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = _("show this help message and exit")

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"playclock: {argparse_message(message)}", file=sys.stderr)
        raise SystemExit(ExitCode.USAGE)


class Subcommands:
    """Where a handler module adds its commands: `command` for one, `group` for a family."""

    def __init__(self, parser: argparse.ArgumentParser, dest: str, metavar: str) -> None:
        self._sub = parser.add_subparsers(
            dest=dest, metavar=metavar, required=True, parser_class=Parser
        )

    def command(self, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        """A command that runs `handler`; returns its parser for the arguments."""
        parser = self._sub.add_parser(name, help=help_text, description=help_text)
        parser.set_defaults(func=handler)
        return parser

    def group(self, name: str, help_text: str) -> Subcommands:
        """A command with actions of its own (`playclock rules check`)."""
        parser = self._sub.add_parser(name, help=help_text, description=help_text)
        return Subcommands(parser, f"{name}_command", "ACTION")
