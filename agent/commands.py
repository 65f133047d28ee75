"""The agent's commands: run, agent, status, rules, pin, grant, pause."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from agent import paths
from agent.client import AgentClient, AgentUnavailable, ApiRefused, base_url
from agent.configsource import ConfigSource
from agent.fmt import date_long, duration, time_short
from agent.i18n import _
from agent.statusdoc import status_document
from agent.titles import limit_title
from agent.tz import resolve_timezone
from rules import engine
from rules.catalog import BUILTIN_CATEGORIES, CATALOG
from rules.config import ConfigError, load_text
from rules.presets import example_toml, get, preset_names, preset_toml
from rules.timeutil import day_of

__all__ = [
    "cmd_agent",
    "cmd_rules_catalog",
    "cmd_rules_check",
    "cmd_rules_example",
    "cmd_rules_preset",
    "cmd_rules_presets",
    "cmd_run",
    "cmd_status",
    "load_source",
    "print_status",
    "tightest",
]

OK, FAIL, USAGE, LOCKED = 0, 1, 2, 3


def _err(message: str) -> None:
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


def _issues(source: ConfigSource) -> int:
    for issue in source.error or []:
        print(issue.format(_), file=sys.stderr)
    return USAGE


# -- run / agent --------------------------------------------------------------------------


def _serve(args: argparse.Namespace, *, live: bool) -> int:
    from agent.api import NotLoopback
    from agent.compose import build

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Set first: a TERM during start-up still ends in a clean stop with its event.
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_a: stop.set())
    source = load_source(args)
    if source.config is None:
        return _issues(source)
    data = paths.data_dir(args.data_dir)
    try:
        runtime = build(source.path, data)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue.format(_), file=sys.stderr)
        return USAGE
    try:
        runtime.start()
    except (OSError, NotLoopback) as exc:
        _err(str(exc))
        runtime.stop()
        return FAIL
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
    return OK


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _start_tray(args: argparse.Namespace, url: str) -> subprocess.Popen[bytes] | None:
    if not _has_display():
        return None
    exe = shutil.which("playclock")
    argv = [exe] if exe else [sys.executable, "-m", "agent.cli"]
    try:
        return subprocess.Popen([*argv, "tray", "--url", url])
    except OSError as exc:
        _err(_("the tray could not start: {error}").format(error=exc))
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
            state = _("blocked") if tight["state"] == "blocked" else duration(tight["left_seconds"])
            part += f": {limit_title(tight['kind'], tight['id'], tight['title'])} {state}"
        if child["running"]:
            part += " ▶ " + ", ".join(child["running"])
        parts.append(part)
    return "  ·  ".join(parts) or "—"


def tightest(child: dict[str, Any]) -> dict[str, Any] | None:
    """The limit that runs out first, leaving out blocked ones nothing uses now."""
    rows = [
        r
        for r in child["limits"]
        if r["left_seconds"] is not None and (r.get("active") or r["state"] != "blocked")
    ]
    return min(rows, key=lambda r: r["left_seconds"]) if rows else None


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: the agent, and the tray when there is a display."""
    return _serve(args, live=True)


def cmd_agent(args: argparse.Namespace) -> int:
    """The agent alone, in the foreground (what the service runs)."""
    return _serve(args, live=False)


# -- status -------------------------------------------------------------------------------


def _offline_status(source: ConfigSource, data: Path) -> dict[str, Any]:
    from agent.ledger import MemoryLedger, SqliteLedger

    assert source.config is not None
    config = source.config
    tz = resolve_timezone(config.settings.timezone)
    now = dt.datetime.now(tz)
    day = day_of(now, config.settings.day_starts)
    db = data / "ledger.sqlite"
    ledger = SqliteLedger(db) if db.is_file() else MemoryLedger()
    try:
        state = ledger.load_day(day)
        from sync.info import sync_info

        sync = sync_info(ledger)
    finally:
        ledger.close()
    statuses = engine.decide(config, state, {}, now)
    return status_document(
        day,
        statuses,
        running=False,
        config_error=source.error,
        extra={"sync": sync},
        accounts={c.name: c.accounts for c in config.children},
    )


def print_status(doc: dict[str, Any]) -> None:
    """The status document for people."""
    day = dt.date.fromisoformat(doc["day"])
    running = _("agent running") if doc["agent"]["running"] else _("agent not running")
    print(f"PlayClock — {date_long(day)} ({running})")
    if doc["agent"].get("config_error"):
        print(_("Rules file has errors; the last good rules are in force:"))
        print(doc["agent"]["config_error"])
    for child in doc["children"]:
        print()
        head = child["name"] + (f"  ▶ {', '.join(child['running'])}" if child["running"] else "")
        print(head + (_("  (limits paused today)") if child.get("paused") else ""))
        for r in child["limits"]:
            used = duration(r["used_seconds"])
            if r["state"] == "blocked":
                until = r["until"] and time_short(dt.datetime.fromisoformat(r["until"]))
                why = _("allowed hours") if r["reason"] == "window" else _("daily limit")
                state = (
                    _("blocked until {until} ({why})").format(until=until, why=why)
                    if until
                    else _("blocked ({why})").format(why=why)
                )
            else:
                state = (
                    _("{left} left").format(left=duration(r["left_seconds"]))
                    if r["left_seconds"] is not None
                    else _("no limit")
                )
            limit = (
                duration(r["limit_seconds"] + r["bonus_seconds"])
                if r["limit_seconds"] is not None
                else "—"
            )
            title = limit_title(r["kind"], r["id"], r["title"])
            print(f"  {title:<22} {used:>14} / {limit:<14} {state}")


def _broken_listen(source: ConfigSource) -> str:
    """Where an agent listens when its rules file is now broken (it keeps the last good rules).

    The file's `settings.listen` when it can still be read and is loopback, else the default.
    """
    import ipaddress
    import re
    import tomllib

    from rules.model import Settings

    listen: object = None
    try:
        text = source.path.read_text(encoding="utf-8") if source.path else ""
    except (OSError, UnicodeDecodeError):
        text = ""
    try:
        listen = tomllib.loads(text).get("settings", {}).get("listen")
    except (tomllib.TOMLDecodeError, AttributeError):
        found = re.search(r'^\s*listen\s*=\s*"([^"]+)"', text, re.MULTILINE)
        listen = found.group(1) if found else None
    if isinstance(listen, str):
        host = listen.rpartition(":")[0].strip("[]")
        with contextlib.suppress(ValueError):
            if host == "localhost" or ipaddress.ip_address(host).is_loopback:
                return listen
    return Settings().listen


def cmd_status(args: argparse.Namespace) -> int:
    """Today's usage: from the running agent, else from the ledger and rules."""
    source = load_source(args)
    if source.config is None:
        # The agent may still run on the last good rules: its status names the error.
        try:
            doc = AgentClient(base_url(_broken_listen(source)), timeout=3).status()
        except (AgentUnavailable, ApiRefused):
            return _issues(source)
    else:
        try:
            doc = AgentClient(base_url(source.config.settings.listen), timeout=3).status()
        except (AgentUnavailable, ApiRefused):
            doc = _offline_status(source, paths.data_dir(args.data_dir))
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print_status(doc)
    return OK


# -- rules --------------------------------------------------------------------------------


def cmd_rules_check(args: argparse.Namespace) -> int:
    """Validate a rules file: errors as FILE:LINE: field: message, exit 2."""
    target = Path(args.file) if args.file else paths.find_config(args.config)
    if target is None:
        _err(_("no rules file found; name one, or see 'playclock rules example'"))
        return USAGE
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _err(f"{target}: {getattr(exc, 'strerror', None) or exc}")
        return USAGE
    try:
        config = load_text(text, str(target))
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue.format(_), file=sys.stderr)
        return USAGE
    try:
        resolve_timezone(config.settings.timezone)
    except ValueError:
        print(
            f"{target}:1: settings.timezone: "
            + _("unknown time zone {name!r}").format(name=config.settings.timezone),
            file=sys.stderr,
        )
        return USAGE
    limits = sum(len(c.effective_limits()) for c in config.children)
    print(
        _("{file}: OK: {children} children, {apps} apps, {limits} limits").format(
            file=target, children=len(config.children), apps=len(config.apps), limits=limits
        )
    )
    return OK


def cmd_rules_presets(args: argparse.Namespace) -> int:
    """List the presets."""
    for name in preset_names():
        p = get(name)
        print(f"{name:<16} {p.title} — {p.description}")
    return OK


def cmd_rules_preset(args: argparse.Namespace) -> int:
    """Print one preset as a complete rules file."""
    if args.name not in preset_names():
        _err(
            _("unknown preset {name!r}; known: {known}").format(
                name=args.name, known=", ".join(preset_names())
            )
        )
        return USAGE
    sys.stdout.write(preset_toml(args.name))
    return OK


def cmd_rules_catalog(args: argparse.Namespace) -> int:
    """List the catalogue."""
    for app_id, e in sorted(CATALOG.items()):
        category = BUILTIN_CATEGORIES.get(e.category or "", e.category or "")
        print(f"{app_id:<22} {e.title:<28} {category:<14} {', '.join(e.platforms)}")
    return OK


def cmd_rules_example(args: argparse.Namespace) -> int:
    """Print the example rules file."""
    sys.stdout.write(example_toml())
    return OK
