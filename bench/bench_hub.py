"""Family hub throughput: N devices (threads, one token each) upload day summaries for a fixed time.

Runs the real hub as subprocesses: SQLite, PostgreSQL, and two hub processes sharing one
PostgreSQL (devices split across them). Prints a Markdown table with the machine.

    .venv/bin/python bench/bench_hub.py [--devices 16] [--seconds 10]
        [--backends sqlite,postgres,postgres-x2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.hubserver import HubApi, HubServer
from tests.support.postgres import PostgresCluster, UnavailableError, find_pg_bin

__all__ = ["main"]


@dataclass
class Result:
    """What one run measured."""

    backend: str
    processes: int
    devices: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    hub_cpu: float = 0.0  # seconds of CPU the hub processes used during the run


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _run(backend: str, urls: list[str], devices: int, seconds: float,
         pids: list[int] | None = None) -> Result:
    result = Result(backend, len(urls), devices, seconds)
    setup = HubApi(urls[0])
    _, parent = setup.family()
    tokens = [setup.pair(parent, f"pc-{i}") for i in range(devices)]
    lock = threading.Lock()
    barrier = threading.Barrier(devices + 1)
    stop_at = [0.0]

    def device(index: int) -> None:
        token, consents = tokens[index]
        # http.client on one keep-alive connection: a light client leaves the cores to the hub.
        parts = urlsplit(urls[index % len(urls)])
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        latencies: list[float] = []
        errors, first_error, revision = 0, "", 0
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            revision += 1
            day = f"2026-01-{1 + revision % 28:02d}"
            body = json.dumps({
                "revision": revision, "consent_id": consents["An"],
                "total_seconds": revision % 86_400,
                "apps": {"minecraft": revision % 3_600, "roblox": 60},
                "categories": {"games": revision % 3_600 + 60}, "counts": {"warnings": 1}})
            began = time.perf_counter()
            try:
                conn.request("PUT", f"/v1/devices/me/days/An/{day}", body, headers)
                resp = conn.getresponse()
                text = resp.read()
                ok = resp.status == 200
                detail = "" if ok else f"{resp.status} {text[:120]!r}"
            except Exception as exc:  # a bench counts every failure, whatever it is
                ok, detail = False, repr(exc)[:120]
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            latencies.append(time.perf_counter() - began)
            if not ok:
                errors += 1
                first_error = first_error or detail
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            result.first_error = result.first_error or first_error

    threads = [threading.Thread(target=device, args=(i,), daemon=True) for i in range(devices)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    cpu_before = _cpu_seconds(pids or [])
    barrier.wait()
    for t in threads:
        t.join(seconds + 60)
    result.hub_cpu = _cpu_seconds(pids or []) - cpu_before
    return result


def _pids(hubs: list[HubServer]) -> list[int]:
    return [h.proc.pid for h in hubs if h.proc is not None]


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or model
    pg = "not found"
    bin_dir = find_pg_bin()
    if bin_dir:
        pg = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True,
                            text=True, check=False).stdout.strip()
    return (f"{model}, {os.cpu_count()} cores; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; {pg}")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen backends and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backends", default="sqlite,postgres,postgres-x2")
    args = parser.parse_args(argv)
    wanted = args.backends.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="playclock-bench-"))
    results: list[Result] = []
    notes: list[str] = []
    if "sqlite" in wanted:
        with HubServer(f"sqlite:///{tmp / 'hub.sqlite'}", log_dir=tmp) as hub:
            results.append(_run("SQLite (WAL, synchronous=NORMAL)", [hub.url], args.devices,
                                args.seconds, _pids([hub])))
    pg_wanted = [b for b in wanted if b.startswith("postgres")]
    if pg_wanted:
        try:
            cluster = PostgresCluster(durable=True).start()
        except UnavailableError as exc:
            notes.append(f"PostgreSQL skipped: {exc}")
        else:
            try:
                for backend in pg_wanted:
                    count = 2 if backend == "postgres-x2" else 1
                    url = cluster.create_database()
                    hubs = [HubServer(url, log_dir=tmp) for _ in range(count)]
                    try:
                        for hub in hubs:
                            hub.start()
                        label = "PostgreSQL (fsync on, Unix socket)"
                        results.append(_run(label, [h.url for h in hubs], args.devices,
                                            args.seconds, _pids(hubs)))
                    finally:
                        for hub in hubs:
                            hub.stop()
            finally:
                cluster.stop()
    print(f"Machine: {_machine()}\n")
    print("Each request: PUT /v1/devices/me/days/{child}/{day} (a whole-day summary with a new "
          "revision), over HTTP/1.1 keep-alive from client threads in one Python process.\n")
    print("| backend | hub processes | devices | seconds | requests | req/s "
          "| p50 ms | p95 ms | p99 ms | errors | hub CPU ms/request |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        n = len(r.latencies)
        print(f"| {r.backend} | {r.processes} | {r.devices} | {r.seconds:g} | {n} "
              f"| {n / r.seconds:.0f} | {1000 * statistics.median(r.latencies or [0]):.1f} "
              f"| {1000 * _percentile(r.latencies, 0.95):.1f} "
              f"| {1000 * _percentile(r.latencies, 0.99):.1f} | {r.errors} "
              f"| {1000 * r.hub_cpu / max(1, n):.2f} |")
    for r in results:
        if r.first_error:
            notes.append(f"{r.backend} x{r.processes}: first error: {r.first_error}")
    for note in notes:
        print(f"\n{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
