"""Weekly report from a year of ledger data written the agent's way (1 Hz ticks, flushed every 5 s).

Run: .venv/bin/python bench/bench_report.py  (about a minute; prints a Markdown table)
Options: --days N (365), --keep DIR (write and keep the ledger there), --seed N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from agent.ledger.sqlite import SqliteLedger
from agent.ledger.store import Event, UsageRecord
from agent.reports import build_report, render_csv, render_html, render_json, render_text
from agent.reports.iso_weeks import format_week, last_complete_week
from rules.config import load_text
from rules.presets import example_toml
from rules.timeutil import day_start

ROOT_DIR = Path(__file__).resolve().parents[1]
if str(ROOT_DIR) not in sys.path:
    sys.path.insert(0, str(ROOT_DIR))

from tests.support.measure import cpu_model  # noqa: E402

__all__ = ["main"]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LAST_DAY = dt.date(2026, 11, 29)  # a Sunday: the report is of the week that ends then
FLUSH_TICKS = 5  # the agent makes usage durable every few seconds
# (child, apps it plays, daily hours low-high)
CHILDREN = (
    ("An", ("minecraft", "roblox", "fortnite", "chrome", "discord"), (2.0, 4.0)),
    ("Bình", ("roblox", "minecraft", "coccoc"), (1.5, 3.0)),
    ("Chi", ("league-of-legends", "fc-online", "chrome", "discord", "steam"), (2.5, 4.0)),
)
CATEGORY = {
    "minecraft": "games",
    "roblox": "games",
    "fortnite": "games",
    "league-of-legends": "games",
    "fc-online": "games",
    "steam": "games",
    "chrome": "browsers",
    "coccoc": "browsers",
    "discord": "chat",
}



def sessions(
    rng: random.Random, apps: tuple[str, ...], hours: tuple[float, float]
) -> list[tuple[int, int, str]]:
    """(start, end, app) in seconds after 15:00 for one child's afternoon and evening."""
    left = int(rng.uniform(*hours) * 3600)
    out: list[tuple[int, int, str]] = []
    t = rng.randint(0, 1800)
    while left > 0 and t < 7 * 3600:
        length = min(left, rng.randint(15, 75) * 60)
        out.append((t, t + length, rng.choice(apps)))
        left -= length
        t += length + rng.randint(0, 20) * 60
    return out


def simulate_day(ledger: SqliteLedger, day: dt.date, rng: random.Random) -> int:
    """One day's ticks: every second someone plays, add a second per key; flush every 5."""
    plan = {name: sessions(rng, apps, hours) for name, apps, hours in CHILDREN}
    edges = sorted({t for segs in plan.values() for s, e, _a in segs for t in (s, e)})
    ticks = 0
    for start, end in itertools.pairwise(edges):
        tick: dict[UsageRecord, float] = {}
        for name, segs in plan.items():
            app = next((a for s, e, a in segs if s <= start < e), None)
            if app is not None:
                tick[(day, name, "app", app)] = 1.0
                tick[(day, name, "category", CATEGORY[app])] = 1.0
                tick[(day, name, "total", "total")] = 1.0
        if not tick:
            continue
        for _second in range(end - start):
            ledger.add_usage(tick)
            ticks += 1
            if ticks % FLUSH_TICKS == 0:
                ledger.flush()
    ledger.flush()
    afternoon = day_start(day, 15 * 60, TZ)
    for name, segs in plan.items():
        for s, _e, _app in segs[:3]:
            when = afternoon + dt.timedelta(seconds=s + 1800)
            ledger.add_event(Event("reminder", when, day, name, "games", {"minutes": 30}))
        if rng.random() < 0.4:
            when = afternoon + dt.timedelta(hours=3)
            ledger.add_event(Event("warning", when, day, name, "total", {"minutes": 10}))
            ledger.add_event(
                Event(
                    "close",
                    when + dt.timedelta(minutes=10),
                    day,
                    name,
                    segs[-1][2] if segs else "minecraft",
                    {"limit": "total", "reason": "budget", "pids": [4242]},
                )
            )
        if rng.random() < 0.15:
            ledger.add_grant(day, name, "*", 900)
            ledger.add_event(Event("grant", afternoon, day, name, "*", {"minutes": 15}, "parent"))
    night = day_start(day, 23 * 60, TZ)
    ledger.add_event(Event("agent_stop", night, day))
    morning = night + dt.timedelta(hours=8)
    ledger.add_event(
        Event(
            "gap",
            morning,
            day + dt.timedelta(days=1),
            detail={"from": night.isoformat(), "to": morning.isoformat(), "seconds": 8 * 3600},
        )
    )
    ledger.add_event(Event("agent_start", morning, day + dt.timedelta(days=1)))
    return ticks


def best_of(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """(first run, median of the rest) in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times[0], statistics.median(times[1:] or times)


def main(argv: list[str] | None = None) -> int:
    """Generate the year, then time building and rendering the last week's report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--keep", metavar="DIR")
    ap.add_argument("--seed", type=int, default=147)
    args = ap.parse_args(argv)
    # tmpfs when there is one: generating a year of ticks is I/O-bound, reading it back is not.
    scratch = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    folder = (
        Path(args.keep)
        if args.keep
        else Path(tempfile.mkdtemp(prefix="playclock-bench-", dir=scratch))
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ledger.sqlite"
    path.unlink(missing_ok=True)
    rng = random.Random(args.seed)
    config = load_text(example_toml().replace('timezone = "auto"', 'timezone = "Asia/Ho_Chi_Minh"'))
    ledger = SqliteLedger(path)
    first = LAST_DAY - dt.timedelta(days=args.days - 1)
    start = time.perf_counter()
    ticks = sum(simulate_day(ledger, first + dt.timedelta(days=i), rng) for i in range(args.days))
    generate = time.perf_counter() - start
    ledger.close()

    ledger = SqliteLedger(path)
    week = last_complete_week(LAST_DAY + dt.timedelta(days=1))
    report = build_report(ledger, config, week, None, TZ)
    build = best_of(lambda: build_report(ledger, config, week, None, TZ), 7)
    html = best_of(lambda: render_html(report, "vi"), 7)
    total = best_of(lambda: render_html(build_report(ledger, config, week, None, TZ), "en"), 7)
    others = {
        "json": best_of(lambda: render_json(report), 7),
        "csv": best_of(lambda: render_csv(report), 7),
        "text": best_of(lambda: render_text(report, "en"), 7),
    }
    rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM usage").fetchone()[0]
    events = sqlite3.connect(path).execute("SELECT COUNT(*) FROM events").fetchone()[0]
    size = path.stat().st_size + sum(
        p.stat().st_size for p in folder.glob("ledger.sqlite-*") if p.is_file()
    )
    ledger.close()
    week_total = sum(c.total.week for c in report.children) / 3600

    print(f"## Weekly report benchmark ({format_week(week)}, {args.days} days of ledger)\n")
    print("| what | value |")
    print("|---|---|")
    print(
        f"| machine | {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()} |"
    )
    print(f"| Python / SQLite | {platform.python_version()} / {sqlite3.sqlite_version} |")
    print(
        f"| generated | {ticks:,} ticks (1 Hz, 3 children), flushed every {FLUSH_TICKS} "
        f"ticks; {rows:,} usage rows, {events:,} events, {size / 1e6:.1f} MB in {folder.parent} |"
    )
    print(f"| time to generate | {generate:.1f} s ({ticks / generate:,.0f} ticks/s) |")
    print(f"| report week | {week_total:.1f} h of use across the children |")
    print(f"| build_report (first / median) | {build[0]:.1f} ms / {build[1]:.1f} ms |")
    print(f"| render_html (first / median) | {html[0]:.1f} ms / {html[1]:.1f} ms |")
    for name, (a, b) in others.items():
        print(f"| render_{name} (first / median) | {a:.1f} ms / {b:.1f} ms |")
    verdict = "met" if total[1] < 1000 else "MISSED"
    print(
        f"| **build + render HTML** (first / median) | **{total[0]:.1f} ms / {total[1]:.1f} ms** "
        f"(target < 1000 ms: {verdict}) |"
    )
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if total[1] < 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
