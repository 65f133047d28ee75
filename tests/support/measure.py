"""What the benchmarks and the footprint tests share: the machine, percentiles, a burst."""

from __future__ import annotations

import getpass
import os
import platform
import signal
import statistics
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress

__all__ = ["CHILD", "burst", "cpu_model", "median_p95", "percentile"]

# The account whose processes are counted: a standard one when we are root.
CHILD = "nobody" if hasattr(os, "geteuid") and os.geteuid() == 0 else getpass.getuser()


def cpu_model() -> str:
    """The CPU's name, for the tables' machine line."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def percentile(samples: list[float], q: float) -> float:
    """The q-th quantile (0..1) of the samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median_p95(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile."""
    return statistics.median(samples), percentile(samples, 0.95)


@contextmanager
def burst(count: int, user: str = CHILD) -> Iterator[None]:
    """`count` sleeping processes of `user`, forked by one shell at once, killed after."""
    if count <= 0:
        yield
        return
    shell = subprocess.Popen(
        ["sh", "-c", f"i=0; while [ $i -lt {count} ]; do sleep 600 & i=$((i+1)); done; wait"],
        start_new_session=True,
        user=None if getpass.getuser() == user else user,
        cwd="/",
    )
    try:
        yield
    finally:
        with suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGKILL)
        shell.wait()
