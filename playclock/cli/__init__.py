"""The `playclock` command: parse, then run one handler."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agent.exit_codes import ExitCode

if TYPE_CHECKING:
    import argparse

__all__ = ["TRAY_STATE", "main"]

# What `playclock tray` hands over to its fresh process (playclock.cli.tray_run), which
# loads none of the command line's modules.
TRAY_STATE = "PLAYCLOCK_TRAY_STATE"


def _early_options(argv: Sequence[str] | None) -> argparse.Namespace:
    """--config and --data-dir alone, before the real parser (its help is translated)."""
    import argparse

    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--config")
    early.add_argument("--data-dir")
    known, _rest = early.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    return known


def _command(argv: Sequence[str] | None, words: list[str]) -> int:
    """Parse the command line in the family's language and run its handler."""
    from agent.i18n import set_language
    from playclock.cli.common import cli_language
    from playclock.cli.parser import build_parser, command_of

    early = _early_options(argv)
    set_language(cli_language(early.config, early.data_dir))
    args = build_parser(command_of(words)).parse_args(words)
    return int(args.func(args))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `playclock` script."""
    words = sys.argv[1:] if argv is None else list(argv)
    state = os.environ.pop(TRAY_STATE, None)  # never passed on to what the tray starts
    try:
        if state is not None and "tray" in words:
            from playclock.cli.tray_run import resume

            return resume(state)
        return _command(argv, words)
    except KeyboardInterrupt:
        return ExitCode.FAIL
    except BrokenPipeError:
        return ExitCode.OK
