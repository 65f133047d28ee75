"""What every command handler shares: one-line errors and the rules it works on."""

from __future__ import annotations

import argparse
import sys

from agent.exit_codes import ExitCode
from agent.i18n import _
from agent.platform import paths
from agent.service.rules_file import ConfigSource

__all__ = ["error", "load_source", "report_issues"]


def error(message: str) -> None:
    """Print one clear line on stderr, as every command does for a failure."""
    print(f"playclock: {message}", file=sys.stderr)


def load_source(args: argparse.Namespace) -> ConfigSource:
    """The rules named by --config/$PLAYCLOCK_CONFIG, a saved one, or the demo."""
    data = paths.data_dir(args.data_dir)
    found = paths.find_config(args.config)
    saved = data / "rules.toml"
    if found is None and saved.is_file():
        found = saved
    source = ConfigSource(found, save_path=saved)
    source.load()
    return source


def report_issues(source: ConfigSource) -> int:
    """Print every problem of broken rules; the usage exit code."""
    for issue in source.error or []:
        print(issue.format(_), file=sys.stderr)
    return ExitCode.USAGE
