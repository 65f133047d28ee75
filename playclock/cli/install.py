"""`playclock install` and `playclock uninstall`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from installer.install_flow import run_install, run_uninstall

__all__ = ["cmd_install", "cmd_uninstall"]


def cmd_install(args: argparse.Namespace) -> int:
    """Install the agent as a protected service, and the tray for every user."""
    root = Path(args.root) if args.root else None
    return run_install(root, args.dry_run, args.os_name, sys.stdout)


def cmd_uninstall(args: argparse.Namespace) -> int:
    """Remove the service; needs administrator rights and the parent PIN."""
    from agent.i18n import _
    from playclock.cli.parent import read_secret

    def verify_pin() -> bool:
        from playclock.cli.parent import pins_for

        try:
            return bool(pins_for(args).verify(read_secret(_("Parent PIN: "))).ok)
        except Exception as exc:  # no keyring, no PIN: refuse, and say why
            print(f"playclock: {exc}", file=sys.stderr)
            return False

    root = Path(args.root) if args.root else None
    return run_uninstall(root, args.dry_run, args.purge, args.os_name, verify_pin, sys.stdout)
