"""The running tray of `playclock tray`, in a process that loads nothing else.

`playclock tray` checks its arguments, the rules and the display with the whole command line
(argparse, the rules checker, platformdirs). On Linux it then replaces itself (exec: the same
process id and command line) with a fresh interpreter that loads only the tray, and hands over
what it found in PLAYCLOCK_TRAY_STATE: the tray runs all day, the checks once (issue 15).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence

from agent.api_client import AgentClient
from agent.i18n import _, current, set_language
from agent.platform.listener import impostor
from playclock.cli import TRAY_STATE

__all__ = ["configure_logging", "handover", "resume", "run_tray"]

log = logging.getLogger("playclock.tray")


def configure_logging() -> None:
    """The tray's log on stderr, as every long-running command writes it."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def run_tray(
    url: str,
    user: str,
    accounts: Mapping[str, Sequence[str]],
    *,
    follow_agent: bool,
    agent_is_root: bool,
) -> int:
    """Pick the backend, show the icon and serve until signalled; 0 ok, 1 failure."""
    from tray.backend import choose_backend

    choose_backend()
    try:
        import pystray  # noqa: F401  (picks a backend and connects to the display)
    except Exception as exc:  # no backend for this session, or the display refused us
        message = _("the tray cannot start: {error}").format(error=exc)
        print(f"playclock: {message}", file=sys.stderr)  # as playclock.cli.common.error
        return 1
    from tray.app import TrayApp

    app = TrayApp(
        AgentClient(url),
        url,
        user=user,
        accounts=accounts,
        follow_agent_language=follow_agent,
        verify=lambda: impostor(url, agent_is_root=agent_is_root),
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_a: app.stop.set())
    return app.run()


def _this_command() -> tuple[str, list[str]]:
    """The program and arguments that started this process, to start it again."""
    script = sys.argv[0]
    started = list(getattr(sys, "orig_argv", []))
    # The `playclock` script itself: run again by name, so `ps` still says "playclock".
    if started[1:2] == [script] and os.path.isfile(script) and os.access(script, os.X_OK):
        return script, [script, *sys.argv[1:]]
    return sys.executable, started or [sys.executable, *sys.argv]


def handover(
    url: str,
    user: str,
    accounts: Mapping[str, Sequence[str]],
    *,
    follow_agent: bool,
    agent_is_root: bool,
    fresh: bool,
) -> int:
    """Run the tray: with `fresh`, in this process started afresh (exec), else here."""
    if fresh:
        os.environ[TRAY_STATE] = json.dumps(
            {
                "url": url,
                "user": user,
                "accounts": {name: list(names) for name, names in accounts.items()},
                "follow_agent": follow_agent,
                "agent_is_root": agent_is_root,
                "language": current(),
            }
        )
        program, argv = _this_command()
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.execv(program, argv)
        except OSError as exc:  # run here instead, with all that is loaded already
            log.warning("the tray runs without a fresh start: %s", exc)
            del os.environ[TRAY_STATE]
    return run_tray(
        url, user, accounts, follow_agent=follow_agent, agent_is_root=agent_is_root
    )


def resume(state: str) -> int:
    """The tray in the process `handover` started afresh, from the state it handed over."""
    found = json.loads(state)
    set_language(str(found["language"]))
    configure_logging()
    accounts = {str(k): tuple(v) for k, v in dict(found["accounts"]).items()}
    return run_tray(
        str(found["url"]),
        str(found["user"]),
        accounts,
        follow_agent=bool(found["follow_agent"]),
        agent_is_root=bool(found["agent_is_root"]),
    )
