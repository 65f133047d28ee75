"""playclock hub: serve the family hub."""

from __future__ import annotations

import argparse

__all__ = ["cmd_hub_serve"]


def cmd_hub_serve(args: argparse.Namespace) -> int:
    """Run the family hub in the foreground."""
    from sync.hub import serve

    return int(serve(args.db, args.listen))
