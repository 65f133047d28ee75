"""What every command handler shares: one-line errors and the rules it works on."""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Callable

from agent.exit_codes import ExitCode
from agent.i18n import _, resolve
from agent.platform import paths
from agent.service.rules_file import ConfigSource

__all__ = ["Handler", "Parser", "Subcommands", "error", "load_source", "report_issues"]

Handler = Callable[[argparse.Namespace], int]


def error(message: str) -> None:
    """Print one clear line on stderr, as every command does for a failure."""
    print(f"playclock: {message}", file=sys.stderr)


def load_source(args: argparse.Namespace) -> ConfigSource:
    """The rules named by --config/$PLAYCLOCK_CONFIG, a saved one, or the demo."""
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


def report_issues(source: ConfigSource) -> int:
    """Print every problem of broken rules; the usage exit code."""
    for issue in source.error or []:
        print(issue.format(_), file=sys.stderr)
    return ExitCode.USAGE


class Parser(argparse.ArgumentParser):
    """argparse with the design's exit code 2 and one clear line on bad usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"playclock: {message}", file=sys.stderr)
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
