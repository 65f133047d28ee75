"""`playclock install` and `playclock uninstall`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent.i18n import _
from installer.install_flow import run_install, run_uninstall
from playclock.cli.common import Subcommands
from playclock.cli.parent import pins_for, read_secret

__all__ = ["cmd_install", "cmd_uninstall", "register"]


def cmd_install(args: argparse.Namespace) -> int:
    """Install the agent as a protected service, and the tray for every user."""
    root = Path(args.root) if args.root else None
    return run_install(root, args.dry_run, args.os_name, sys.stdout)


def cmd_uninstall(args: argparse.Namespace) -> int:
    """Remove the service; needs administrator rights and the parent PIN."""

    def verify_pin() -> bool:
        try:
            return bool(pins_for(args).verify(read_secret(_("Parent PIN: "))).ok)
        except Exception as exc:  # no keyring, no PIN: refuse, and say why
            print(f"playclock: {exc}", file=sys.stderr)
            return False

    root = Path(args.root) if args.root else None
    return run_uninstall(root, args.dry_run, args.purge, args.os_name, verify_pin, sys.stdout)


def register(sub: Subcommands) -> None:
    """`install` and `uninstall`."""
    inst = sub.command("install", cmd_install, _("install as a protected service"))
    inst.add_argument("--dry-run", action="store_true")
    inst.add_argument("--root", metavar="DIR")
    inst.add_argument("--os", choices=("linux", "windows", "macos"), dest="os_name")
    un = sub.command("uninstall", cmd_uninstall, _("remove the service (asks for the PIN)"))
    un.add_argument("--dry-run", action="store_true")
    un.add_argument("--root", metavar="DIR")
    un.add_argument("--purge", action="store_true", help=_("also delete usage data"))
    un.add_argument("--os", choices=("linux", "windows", "macos"), dest="os_name")
