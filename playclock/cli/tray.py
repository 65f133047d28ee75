"""`playclock tray`: the tray icon alone, talking to the agent's local API."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import sys

from agent.api_client import AgentClient, base_url
from agent.i18n import _, set_language
from agent.platform import paths
from agent.platform.listener import impostor
from playclock.cli.common import Subcommands, cli_language, error, load_source, rules_locale

__all__ = ["cmd_tray", "has_display", "register"]


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


def cmd_tray(args: argparse.Namespace) -> int:
    """Run the tray for the current OS account until signalled; 0 ok, 1 failure, 2 bad rules."""

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    url = getattr(args, "url", None)
    accounts: dict[str, tuple[str, ...]] = {}
    try:
        source = load_source(args)
    except OSError:
        source = None
    config = source.config if source is not None else None
    if config is not None:
        # The demo's accounts say nothing about who uses a tray pointed elsewhere.
        if source is not None and (not source.demo or url is None):
            accounts = {c.name: c.accounts for c in config.children}
        if url is None:
            url = base_url(config.settings.listen)
    # The one rule (PLAYCLOCK_LANG, the rules' locale, the OS); with no readable rules, the
    # agent's own (the XDG autostart starts `playclock tray --url URL` and nothing else).
    set_language(cli_language(args.config, args.data_dir))
    follow_agent = not _explicit(args)
    if url is None:
        for issue in (source.error if source is not None else None) or []:
            print(issue.format(_), file=sys.stderr)
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

    agent_is_root = paths.agent_is_root(source.path if source is not None else None)
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
