"""Waiting in tests: poll a condition against a deadline instead of sleeping and hoping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import IO, AnyStr, TypeVar

__all__ = ["WaitTimeout", "wait_for_line", "wait_until"]

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """A condition did not become true in time (an AssertionError, so pytest shows a failure)."""


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 5.0,
    interval: float = 0.01,
    message: str = "",
) -> T:
    """Call predicate until it returns something truthy and return that; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            what = message or getattr(predicate, "__name__", repr(predicate))
            raise WaitTimeout(f"not true after {timeout:g} s: {what} (last value {value!r})")
        time.sleep(interval)


def wait_for_line(stream: IO[AnyStr], timeout: float = 5.0) -> AnyStr:
    """Read one line from a pipe (a child's stdout), failing after timeout instead of hanging."""
    box: list[AnyStr] = []
    reader = threading.Thread(target=lambda: box.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not box:
        raise WaitTimeout(f"no line from the stream after {timeout:g} s")
    if not box[0]:
        raise WaitTimeout("the stream ended before a line came")
    return box[0]
