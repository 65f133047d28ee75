"""The `playclock` command line: the global options, then each handler module's commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from types import ModuleType

from agent.i18n import _
from playclock.cli.common import Parser, Subcommands

__all__ = ["build_parser", "command_of"]

# Global options that take a value: what follows them is not the command.
_VALUED = ("--config", "--data-dir")


def command_of(argv: Sequence[str]) -> str | None:
    """The command word of a command line (None when there is none, e.g. `--help`)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif "=" not in arg and len(arg) > 2 and any(v.startswith(arg) for v in _VALUED):
            skip = True  # argparse also takes an unambiguous prefix (`--conf FILE`)
        elif not arg.startswith("-"):
            return arg
    return None


def _modules(command: str | None) -> tuple[ModuleType, ...]:
    """The handler modules to register, in the order `playclock --help` lists them.

    The imports are here, not at the top: `playclock agent`, `run` and `tray` run for hours,
    so they load only their own module and not every other command's dependencies (the
    reports, the installer, the sync client): a lighter agent and tray (issue 15).
    """
    if command in ("run", "agent"):
        from playclock.cli import run

        return (run,)
    if command == "tray":
        from playclock.cli import tray

        return (tray,)
    from playclock.cli import hub, install, parent, report, rules, run, status, sync, tray

    return (run, tray, status, rules, parent, report, sync, hub, install)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `command`, only the module of that command (lighter)."""
    p = Parser(
        prog="playclock",
        description=_("PlayClock: screen-time limits for children, kept on this computer."),
        epilog=_(
            "Exit codes: 0 ok, 1 a negative answer or a failure, 2 bad input. "
            "Help for children: call 111 (free, 24/7)."
        ),
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help=_("rules file (default: $PLAYCLOCK_CONFIG, else the usual places)"),
    )
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help=_("where the ledger lives (default: $PLAYCLOCK_DATA_DIR, else the usual place)"),
    )
    sub = Subcommands(p, "command", "COMMAND")
    for module in _modules(command):
        module.register(sub)
    return p
