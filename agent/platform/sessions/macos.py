"""macOS: the console user from `stat /dev/console`, idle from `ioreg` (HIDIdleTime),
the lock state from the IOConsoleUsers entry of `ioreg -n Root -d1`, and
`launchctl bootout gui/UID` to log out.

Commands run through an injected runner, so the face is unit-tested anywhere.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable

from agent.platform.base import NotPermitted, PlatformError
from agent.platform.sessions.base import SessionCapabilities, SessionGone, SessionInfo

__all__ = ["MacSessions", "Runner"]

Runner = Callable[..., "subprocess.CompletedProcess[str]"]

_IDLE = re.compile(r'"HIDIdleTime"\s*=\s*(\d+)')
_LOCKED = re.compile(r'"CGSSessionScreenIsLocked"\s*=\s*(Yes|No)')
_ON_CONSOLE = re.compile(r'"kCGSSessionOnConsoleKey"\s*=\s*(Yes|No)')


class MacSessions:
    """The one console session of a Mac (fast user switching shows only the front user)."""

    capabilities = SessionCapabilities(
        lock=True,  # display sleep; locks when "require password" after sleep is on
        logout=True,
        force_logout=True,
        reports_locked=True,
        reports_idle=True,
    )

    def __init__(self, run: Runner = subprocess.run) -> None:
        self._run = run

    def _out(self, argv: list[str]) -> str:
        try:
            done = self._run(argv, capture_output=True, text=True, timeout=10)
        except FileNotFoundError as exc:
            raise PlatformError(f"{argv[0]} not found") from exc
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PlatformError(f"{argv[0]}: {exc}") from exc
        if done.returncode != 0:
            err = (done.stderr or "").strip()
            if "ermission" in err or "not permitted" in err.lower():
                raise NotPermitted(f"{' '.join(argv)}: {err}")
            if "No such process" in err or "Could not find" in err:
                raise SessionGone(f"{' '.join(argv)}: {err}")
            raise PlatformError(f"{' '.join(argv)}: exit {done.returncode}: {err}")
        return done.stdout or ""

    def _console(self) -> tuple[str, int] | None:
        out = self._out(["stat", "-f", "%Su %u", "/dev/console"]).split()
        if len(out) != 2 or not out[1].isdigit():
            raise PlatformError(f"stat /dev/console: unexpected output {out!r}")
        user, uid = out[0], int(out[1])
        if user == "root" or uid == 0:
            return None  # the login window owns the console: nobody is signed in
        return user, uid

    def _idle(self) -> float | None:
        match = _IDLE.search(self._out(["ioreg", "-c", "IOHIDSystem", "-d", "4"]))
        return int(match.group(1)) / 1e9 if match else None

    def _locked(self) -> bool | None:
        try:
            text = self._out(["ioreg", "-n", "Root", "-d", "1"])
        except PlatformError:
            return None
        match = _LOCKED.search(text)
        if match is None:
            return False if _ON_CONSOLE.search(text) else None
        return match.group(1) == "Yes"

    def sessions(self) -> list[SessionInfo]:
        """The console user's session, or none at the login window."""
        console = self._console()
        if console is None:
            return []
        user, uid = console
        return [
            SessionInfo(
                id=str(uid),
                user=user,
                uid=uid,
                seat="console",
                active=True,
                locked=self._locked(),
                idle_seconds=self._idle(),
                kind="aqua",
            )
        ]

    def lock(self, session_id: str) -> None:
        """Put the display to sleep; with "require password" on, that locks the screen."""
        self._out(["pmset", "displaysleepnow"])

    def logout(self, session_id: str) -> None:
        """launchctl bootout gui/UID: the user's GUI domain and its apps end."""
        self._out(["launchctl", "bootout", f"gui/{int(session_id)}"])

    def kill(self, session_id: str) -> None:
        """Every process of the account, by force (after a bootout that did not end it)."""
        self._out(["pkill", "-KILL", "-U", str(int(session_id))])

    def close(self) -> None:
        """Nothing held open."""
