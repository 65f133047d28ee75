"""playclock hub: serve the family hub."""

from __future__ import annotations

import argparse

from agent.i18n import _
from playclock.cli.common import Subcommands

__all__ = ["cmd_hub_serve", "register"]


def cmd_hub_serve(args: argparse.Namespace) -> int:
    """Run the family hub in the foreground."""
    from sync.hub import serve

    return int(serve(args.db, args.listen))


def register(sub: Subcommands) -> None:
    """`hub serve`."""
    hub = sub.group("hub", _("the self-hostable family hub"))
    serve = hub.command("serve", cmd_hub_serve, _("serve the family hub"))
    serve.add_argument("--db", metavar="URL")
    serve.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:7380")
