"""playclock rules: check a rules file, list presets and the catalogue."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent.exit_codes import ExitCode
from agent.i18n import _
from agent.platform import paths
from agent.platform.timezone import resolve_timezone
from playclock.cli.common import Subcommands, error, file_language
from rules.catalog import BUILTIN_CATEGORIES, CATALOG
from rules.config import ConfigError, load_text
from rules.presets import example_toml, get, preset_names, preset_toml

__all__ = [
    "cmd_rules_catalog",
    "cmd_rules_check",
    "cmd_rules_example",
    "cmd_rules_preset",
    "cmd_rules_presets",
    "register",
]


def cmd_rules_check(args: argparse.Namespace) -> int:
    """Validate a rules file: errors as FILE:LINE: field: message, exit 2."""
    target = Path(args.file) if args.file else paths.find_config(args.config)
    if target is None:
        error(_("no rules file found; name one, or see 'playclock rules example'"))
        return ExitCode.USAGE
    file_language(target, args)
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        error(f"{target}: {getattr(exc, 'strerror', None) or exc}")
        return ExitCode.USAGE
    try:
        config = load_text(text, str(target))
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue.format(_), file=sys.stderr)
        return ExitCode.USAGE
    try:
        resolve_timezone(config.settings.timezone)
    except ValueError:
        print(
            f"{target}:1: settings.timezone: "
            + _("unknown time zone {name!r}").format(name=config.settings.timezone),
            file=sys.stderr,
        )
        return ExitCode.USAGE
    limits = sum(len(c.effective_limits()) for c in config.children)
    print(
        _("{file}: OK: {children} children, {apps} apps, {limits} limits").format(
            file=target, children=len(config.children), apps=len(config.apps), limits=limits
        )
    )
    return ExitCode.OK


def cmd_rules_presets(args: argparse.Namespace) -> int:
    """List the presets."""
    for name in preset_names():
        p = get(name)
        print(f"{name:<16} {p.title} — {p.description}")
    return ExitCode.OK


def cmd_rules_preset(args: argparse.Namespace) -> int:
    """Print one preset as a complete rules file."""
    if args.name not in preset_names():
        error(
            _("unknown preset {name!r}; known: {known}").format(
                name=args.name, known=", ".join(preset_names())
            )
        )
        return ExitCode.USAGE
    sys.stdout.write(preset_toml(args.name))
    return ExitCode.OK


def cmd_rules_catalog(args: argparse.Namespace) -> int:
    """List the catalogue."""
    for app_id, e in sorted(CATALOG.items()):
        category = BUILTIN_CATEGORIES.get(e.category or "", e.category or "")
        print(f"{app_id:<22} {e.title:<28} {category:<14} {', '.join(e.platforms)}")
    return ExitCode.OK


def cmd_rules_example(args: argparse.Namespace) -> int:
    """Print the example rules file."""
    sys.stdout.write(example_toml())
    return ExitCode.OK


def register(sub: Subcommands) -> None:
    """`rules check|presets|preset|catalog|example`."""
    rules = sub.group("rules", _("check rules, list presets and the catalogue"))
    rules.command("check", cmd_rules_check, _("validate a rules file")).add_argument(
        "file", nargs="?"
    )
    rules.command("presets", cmd_rules_presets, _("list the built-in presets"))
    rules.command(
        "preset", cmd_rules_preset, _("print a preset as a complete rules file")
    ).add_argument("name")
    rules.command("catalog", cmd_rules_catalog, _("list the games and apps PlayClock knows"))
    rules.command("example", cmd_rules_example, _("print the example rules file"))
