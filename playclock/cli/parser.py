"""The `playclock` command line: the global options, then each handler module's commands."""

from __future__ import annotations

import argparse

from agent.i18n import _
from playclock.cli import hub, install, parent, report, rules, run, status, sync, tray
from playclock.cli.common import Parser, Subcommands

__all__ = ["build_parser"]

# In the order `playclock --help` lists them.
_MODULES = (run, tray, status, rules, parent, report, sync, hub, install)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
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
    for module in _MODULES:
        module.register(sub)
    return p
