"""The `playclock` command: parse, then run one handler."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from agent.exit_codes import ExitCode
from agent.i18n import resolve, set_language
from playclock.cli.parser import build_parser, command_of

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `playclock` script."""
    set_language(resolve(os.environ.get("PLAYCLOCK_LANG")))
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(command_of(words)).parse_args(words)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return ExitCode.FAIL
    except BrokenPipeError:
        return ExitCode.OK
