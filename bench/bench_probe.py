"""Tick cost of PsutilSource.snapshot() against a naive psutil pass and a bare /proc listing.

Run: .venv/bin/python bench/bench_probe.py  (about 20 s; prints a Markdown table)
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from agent.platform.probe import PsutilSource

ROOT_DIR = Path(__file__).resolve().parents[1]
if str(ROOT_DIR) not in sys.path:
    sys.path.insert(0, str(ROOT_DIR))

from tests.support.measure import cpu_model, median_p95  # noqa: E402

__all__ = ["main"]

SIZES = (100, 1000)
NAIVE_ATTRS = ["pid", "name", "exe", "cmdline", "create_time", "username"]
YOUNG_SECONDS = 5.0  # PsutilSource's default: younger processes are re-read every tick


def timings(action: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds for each of `runs` calls."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        out.append((time.perf_counter() - start) * 1000)
    return out




def spawn(count: int) -> list[subprocess.Popen[bytes]]:
    """Start `count` sleeping children."""
    return [subprocess.Popen(["sleep", "600"]) for _ in range(count)]


def wait_until_old(children: list[subprocess.Popen[bytes]]) -> None:
    """Sleep until the youngest child is past the probe's fork-then-exec window."""
    youngest = max(psutil.Process(c.pid).create_time() for c in children)
    time.sleep(max(0.0, youngest + YOUNG_SECONDS + 0.2 - time.time()))


def measure(extra: int) -> dict[str, float]:
    """All figures for the current number of processes."""
    row: dict[str, float] = {"extra": extra, "pids": len(psutil.pids())}
    row["listdir"], _ = median_p95(timings(lambda: os.listdir("/proc"), 50))
    cold = []
    for _ in range(3):
        fresh = PsutilSource()
        cold += timings(fresh.snapshot, 1)
    row["cold"] = statistics.median(cold)
    source = PsutilSource()
    source.snapshot()
    before = source.stats.total_full_reads
    row["tick_median"], row["tick_p95"] = median_p95(timings(source.snapshot, 100))
    row["reads"] = (source.stats.total_full_reads - before) / 100
    row["seen"] = len(source.snapshot())
    row["events"] = 1.0 if source.uses_events else 0.0
    source.close()
    # Without the kernel's process events (not root, a container): every process of the
    # watched accounts has its executable compared on every tick.
    polling = PsutilSource(events=False)
    polling.snapshot()
    row["poll_median"], row["poll_p95"] = median_p95(timings(polling.snapshot, 100))
    row["naive_median"], row["naive_p95"] = median_p95(
        timings(lambda: list(psutil.process_iter(NAIVE_ATTRS)), 10 if extra >= 1000 else 30)
    )
    return row


def main() -> None:
    """Spawn sleepers, measure at each size, print the table and the machine."""
    started = time.monotonic()
    children: list[subprocess.Popen[bytes]] = []
    rows = []
    try:
        for size in SIZES:
            children += spawn(size - len(children))
            wait_until_old(children)
            rows.append(measure(size))
        rss = psutil.Process().memory_info().rss / 2**20
    finally:
        for child in children:
            child.kill()
        for child in children:
            child.wait()
    print(
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"psutil {psutil.__version__}; {platform.system()}; running as uid {os.geteuid()}\n"
    )
    print(
        "| extra procs | pids | listdir /proc | PsutilSource tick median / p95 "
        "| without process events median / p95 "
        "| full reads per tick (mean) | PsutilSource cold first tick "
        "| naive process_iter median / p95 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['extra']:.0f} | {r['pids']:.0f} | {r['listdir']:.2f} ms "
            f"| {r['tick_median']:.2f} / {r['tick_p95']:.2f} ms "
            f"| {r['poll_median']:.2f} / {r['poll_p95']:.2f} ms | {r['reads']:.2f} "
            f"| {r['cold']:.1f} ms | {r['naive_median']:.1f} / {r['naive_p95']:.1f} ms |"
        )
    if rows and not rows[0]["events"]:
        print("\nThe kernel's process events were unavailable: both tick columns poll.")
    seen = ", ".join(f"{r['seen']:.0f}" for r in rows)
    wall = time.monotonic() - started
    print(f"\nReported (this account): {seen}. RSS: {rss:.1f} MiB. Took {wall:.0f} s.")


if __name__ == "__main__":
    main()
