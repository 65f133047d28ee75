"""`playclock run` and `playclock agent`: the agent in the foreground (with tray or status line)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from typing import Any

from agent.api_client import base_url
from agent.exit_codes import ExitCode
from agent.i18n import _
from agent.i18n.formatting import time_left
from agent.i18n.titles import limit_title
from agent.platform import paths
from agent.service.status_document import tightest
from playclock.cli.common import Subcommands, error, load_source, report_issues
from rules.config import ConfigError

__all__ = ["API_SWITCH_SECONDS", "cmd_agent", "cmd_run", "register"]

API_SWITCH_SECONDS = 0.001


def _raise_open_files_limit() -> None:
    """Use the hard limit on open files: a flood of connections must not starve the probe."""
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError) as exc:
            logging.getLogger("playclock.agent").warning("open files limit stays %s: %s", soft, exc)


def _serve(args: argparse.Namespace, *, live: bool) -> int:
    from agent.api.app import NotLoopback
    from playclock.compose import build

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    _raise_open_files_limit()
    # A thread waiting for the GIL gets it within 1 ms, not Python's 5 ms: the local API
    # answers at once even while a tick runs (issue 15); ticks are short, so it costs nothing.
    sys.setswitchinterval(API_SWITCH_SECONDS)
    # Set first: a TERM during start-up still ends in a clean stop with its event.
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_a: stop.set())
    source = load_source(args)
    if source.config is None:
        return report_issues(source)
    data = paths.data_dir(args.data_dir)
    try:
        runtime = build(source.path, data)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue.format(_), file=sys.stderr)
        return ExitCode.USAGE
    try:
        runtime.start()
    except (OSError, NotLoopback) as exc:
        error(str(exc))
        runtime.stop()
        return ExitCode.FAIL
    settings = runtime.agent.config.settings
    url = base_url(settings.listen)
    mode = _("the built-in demo rules") if source.demo else str(runtime.agent.source.name)
    print(_("PlayClock agent running with {rules}.").format(rules=mode), flush=True)
    print(_("Data: {path}").format(path=data), flush=True)
    print(_("Dashboard: {url}/  ·  Ctrl-C stops").format(url=url), flush=True)
    tray = _start_tray(args, url) if live else None
    try:
        last = ""
        tty = sys.stdout.isatty()
        while not stop.wait(2.0 if live else 3600):
            if live and tray is None:
                line = _live_line(runtime.agent.status())
                stamp = "[" + dt.datetime.now().strftime("%H:%M:%S") + "] "
                if tty:  # one line, rewritten in place
                    print("\r\033[K" + stamp + line, end="", flush=True)
                elif line != last:  # a log: a new line only when something changed
                    print(stamp + line, flush=True)
                last = line
    finally:
        if tray is not None:
            tray.terminate()
            try:
                tray.wait(timeout=5)
            except subprocess.TimeoutExpired:
                tray.kill()
        runtime.stop()
    if live and sys.stdout.isatty():
        print()  # end the line that was being rewritten
    print(_("PlayClock agent stopped."), flush=True)
    return ExitCode.OK


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _start_tray(args: argparse.Namespace, url: str) -> subprocess.Popen[bytes] | None:
    if not _has_display():
        return None
    exe = shutil.which("playclock")
    argv = [exe] if exe else [sys.executable, "-m", "playclock"]
    try:
        return subprocess.Popen([*argv, "tray", "--url", url])
    except OSError as exc:
        error(_("the tray could not start: {error}").format(error=exc))
        return None


def _live_line(doc: dict[str, Any]) -> str:
    """One line for the terminal: each child's tightest limit and what runs."""
    parts = []
    for child in doc["children"]:
        tight = tightest(child)
        part = str(child["name"])
        if child.get("paused"):
            part += ": " + _("limits paused")
        elif tight is not None:
            blocked = tight["state"] == "blocked"
            state = _("blocked") if blocked else time_left(tight["left_seconds"])
            part += f": {limit_title(tight['kind'], tight['id'], tight['title'])} {state}"
        if child["running"]:
            part += " ▶ " + ", ".join(child["running"])
        parts.append(part)
    return "  ·  ".join(parts) or "—"


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: the agent, and the tray when there is a display."""
    return _serve(args, live=True)


def cmd_agent(args: argparse.Namespace) -> int:
    """The agent alone, in the foreground (what the service runs)."""
    return _serve(args, live=False)


def register(sub: Subcommands) -> None:
    """`run` and `agent`."""
    sub.command(
        "run", cmd_run, _("run the agent, and the tray when there is a display (the main job)")
    )
    sub.command("agent", cmd_agent, _("run the agent alone in the foreground"))
