"""The Windows (wtsapi32 through a fake DLL filling the same ctypes structures) and macOS
(commands through a fake runner) session faces."""

from __future__ import annotations

import ctypes
import subprocess
from typing import Any

import pytest

from agent.platform.base import NotPermitted, PlatformError
from agent.platform.sessions.base import SessionGone
from agent.platform.sessions.macos import MacSessions
from agent.platform.sessions.windows import (
    WTS_ACTIVE,
    WTS_DISCONNECTED,
    WTS_SESSION_INFO_EX,
    WTS_SESSION_INFOW,
    WTS_SESSIONSTATE_LOCK,
    WTS_SESSIONSTATE_UNLOCK,
    WTS_USER_NAME,
    WTSINFOEXW,
    WindowsSessions,
)


class FakeWtsApi:
    """wtsapi32 as ctypes sees it: out-pointers filled with real structures."""

    def __init__(self, sessions: list[tuple[int, str, int, str, int | None]]) -> None:
        # (id, station, state, user, lock flags or None for "query fails")
        self.sessions = sessions
        self.calls: list[tuple[str, int, bool]] = []
        self.freed = 0
        self.allocated = 0
        self.fail_with = 0
        self._keep: list[Any] = []

    def _out(self, ref: Any, obj: Any, ptr_type: Any = ctypes.c_void_p) -> None:
        self._keep.append(obj)
        self.allocated += 1
        ctypes.cast(ref, ctypes.POINTER(ptr_type))[0] = ctypes.cast(ctypes.pointer(obj), ptr_type)

    def WTSEnumerateSessionsW(self, server, reserved, version, pp, count):
        assert (server, reserved, version) == (None, 0, 1)
        arr = (WTS_SESSION_INFOW * len(self.sessions))()
        for i, (sid, station, state, _u, _l) in enumerate(self.sessions):
            arr[i].SessionId, arr[i].pWinStationName, arr[i].State = sid, station, state
        self._keep.append(arr)
        self.allocated += 1
        ctypes.cast(pp, ctypes.POINTER(ctypes.POINTER(WTS_SESSION_INFOW)))[0] = ctypes.cast(
            arr, ctypes.POINTER(WTS_SESSION_INFOW)
        )
        ctypes.cast(count, ctypes.POINTER(ctypes.c_uint32))[0] = len(self.sessions)
        return 1

    def WTSQuerySessionInformationW(self, server, sid, info_class, pbuf, psize):
        row = next((r for r in self.sessions if r[0] == sid), None)
        if row is None:
            self.fail_with = 7022
            return 0
        if info_class == WTS_USER_NAME:
            self._out(pbuf, ctypes.create_unicode_buffer(row[3]))
            return 1
        assert info_class == WTS_SESSION_INFO_EX
        if row[4] is None:
            self.fail_with = 87
            return 0
        info = WTSINFOEXW()
        info.Level = 1
        info.Data.SessionId = sid
        info.Data.SessionFlags = row[4]
        self._out(pbuf, info)
        return 1

    def WTSFreeMemory(self, p):
        self.freed += 1

    def WTSDisconnectSession(self, server, sid, wait):
        self.calls.append(("disconnect", sid, bool(wait)))
        return self._act(sid)

    def WTSLogoffSession(self, server, sid, wait):
        self.calls.append(("logoff", sid, bool(wait)))
        return self._act(sid)

    def _act(self, sid: int) -> int:
        if self.fail_with:
            return 0
        return 1


def _windows(
    rows: list[tuple[int, str, int, str, int | None]],
) -> tuple[WindowsSessions, FakeWtsApi]:
    api = FakeWtsApi(rows)
    return WindowsSessions(api, lambda: api.fail_with), api


def test_windows_lists_user_sessions_with_lock_state() -> None:
    src, api = _windows(
        [
            (0, "Services", WTS_DISCONNECTED, "", None),
            (1, "Console", WTS_ACTIVE, "an", WTS_SESSIONSTATE_UNLOCK),
            (2, "", WTS_DISCONNECTED, "binh", WTS_SESSIONSTATE_UNLOCK),
            (3, "RDP-Tcp#0", WTS_ACTIVE, "chi", WTS_SESSIONSTATE_LOCK),
            (4, "RDP-Tcp", 6, "", None),  # the listener: no user
            (5, "Console", WTS_ACTIVE, "dung", None),  # no WTSSessionInfoEx: unknown
        ]
    )
    got = {s.id: s for s in src.sessions()}
    assert sorted(got) == ["1", "2", "3", "5"]
    assert (got["1"].user, got["1"].active, got["1"].locked, got["1"].kind) == (
        "an",
        True,
        False,
        "console",
    )
    assert (got["2"].active, got["2"].locked) == (False, True)  # disconnected: off screen
    assert (got["3"].locked, got["3"].remote) == (True, True)
    assert got["5"].locked is None and got["5"].idle_seconds is None
    assert api.freed == api.allocated  # every buffer handed back


def test_windows_lock_is_disconnect_and_logout_is_logoff() -> None:
    src, api = _windows([(1, "Console", WTS_ACTIVE, "an", WTS_SESSIONSTATE_UNLOCK)])
    src.lock("1")
    src.logout("1")
    src.kill("1")
    assert api.calls == [("disconnect", 1, False), ("logoff", 1, True), ("logoff", 1, True)]


@pytest.mark.parametrize(
    ("code", "error"), [(5, NotPermitted), (7022, SessionGone), (1, PlatformError)]
)
def test_windows_errors_are_translated(code: int, error: type[Exception]) -> None:
    src, api = _windows([(1, "Console", WTS_ACTIVE, "an", WTS_SESSIONSTATE_UNLOCK)])
    api.fail_with = code
    with pytest.raises(error):
        src.lock("1")


class FakeMac:
    def __init__(self, outputs: dict[str, tuple[int, str, str]]) -> None:
        self.outputs = outputs
        self.argvs: list[list[str]] = []

    def __call__(self, argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        assert kw.get("timeout") and kw.get("text") and kw.get("capture_output")
        self.argvs.append(argv)
        code, out, err = self.outputs.get(argv[0] + " " + argv[-1], (0, "", ""))
        return subprocess.CompletedProcess(argv, code, out, err)


IOREG_IDLE = '    |   "HIDIdleTime" = 42500000000\n    |   "HIDIdleTimeX" = 1\n'
IOREG_ROOT = (
    '  "IOConsoleUsers" = ({"kCGSSessionOnConsoleKey"=Yes,'
    '"CGSSessionScreenIsLocked"=Yes,"kCGSSessionUserNameKey"="an"})\n'
)


def test_macos_console_user_idle_and_lock() -> None:
    run = FakeMac(
        {
            "stat /dev/console": (0, "an 501\n", ""),
            "ioreg 4": (0, IOREG_IDLE, ""),
            "ioreg 1": (0, IOREG_ROOT, ""),
        }
    )
    (info,) = MacSessions(run).sessions()
    assert (info.id, info.user, info.uid, info.active) == ("501", "an", 501, True)
    assert info.idle_seconds == 42.5 and info.locked is True


def test_macos_login_window_means_no_session() -> None:
    run = FakeMac({"stat /dev/console": (0, "root 0\n", "")})
    assert MacSessions(run).sessions() == []


def test_macos_unlocked_when_on_console_without_lock_key() -> None:
    run = FakeMac(
        {
            "stat /dev/console": (0, "an 501\n", ""),
            "ioreg 1": (0, '"IOConsoleUsers" = ({"kCGSSessionOnConsoleKey"=Yes})', ""),
        }
    )
    (info,) = MacSessions(run).sessions()
    assert info.locked is False and info.idle_seconds is None


def test_macos_logout_is_launchctl_bootout() -> None:
    run = FakeMac({})
    src = MacSessions(run)
    src.logout("501")
    src.lock("501")
    src.kill("501")
    assert run.argvs == [
        ["launchctl", "bootout", "gui/501"],
        ["pmset", "displaysleepnow"],
        ["pkill", "-KILL", "-U", "501"],
    ]


def test_macos_errors_are_translated() -> None:
    run = FakeMac({"launchctl gui/501": (1, "", "Operation not permitted")})
    with pytest.raises(NotPermitted):
        MacSessions(run).logout("501")
    run = FakeMac({"launchctl gui/501": (3, "", "Boot-out failed: 3: No such process")})
    with pytest.raises(SessionGone):
        MacSessions(run).logout("501")

    def missing(argv: list[str], **kw: Any) -> Any:
        raise FileNotFoundError(argv[0])

    with pytest.raises(PlatformError):
        MacSessions(missing).sessions()
