"""`playclock tray`: the tray icon alone, talking to the agent's local API."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import select
import signal
import sys
import threading
import time
from pathlib import Path

from agent.api_client import AgentClient, base_url
from agent.i18n import _, set_language
from agent.platform import paths
from agent.platform.listener import impostor
from playclock.cli.common import Subcommands, cli_language, error, load_source, rules_locale

__all__ = ["TrayRules", "cmd_tray", "has_display", "read_rules", "register"]

# A child reading the rules gets this long before the tray reads them itself.
READ_SECONDS = 30.0

# What the tray takes from the rules: the agent's address (None: none to be had), each
# child's accounts, the rules file (None: the demo or nothing readable), and the problems
# of broken rules, worded in the current language.
TrayRules = tuple[str | None, dict[str, tuple[str, ...]], str | None, list[str]]


def has_display() -> bool:
    """Whether a graphical session is there to show a tray icon in."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))




def _explicit(args: argparse.Namespace) -> bool:
    """Whether the language is settled here: PLAYCLOCK_LANG, or the rules name a locale."""
    if os.environ.get("PLAYCLOCK_LANG"):
        return True
    locale = rules_locale(args.config, args.data_dir)
    return bool(locale) and locale != "auto"


def read_rules(args: argparse.Namespace, url: str | None) -> TrayRules:
    """The agent's address (`url`, else the rules'), the children's accounts, the rules
    file and the problems of broken rules, as the whole rules checker reads them."""
    accounts: dict[str, tuple[str, ...]] = {}
    try:
        source = load_source(args)
    except OSError:
        return url, accounts, None, []
    config = source.config
    if config is not None:
        # The demo's accounts say nothing about who uses a tray pointed elsewhere.
        if not source.demo or url is None:
            accounts = {c.name: tuple(c.accounts) for c in config.children}
        if url is None:
            url = base_url(config.settings.listen)
    issues = [issue.format(_) for issue in source.error or []]
    return url, accounts, str(source.path) if source.path else None, issues


def _read_apart(args: argparse.Namespace, url: str | None) -> TrayRules | None:
    """`read_rules` in a forked child, so that the tray, which runs all day, never holds
    the rules checker and its catalogs (issue 15); None when that cannot be done here."""
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return None  # fork only where it is safe: Linux, and no other thread (no held lock)
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: read, answer, and leave without running the parent's cleanup
        code = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as out:
                out.write(json.dumps(read_rules(args, url)).encode("utf-8"))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    chunks: list[bytes] = []
    deadline = time.monotonic() + READ_SECONDS
    try:
        while (left := deadline - time.monotonic()) > 0 and select.select([read], [], [], left)[0]:
            chunk = os.read(read, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(read)
        _pid, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    try:
        found, accounts, path, issues = json.loads(b"".join(chunks))
    except ValueError:
        return None
    return found, {k: tuple(v) for k, v in accounts.items()}, path, issues


def cmd_tray(args: argparse.Namespace) -> int:
    """Run the tray for the current OS account until signalled; 0 ok, 1 failure, 2 bad rules."""

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # The one rule (PLAYCLOCK_LANG, the rules' locale, the OS); with no readable rules, the
    # agent's own (the XDG autostart starts `playclock tray --url URL` and nothing else).
    set_language(cli_language(args.config, args.data_dir))
    given = getattr(args, "url", None)
    url, accounts, path, issues = _read_apart(args, given) or read_rules(args, given)
    follow_agent = not _explicit(args)
    if url is None:
        for issue in issues:
            print(issue, file=sys.stderr)
        error(_("no agent address: pass --url, or fix the rules"))
        return 2
    if not has_display():
        error(_("the tray needs a graphical session (no DISPLAY)"))
        return 1
    from tray.backend import choose_backend

    choose_backend()
    try:
        import pystray  # noqa: F401  (picks a backend and connects to the display)
    except Exception as exc:  # no backend for this session, or the display refused us
        error(_("the tray cannot start: {error}").format(error=exc))
        return 1
    from tray.app import TrayApp

    agent_is_root = paths.agent_is_root(Path(path) if path is not None else None)
    address = url
    app = TrayApp(
        AgentClient(url),
        url,
        user=getpass.getuser(),
        accounts=accounts,
        follow_agent_language=follow_agent,
        verify=lambda: impostor(address, agent_is_root=agent_is_root),
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_a: app.stop.set())
    return app.run()


def register(sub: Subcommands) -> None:
    """`tray`."""
    tray = sub.command("tray", cmd_tray, _("run the tray icon alone"))
    tray.add_argument("--url", help=_("the agent's address (default: from the rules)"))
