"""The `playclock` command: parse, then run one handler."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from agent.exit_codes import ExitCode
from agent.i18n import set_language
from playclock.cli.common import cli_language
from playclock.cli.parser import build_parser

__all__ = ["main"]


def _early_options(argv: Sequence[str] | None) -> argparse.Namespace:
    """--config and --data-dir alone, before the real parser (its help is translated)."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--config")
    early.add_argument("--data-dir")
    known, _rest = early.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    return known


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `playclock` script."""
    early = _early_options(argv)
    set_language(cli_language(early.config, early.data_dir))
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return ExitCode.FAIL
    except BrokenPipeError:
        return ExitCode.OK
