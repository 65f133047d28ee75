"""`playclock tray`: the tray icon alone, talking to the agent's local API."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from agent.api_client import base_url
from agent.i18n import _, set_language
from agent.platform import paths
from playclock.cli.common import Subcommands, cli_language, error, load_source, rules_locale
from playclock.cli.parser import command_of
from playclock.cli.tray_run import configure_logging, handover

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
    configure_logging()
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
            accounts = {c.name: tuple(c.accounts) for c in config.children}
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
    return handover(
        url,
        getpass.getuser(),
        accounts,
        follow_agent=follow_agent,
        agent_is_root=paths.agent_is_root(source.path if source is not None else None),
        # A fresh process for the tray when this one is `playclock tray` on Linux (not a
        # test calling this function): it sheds the checks' modules (issue 15).
        fresh=sys.platform.startswith("linux") and command_of(sys.argv[1:]) == "tray",
    )


def register(sub: Subcommands) -> None:
    """`tray`."""
    tray = sub.command("tray", cmd_tray, _("run the tray icon alone"))
    tray.add_argument("--url", help=_("the agent's address (default: from the rules)"))
