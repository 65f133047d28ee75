"""What the agent costs: one tick with the real probe, and the real agent idling at 1 Hz.

Run: .venv/bin/python bench/bench_agent.py [--seconds 60] [--ticks 200]

1. Tick cost: a real runtime (`agent.compose.build`: SQLite ledger, PsutilSource, closer,
   trusted clock) ticked by hand, with 0, 100 and 1,000 extra `sleep` children of the
   current user, who is the child's account here: every extra process is a candidate the
   probe must read (the worst case). The first tick reads every process; "young" ticks
   are those while the new processes are under the probe's 5 s fork-then-exec window;
   "steady" ticks are the ones that matter for a machine that runs for hours.
2. The real `playclock agent` subprocess (poll_seconds = 1) idling for --seconds: CPU share
   from psutil's CPU times before and after, and its resident memory after start-up and
   at the end.

Prints Markdown tables and the machine. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

ROOT_DIR = Path(__file__).resolve().parents[1]
if str(ROOT_DIR) not in sys.path:
    sys.path.insert(0, str(ROOT_DIR))

from tests.support.hubserver import free_port  # noqa: E402
from tests.support.measure import cpu_model, median_p95  # noqa: E402

__all__ = ["main"]

SIZES = (0, 100, 1000)
YOUNG_SECONDS = 5.0  # PsutilSource's default window of re-reads for new processes


def rules(port: int, poll: float = 1.0) -> str:
    """Rules with the current account as the child, one custom game and a budget."""
    return f"""\
version = 1

[settings]
poll_seconds = {poll}
grace_seconds = 5
listen = "127.0.0.1:{port}"

[apps.fakegame]
title = "Fake Game"
category = "games"
names = ["fakegame"]

[categories.games]
title = "Games"

[[child]]
name = "An"
accounts = ["{getpass.getuser()}"]

[child.limits.games]
daily = 60

[child.limits.total]
daily = 180
"""





@contextmanager
def sleepers(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` sleeping children of this user, killed and reaped on the way out."""
    sleep = shutil.which("sleep") or "/bin/sleep"
    children: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            children.append(subprocess.Popen([sleep, "600"]))
        yield children
    finally:
        for child in children:
            child.kill()
        for child in children:
            child.wait()


# -- 1. tick cost -------------------------------------------------------------------------------


def tick_costs(extra: int, ticks: int, work: Path) -> dict[str, object]:
    """Milliseconds per Agent.tick() with `extra` more candidate processes."""
    from playclock.compose import build

    folder = work / f"tick-{extra}"
    folder.mkdir()
    config = folder / "rules.toml"
    config.write_text(rules(free_port()), encoding="utf-8")
    with sleepers(extra):
        spawned = time.monotonic()
        runtime = build(config, folder / "data")
        agent = runtime.agent
        agent.start()
        t0 = time.perf_counter()
        agent.tick()
        first = (time.perf_counter() - t0) * 1000
        young: list[float] = []
        while time.monotonic() - spawned < YOUNG_SECONDS - 0.5 and len(young) < 20:
            t0 = time.perf_counter()
            agent.tick()
            young.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.2)
        # Past the young window: what every tick of a long-running agent costs.
        while time.monotonic() - spawned < YOUNG_SECONDS + 1:
            time.sleep(0.1)
        steady: list[float] = []
        for _ in range(ticks):
            t0 = time.perf_counter()
            agent.tick()
            steady.append((time.perf_counter() - t0) * 1000)
        probe = agent.probe
        stats = getattr(probe, "stats", None)
        pids = getattr(stats, "pids", 0)
        candidates = len(probe.snapshot()) if probe is not None else 0
        agent.stop()
        runtime.ledger.close()
    med, p95 = median_p95(steady)
    ymed = statistics.median(young) if young else float("nan")
    return {
        "extra": extra,
        "pids": pids,
        "candidates": candidates,
        "first": first,
        "young": ymed,
        "median": med,
        "p95": p95,
        "ticks": ticks,
    }


# -- 2. the real agent idling -------------------------------------------------------------------


def agent_idle(seconds: float, work: Path) -> dict[str, float]:
    """CPU share and RSS of `playclock agent` idling at 1 Hz."""
    folder = work / "idle"
    folder.mkdir()
    port = free_port()
    config = folder / "rules.toml"
    config.write_text(rules(port, poll=1.0), encoding="utf-8")
    exe = Path(sys.executable).with_name("playclock")
    argv = [str(exe)] if exe.is_file() else [sys.executable, "-m", "playclock"]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    log = open(folder / "agent.log", "wb")  # noqa: SIM115 - closed below
    started = time.monotonic()
    proc = subprocess.Popen(
        [*argv, "--config", str(config), "--data-dir", str(folder / "data"), "agent"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the agent exited: {(folder / 'agent.log').read_text()}")
            try:
                with opener.open(f"http://127.0.0.1:{port}/api/v1/health", timeout=1) as r:
                    if json.loads(r.read()).get("ok"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the agent did not answer /health in 30 s")
            time.sleep(0.05)
        ready = time.monotonic() - started
        p = psutil.Process(proc.pid)
        time.sleep(3)  # let start-up work (imports, first ticks) settle out of the window
        rss_start = p.memory_info().rss
        c0, w0 = p.cpu_times(), time.monotonic()
        time.sleep(seconds)
        c1, w1 = p.cpu_times(), time.monotonic()
        rss_end = p.memory_info().rss
        threads = p.num_threads()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        log.close()
    cpu = (c1.user - c0.user) + (c1.system - c0.system)
    return {
        "seconds": w1 - w0,
        "cpu_seconds": cpu,
        "share": cpu / (w1 - w0),
        "rss_start": rss_start / 2**20,
        "rss_end": rss_end / 2**20,
        "ready": ready,
        "threads": threads,
        "exit": code,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle window (default 60)")
    parser.add_argument("--ticks", type=int, default=200, help="steady ticks per size")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="playclock-bench-") as tmp:
        work = Path(tmp)
        rows = [tick_costs(n, args.ticks, work) for n in SIZES]
        idle = agent_idle(args.seconds, work)

    print("## Machine\n")
    print(f"- CPU: {cpu_model()}, {os.cpu_count()} cores")
    print(f"- Python {platform.python_version()} ({sys.executable}), psutil {psutil.__version__}")
    print(f"- OS: {platform.platform()}; running as {getpass.getuser()}")
    print()
    print("## Agent.tick() with PsutilSource (every extra process is the child's)\n")
    print(
        "| extra processes | pids listed | child's processes | first tick ms "
        "| young ticks ms (median) | steady median ms | steady p95 ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['extra']:,} | {r['pids']:,} | {r['candidates']:,} | {r['first']:.1f} "
            f"| {r['young']:.1f} | {r['median']:.2f} | {r['p95']:.2f} |"
        )
    print(
        f"\nsteady: {rows[0]['ticks']} back-to-back ticks once the processes were "
        f"older than {YOUNG_SECONDS:g} s.\n"
    )
    print(f"## `playclock agent` idle, poll_seconds = 1, {idle['seconds']:.0f} s\n")
    print(
        "| CPU share | CPU seconds | RSS after start-up | RSS at the end | threads "
        "| start to /health | exit on SIGTERM |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {idle['share'] * 100:.2f} % of one core | {idle['cpu_seconds']:.2f} "
        f"| {idle['rss_start']:.1f} MiB | {idle['rss_end']:.1f} MiB | {idle['threads']:.0f} "
        f"| {idle['ready']:.2f} s | {idle['exit']:.0f} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
