"""playclock status: today per child, from the running agent or else from the ledger."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any

from agent.api_client import AgentClient, AgentUnavailable, ApiRefused, base_url
from agent.exit_codes import ExitCode
from agent.i18n import _
from agent.i18n.formatting import date_long, duration, time_left, time_short
from agent.i18n.limit_text import effective, row_title
from agent.i18n.titles import limit_title
from agent.ledger.memory import MemoryLedger
from agent.ledger.sqlite import SqliteLedger
from agent.platform import paths
from agent.platform.timezone import resolve_timezone
from agent.service.agent import API_KEY, HEARTBEAT_KEY
from agent.service.rules_file import ConfigSource
from agent.service.status_document import status_document
from playclock.cli.common import Subcommands, load_source, report_issues
from rules import decisions
from rules.model import Settings
from rules.timeutil import day_of
from sync.status_info import sync_info

__all__ = ["cmd_status", "print_status", "register"]


def _offline_status(source: ConfigSource, data: Path) -> dict[str, Any]:
    assert source.config is not None
    config = source.config
    tz = resolve_timezone(config.settings.timezone)
    now = dt.datetime.now(tz)
    day = day_of(now, config.settings.day_starts)
    db = data / "ledger.sqlite"
    ledger = SqliteLedger(db) if db.is_file() else MemoryLedger()
    try:
        state = ledger.load_day(day)

        sync = sync_info(ledger)
        api, beat = ledger.get_meta(API_KEY), ledger.get_meta(HEARTBEAT_KEY)
    finally:
        ledger.close()
    statuses = decisions.decide(config, state, {}, now)
    extra: dict[str, Any] = {"sync": sync}
    running = False
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        # An agent whose API could not listen still runs: its heartbeat is recent.
        api_state = json.loads(api or "null")
        if api_state and api_state.get("error") and beat:
            since_beat = now - dt.datetime.fromisoformat(beat)
            running = abs(since_beat.total_seconds()) < 60
            if running:
                extra["api"] = api_state
    return status_document(
        day,
        statuses,
        running=running,
        config=config,
        config_error=source.error,
        extra=extra,
    )


def print_status(doc: dict[str, Any]) -> None:
    """The status document for people."""
    day = dt.date.fromisoformat(doc["day"])
    running = _("agent running") if doc["agent"]["running"] else _("agent not running")
    print(f"PlayClock — {date_long(day)} ({running})")
    api = doc["agent"].get("api")
    if api and api.get("error"):
        print(
            _("Its local API is not available: {error}. The limits are still enforced; "
              "it tries again in the background.").format(error=api["error"])
        )
    if doc["agent"].get("config_error"):
        print(_("Rules file has errors; the last good rules are in force:"))
        print(doc["agent"]["config_error"])
    width = max(
        (len(limit_title(r["kind"], r["id"], r["title"])) for c in doc["children"]
         for r in c["limits"]),
        default=0,
    )
    for child in doc["children"]:
        print()
        titles = child.get("running_titles") or {}
        running = ", ".join(titles.get(app, app) for app in child["running"])
        head = child["name"] + (f"  ▶ {running}" if running else "")
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
                real = effective(child, r)
                if real.state == "blocked" and real.by is not None:
                    # Its own time is left, but a limit over it is not: that is what counts.
                    until = real.until and time_short(dt.datetime.fromisoformat(real.until))
                    why = row_title(real.by)
                    state = (
                        _("blocked until {until} ({why})").format(until=until, why=why)
                        if until
                        else _("blocked ({why})").format(why=why)
                    )
                elif real.left is not None:
                    state = _("{left} left").format(left=time_left(real.left))
                    if real.by is not None:
                        state += f" ({row_title(real.by)})"
                else:
                    state = _("no limit")
            limit = (
                duration(r["limit_seconds"] + r["bonus_seconds"])
                if r["limit_seconds"] is not None
                else "—"
            )
            title = limit_title(r["kind"], r["id"], r["title"])
            print(f"  {title:<{width}} {used:>14} / {limit:<14} {state}")


def _broken_listen(source: ConfigSource) -> str:
    """Where an agent listens when its rules file is now broken (it keeps the last good rules).

    The file's `settings.listen` when it can still be read and is loopback, else the default.
    """
    import ipaddress
    import re
    import tomllib


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
            return report_issues(source)
    else:
        try:
            doc = AgentClient(base_url(source.config.settings.listen), timeout=3).status()
        except (AgentUnavailable, ApiRefused):
            doc = _offline_status(source, paths.data_dir(args.data_dir))
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print_status(doc)
    return ExitCode.OK


def register(sub: Subcommands) -> None:
    """`status`."""
    st = sub.command("status", cmd_status, _("today's usage, limits and time left"))
    st.add_argument("--json", action="store_true", help=_("print the status document"))
