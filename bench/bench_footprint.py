"""What the running agent and tray cost, each next to its baseline in the same run.

Run (as root, with the `nobody` account; about 6 minutes):
     .venv/bin/python bench/bench_footprint.py [--seconds 60] [--extra 1000]
     [--only agent,burst,api,tray,close]

- agent: the real `playclock agent` (poll_seconds = 1) with `--extra` sleeping processes of the
  child's account (`nobody` when run as root, else this user), CPU share and RSS over
  `--seconds` once the agent has read them all; next to it, in the same run
  and with the same processes, a naive 1 Hz loop of `psutil.process_iter(["name", "exe",
  "cmdline"])` (what a watcher without a cache costs).
- burst: a real runtime ticked in this process at 1 Hz while `--extra` processes of the child
  start at once (a shell forks them): the slowest tick and the ticks' median, next to one
  naive `process_iter` pass over the same processes.
- api: `GET /api/v1/status` at 50 requests/s from another process for `--seconds` while the
  agent ticks at 1 Hz with the extra processes; `GET /api/v1/health` (nothing behind it) is
  the baseline.
- tray: the real `playclock tray` under Xvfb and trayer against a real agent, idle: CPU share
  and RSS over `--seconds` (needs Xvfb, trayer, xdotool).
- The floor of each process's RSS in the same run: an interpreter that imports the agent's
  stack (FastAPI, uvicorn, APScheduler, psutil, SQLite) or the tray's (Tk with a root window,
  Pillow, pystray and python-xlib) and does nothing else.

Prints the targets next to their baselines in one Markdown table (with the load average as
each section ended), then each section's table and the machine. Not a test.
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
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.hubserver import free_port  # noqa: E402
from tests.support.measure import CHILD, burst, cpu_model, percentile  # noqa: E402

__all__ = ["main"]

PLAYCLOCK = Path(sys.executable).with_name("playclock")
# The child's account: a standard one, as on a family computer (`nobody` when run as root,
# so that root's own processes on this machine are not the child's), else this user.
SLEEP = ["sleep", "600"]
# The agent's libraries (its API is plain Starlette since issue 15's third round, no FastAPI).
AGENT_FLOOR = (
    "import time, sqlite3, psutil, starlette.applications, uvicorn\n"
    "import apscheduler.schedulers.background\n"
    "time.sleep(60)"
)
TRAY_FLOOR = (
    "import time, tkinter, PIL.Image, PIL.ImageDraw, PIL.ImageFont, pystray, Xlib.display\n"
    "root = tkinter.Tk(); root.withdraw(); root.update(); time.sleep(60)"
)
NAIVE = textwrap.dedent(
    """
    import sys, time, psutil
    end = time.monotonic() + float(sys.argv[1])
    while time.monotonic() < end:
        t = time.monotonic()
        for p in psutil.process_iter(["name", "exe", "cmdline"]):
            pass
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t)))
    """
)
LOAD = textwrap.dedent(
    """
    import http.client, json, sys, time
    port, path = int(sys.argv[1]), sys.argv[2]
    rate, seconds = float(sys.argv[3]), float(sys.argv[4])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    out, errors = [], 0
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < seconds:
        due = start + n / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                errors += 1
        except OSError:
            errors += 1
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        out.append((time.perf_counter() - t0) * 1000)
        n += 1
    print(json.dumps({"ms": out, "errors": errors}))
    """
)


def rules(port: int, user: str | None = None, games: int = 60) -> str:
    """Rules with this account (or `user`) as the child, one game and budgets."""
    return f"""\
version = 1

[settings]
poll_seconds = 1
grace_seconds = 5
listen = "127.0.0.1:{port}"
locale = "en"

[apps.fakegame]
title = "Fake Game"
category = "games"
names = ["fakegame"]

[categories.games]
title = "Games"

[[child]]
name = "An"
accounts = ["{user or CHILD}"]

[child.limits.games]
daily = {games}

[child.limits.total]
daily = 180
"""






def wait_for_processes(count: int, timeout: float = 60.0) -> None:
    """Until `count` more `sleep 600` run (the shell forks them over a second or two)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = sum(1 for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == SLEEP)
        if n >= count:
            return
        time.sleep(0.2)
    raise SystemExit(f"only {n} of {count} sleepers started")


def cpu_share(pid: int, seconds: float) -> tuple[float, float]:
    """(share of one core, RSS MiB at the end) of a process over `seconds`."""
    p = psutil.Process(pid)
    c0, w0 = p.cpu_times(), time.monotonic()
    time.sleep(seconds)
    c1, w1 = p.cpu_times(), time.monotonic()
    rss = p.memory_info().rss / 2**20
    return ((c1.user - c0.user) + (c1.system - c0.system)) / (w1 - w0), rss


@contextmanager
def running_agent(work: Path, env: dict[str, str] | None = None) -> Iterator[tuple[int, int]]:
    """`playclock agent` on a free port: (pid, port) once /health answers."""
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = work / "rules.toml"
    config.write_text(rules(port), encoding="utf-8")

    argv = [str(PLAYCLOCK)] if PLAYCLOCK.is_file() else [sys.executable, "-m", "playclock"]
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    log = (work / "agent.log").open("wb")
    proc = subprocess.Popen(
        [*argv, "--config", str(config), "--data-dir", str(work / "data"), "agent"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**base, **(env or {})},
        start_new_session=True,
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the agent exited: {(work / 'agent.log').read_text()}")
            try:
                with opener.open(f"http://127.0.0.1:{port}/api/v1/health", timeout=1) as r:
                    if json.loads(r.read()).get("ok"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the agent did not answer /health in 60 s")
            time.sleep(0.05)
        yield proc.pid, port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# -- the sections --------------------------------------------------------------------------------


def agent_section(extra: int, seconds: float, work: Path) -> dict[str, float]:
    with burst(extra):
        wait_for_processes(extra)
        with running_agent(work / "agent") as (pid, _port):
            time.sleep(25)  # start-up, and every process read (a burst is read over ticks)
            share, rss = cpu_share(pid, seconds)
        naive = subprocess.Popen([sys.executable, "-c", NAIVE, str(seconds + 2)])
        time.sleep(1)
        naive_share, naive_rss = cpu_share(naive.pid, seconds)
        naive.wait()
    floor = subprocess.Popen([sys.executable, "-c", AGENT_FLOOR])
    time.sleep(8)
    _share, floor_rss = cpu_share(floor.pid, 1)
    floor.kill()
    floor.wait()
    return {
        "share": share, "rss": rss, "naive": naive_share, "naive_rss": naive_rss,
        "floor": floor_rss,
    }  # fmt: skip


def burst_section(extra: int, work: Path) -> dict[str, float]:
    from playclock.compose import build

    folder = work / "burst"
    folder.mkdir()
    config = folder / "rules.toml"
    config.write_text(rules(free_port()), encoding="utf-8")
    runtime = build(config, folder / "data")
    agent = runtime.agent
    agent.start()
    for _ in range(3):
        agent.tick()
    ticks: list[float] = []
    with burst(extra):
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < 10:
            due = start + n
            time.sleep(max(0.0, due - time.monotonic()))
            t0 = time.perf_counter()
            agent.tick()
            ticks.append((time.perf_counter() - t0) * 1000)
            n += 1
        wait_for_processes(extra)
        t0 = time.perf_counter()
        list(psutil.process_iter(["name", "exe", "cmdline"]))
        naive = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        os.listdir("/proc")
        listing = (time.perf_counter() - t0) * 1000
    agent.stop()
    runtime.ledger.close()
    return {
        "max": max(ticks),
        "median": statistics.median(ticks),
        "ticks": len(ticks),
        "naive": naive,
        "listdir": listing,
    }


def load(port: int, path: str, rate: float, seconds: float) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(port), path, str(rate), str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))


def api_section(extra: int, seconds: float, work: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    with burst(extra):
        wait_for_processes(extra)
        with running_agent(work / "api") as (_pid, port):
            time.sleep(8)
            for path, key in (("/api/v1/health", "health"), ("/api/v1/status", "status")):
                result = load(port, path, 50, seconds)
                ms = result["ms"]
                out[f"{key}_p50"] = statistics.median(ms)
                out[f"{key}_p99"] = percentile(ms, 0.99)
                out[f"{key}_max"] = max(ms)
                out[f"{key}_n"] = len(ms)
                out[f"{key}_errors"] = result["errors"]
    return out


def tray_section(seconds: float, work: Path) -> dict[str, float] | str:
    from tests.support.xdesktop import xdesktop, xdesktop_unavailable

    reason = xdesktop_unavailable()
    if reason:
        return reason
    with running_agent(work / "tray-agent") as (_pid, port), xdesktop() as desk:
        env = {**desk.env, "LANGUAGE": "en", "PYSTRAY_BACKEND": "xorg"}
        log = (work / "tray.log").open("wb")
        argv = [str(PLAYCLOCK)] if PLAYCLOCK.is_file() else [sys.executable, "-m", "playclock"]
        tray = subprocess.Popen(
            [*argv, "tray", "--url", f"http://127.0.0.1:{port}"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(10)  # start-up, first status, docking
            if tray.poll() is not None:
                return f"the tray exited: {(work / 'tray.log').read_text()[-500:]}"
            share, rss = cpu_share(tray.pid, seconds)
            floor = subprocess.Popen([sys.executable, "-c", TRAY_FLOOR], env=env)
            time.sleep(5)
            floor_share, floor_rss = cpu_share(floor.pid, 10)
            floor.kill()
            floor.wait()
        finally:
            tray.terminate()
            try:
                tray.wait(10)
            except subprocess.TimeoutExpired:
                tray.kill()
                tray.wait()
            log.close()
    return {"share": share, "rss": rss, "floor": floor_rss, "floor_share": floor_share}


def close_latency(work: Path, events: bool, trials: int = 10) -> list[float]:
    """Seconds from starting a blocked game (a copy of sleep named fakegame) to its end, with
    a real runtime ticking at 1 Hz in this process; without `events`, the process events'
    prompt ticks are left out (what the agent does where the proc connector is refused)."""
    from playclock.compose import build

    work.mkdir(parents=True)
    folder = Path(tempfile.mkdtemp(prefix="playclock-game-"))  # one the child may enter
    os.chmod(folder, 0o755)
    game = folder / "fakegame"
    shutil.copy2(shutil.which("sleep") or "/bin/sleep", game)
    os.chmod(game, 0o755)
    as_child = None if getpass.getuser() == CHILD else CHILD
    config = work / "rules.toml"
    config.write_text(rules(free_port(), games=0), encoding="utf-8")
    runtime = build(config, work / "data", process_events=events)
    runtime.start(serve_api=False)
    took: list[float] = []
    try:
        time.sleep(2)
        for i in range(trials):
            time.sleep(0.37 * i % 1)  # at varied moments of the poll
            started = time.monotonic()
            proc = subprocess.Popen([str(game), "600"], user=as_child, cwd="/")
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            took.append(time.monotonic() - started)
    finally:
        runtime.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return took


def close_section(work: Path) -> dict[str, Any]:
    return {
        "events": close_latency(work / "events", True),
        "poll": close_latency(work / "poll", False),
    }


def print_targets(results: dict[str, Any], loads: dict[str, float]) -> None:
    """The issue's targets, each with what this run measured and its baseline from this run."""
    rows: list[tuple[str, str, bool, str, str]] = []

    def row(section: str, target: str, value: str, met: bool, baseline: str) -> None:
        rows.append((target, value, met, baseline, f"{loads.get(section, 0.0):.1f}"))

    r = results.get("agent")
    if r:
        row("agent", "agent CPU at 1 Hz, 1,000 processes of the child (≤ 0.25 % of a core)",
            f"{r['share'] * 100:.2f} %", r["share"] <= 0.0025,
            f"naive `process_iter` loop: {r['naive'] * 100:.2f} %")
        ratio = r["naive"] / r["share"] if r["share"] else float("inf")
        row("agent", "… cheaper than that loop (≥ 15×)", f"{ratio:.0f}×", ratio >= 15, "")
        row("agent", "agent RSS (≤ 50 MiB)", f"{r['rss']:.1f} MiB", r["rss"] <= 50,
            f"its libraries imported, nothing else: {r['floor']:.1f} MiB")
    r = results.get("burst")
    if r:
        row("burst", "slowest tick while 1,000 processes start at once (≤ 30 ms)",
            f"{r['max']:.1f} ms (median {r['median']:.1f} ms)", r["max"] <= 30,
            f"one naive `process_iter` pass: {r['naive']:.0f} ms")
    r = results.get("api")
    if r:
        row("api", "`GET /api/v1/status` p99 at 50 requests/s while ticking (≤ 5 ms)",
            f"{r['status_p99']:.2f} ms", r["status_p99"] <= 5,
            f"`GET /api/v1/health` p99: {r['health_p99']:.2f} ms")
    r = results.get("tray")
    if isinstance(r, dict):
        row("tray", "tray CPU idle (≤ 0.2 %)", f"{r['share'] * 100:.2f} %", r["share"] <= 0.002,
            "")
        row("tray", "tray RSS (≤ 35 MiB)", f"{r['rss']:.1f} MiB", r["rss"] <= 35,
            f"Tk, Pillow, pystray, python-xlib and a Tk root: {r['floor']:.1f} MiB")
    r = results.get("close")
    if r and not isinstance(r["events"], str):
        events, poll = r["events"], r["poll"]
        row("close", "a game started while blocked, start to closed (≤ 0.3 s)",
            f"{statistics.median(events) * 1000:.0f} ms median, {max(events) * 1000:.0f} ms "
            "slowest", max(events) <= 0.3,
            f"the next poll (1 s): {statistics.median(poll) * 1000:.0f} ms median, "
            f"{max(poll) * 1000:.0f} ms slowest")
    if not rows:
        return
    print("## Targets (issue 15)\n")
    print("| target | this run | met | baseline in the same run | load average |")
    print("|---|---:|---|---|---:|")
    for target, value, met, baseline, load in rows:
        print(f"| {target} | {value} | {'yes' if met else 'no'} | {baseline} | {load} |")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--extra", type=int, default=1000)
    parser.add_argument("--only", default="agent,burst,api,tray,close")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    loads: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="playclock-footprint-") as tmp:
        work = Path(tmp)
        sections: dict[str, Callable[[], Any]] = {
            "agent": lambda: agent_section(args.extra, args.seconds, work),
            "burst": lambda: burst_section(args.extra, work),
            "api": lambda: api_section(args.extra, min(args.seconds, 30.0), work),
            "tray": lambda: tray_section(args.seconds, work),
            "close": lambda: close_section(work),
        }
        for name, run in sections.items():
            if name in only and (name != "close" or os.geteuid() == 0):
                results[name] = run()
                loads[name] = os.getloadavg()[0]  # the 1-minute load as the section ended
    load_after = os.getloadavg()

    print("## Machine\n")
    print(f"- CPU: {cpu_model()}, {os.cpu_count()} cores; load average {load_before[0]:.1f} "
          f"before, {load_after[0]:.1f} after (other jobs share the machine)")
    print(f"- Python {platform.python_version()}, psutil {psutil.__version__}, "
          f"{platform.platform()}, running as {getpass.getuser()}; the child's account: "
          f"{CHILD}\n")
    print_targets(results, loads)
    if "agent" in results:
        r = results["agent"]
        print(f"## Agent at 1 Hz, {args.extra:,} extra processes of the child, "
              f"{args.seconds:g} s\n")
        print("| | CPU (share of one core) | RSS |")
        print("|---|---:|---:|")
        print(f"| `playclock agent` | {r['share'] * 100:.2f} % | {r['rss']:.1f} MiB |")
        print(f"| naive `process_iter(name, exe, cmdline)` loop | {r['naive'] * 100:.2f} % "
              f"| {r['naive_rss']:.1f} MiB |")
        print(f"| floor: the agent's libraries imported, nothing else | | {r['floor']:.1f} MiB |")
        ratio = r["naive"] / r["share"] if r["share"] else float("inf")
        print(f"\nThe agent is {ratio:.1f}× cheaper than the naive loop.\n")
    if "burst" in results:
        r = results["burst"]
        print(f"## {args.extra:,} processes of the child started at once, "
              "ticks at 1 Hz for 10 s\n")
        print("| slowest tick | median tick | ticks | one naive `process_iter` pass "
              "| listing `/proc` |")
        print("|---:|---:|---:|---:|---:|")
        print(f"| {r['max']:.1f} ms | {r['median']:.1f} ms | {r['ticks']:.0f} "
              f"| {r['naive']:.1f} ms | {r['listdir']:.2f} ms |\n")
    if "api" in results:
        r = results["api"]
        print(f"## Local API at 50 requests/s while the agent ticks "
              f"({args.extra:,} extra processes)\n")
        print("| route | requests | p50 | p99 | max | errors |")
        print("|---|---:|---:|---:|---:|---:|")
        for key, route in (("health", "GET /api/v1/health (baseline)"),
                           ("status", "GET /api/v1/status")):
            print(f"| {route} | {r[key + '_n']:.0f} | {r[key + '_p50']:.2f} ms "
                  f"| {r[key + '_p99']:.2f} ms | {r[key + '_max']:.1f} ms "
                  f"| {r[key + '_errors']:.0f} |")
        print()
    if "tray" in results:
        r = results["tray"]
        print(f"## Tray idle under Xvfb and trayer, {args.seconds:g} s\n")
        if isinstance(r, str):
            print(f"skipped: {r}\n")
        else:
            print("| | CPU (share of one core) | RSS |")
            print("|---|---:|---:|")
            print(f"| `playclock tray` | {r['share'] * 100:.2f} % | {r['rss']:.1f} MiB |")
            print(f"| floor: Tk, Pillow, pystray, python-xlib, a Tk root | "
                  f"{r['floor_share'] * 100:.2f} % | {r['floor']:.1f} MiB |\n")
    if "close" in results:
        r = results["close"]
        print("## A game started while blocked (poll_seconds = 1): start to closed\n")
        print("| agent | trials | median | slowest |")
        print("|---|---:|---:|---:|")
        for key, who in (("events", "the kernel's process events wake the agent"),
                         ("poll", "baseline: the next poll (no proc connector)")):
            t = r[key]
            if isinstance(t, str):
                print(f"| {who} | skipped: {t} | | |")
            else:
                print(f"| {who} | {len(t)} | {statistics.median(t) * 1000:.0f} ms "
                      f"| {max(t) * 1000:.0f} ms |")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
