"""The exit codes of every `playclock` command (the design's contract)."""

from __future__ import annotations

import enum

__all__ = ["ExitCode"]


class ExitCode(enum.IntEnum):
    """0 ok; 1 a negative answer or a failure; 2 bad input; 3 the PIN is locked out."""

    OK = 0
    FAIL = 1
    USAGE = 2
    LOCKED = 3
