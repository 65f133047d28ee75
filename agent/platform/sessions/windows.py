"""Windows: the Remote Desktop Services API (wtsapi32) from the SYSTEM service.

WTSEnumerateSessionsW lists sessions with their connect state; WTSQuerySessionInformationW
gives the user (WTSUserName, WTSDomainName) and the lock state (WTSSessionInfoEx);
WTSDisconnectSession locks (the session keeps running behind the sign-in screen) and
WTSLogoffSession logs out. Idle comes from the child's tray (GetLastInputInfo).

The DLL is injected (`wtsapi`: an object with those functions), so the marshalling is
unit-tested anywhere with a fake that fills the same ctypes structures.
"""

from __future__ import annotations

import ctypes
from typing import Any

from agent.platform.base import NotPermitted, PlatformError
from agent.platform.sessions.base import SessionCapabilities, SessionGone, SessionInfo

__all__ = [
    "WTSINFOEXW",
    "WTS_SESSION_INFOW",
    "WindowsSessions",
]

WTS_CURRENT_SERVER_HANDLE = None
# WTS_CONNECTSTATE_CLASS
WTS_ACTIVE, WTS_CONNECTED, WTS_DISCONNECTED = 0, 1, 4
# WTS_INFO_CLASS
WTS_USER_NAME, WTS_SESSION_INFO_EX = 5, 25
# WTSINFOEX_LEVEL1.SessionFlags
WTS_SESSIONSTATE_LOCK, WTS_SESSIONSTATE_UNLOCK = 0, 1
# Win32 error codes
ERROR_ACCESS_DENIED, ERROR_FILE_NOT_FOUND, ERROR_CTX_WINSTATION_NOT_FOUND = 5, 2, 7022

WINSTATIONNAME_LENGTH, USERNAME_LENGTH, DOMAIN_LENGTH = 32, 20, 17


class WTS_SESSION_INFOW(ctypes.Structure):
    _fields_ = [
        ("SessionId", ctypes.c_uint32),
        ("pWinStationName", ctypes.c_wchar_p),
        ("State", ctypes.c_int),
    ]


class WTSINFOEX_LEVEL1_W(ctypes.Structure):
    _fields_ = [
        ("SessionId", ctypes.c_uint32),
        ("SessionState", ctypes.c_int),
        ("SessionFlags", ctypes.c_int32),
        ("WinStationName", ctypes.c_wchar * (WINSTATIONNAME_LENGTH + 1)),
        ("UserName", ctypes.c_wchar * (USERNAME_LENGTH + 1)),
        ("DomainName", ctypes.c_wchar * (DOMAIN_LENGTH + 1)),
        ("LogonTime", ctypes.c_int64),
        ("ConnectTime", ctypes.c_int64),
        ("DisconnectTime", ctypes.c_int64),
        ("LastInputTime", ctypes.c_int64),
        ("CurrentTime", ctypes.c_int64),
        ("IncomingBytes", ctypes.c_uint32),
        ("OutgoingBytes", ctypes.c_uint32),
        ("IncomingFrames", ctypes.c_uint32),
        ("OutgoingFrames", ctypes.c_uint32),
        ("IncomingCompressedBytes", ctypes.c_uint32),
        ("OutgoingCompressedBytes", ctypes.c_uint32),
    ]


class WTSINFOEXW(ctypes.Structure):
    _fields_ = [("Level", ctypes.c_uint32), ("Data", WTSINFOEX_LEVEL1_W)]


def _load() -> tuple[Any, Any]:
    """wtsapi32 and the last-error getter of this Windows (only Windows has them)."""
    names = vars(ctypes)  # WinDLL and get_last_error exist only on Windows
    if "WinDLL" not in names:
        raise PlatformError("wtsapi32 exists only on Windows")
    return names["WinDLL"]("wtsapi32", use_last_error=True), names["get_last_error"]


class WindowsSessions:
    """The WTS session source; `wtsapi` and `last_error` are injectable for tests."""

    capabilities = SessionCapabilities(
        lock=True,  # WTSDisconnectSession: the console shows the sign-in screen
        logout=True,
        force_logout=False,  # WTSLogoffSession is already forced; nothing stronger exists
        reports_locked=True,
        reports_idle=False,  # from the tray (GetLastInputInfo)
    )

    def __init__(self, wtsapi: Any = None, last_error: Any = None) -> None:
        if wtsapi is None:
            wtsapi, last_error = _load()
        self._api = wtsapi
        self._last_error = last_error or (lambda: 0)

    def _fail(self, what: str, session_id: int | None = None) -> PlatformError:
        code = int(self._last_error())
        detail = f"{what} failed (error {code})"
        if code == ERROR_ACCESS_DENIED:
            return NotPermitted(detail)
        if code in (ERROR_FILE_NOT_FOUND, ERROR_CTX_WINSTATION_NOT_FOUND):
            return SessionGone(f"session {session_id}: {detail}")
        return PlatformError(detail)

    def _query(self, session_id: int, info_class: int) -> Any:
        buf = ctypes.c_void_p()
        size = ctypes.c_uint32()
        ok = self._api.WTSQuerySessionInformationW(
            WTS_CURRENT_SERVER_HANDLE,
            session_id,
            info_class,
            ctypes.byref(buf),
            ctypes.byref(size),
        )
        if not ok:
            raise self._fail("WTSQuerySessionInformationW", session_id)
        return buf

    def _user(self, session_id: int) -> str:
        buf = self._query(session_id, WTS_USER_NAME)
        try:
            return ctypes.wstring_at(buf.value) if buf.value else ""
        finally:
            self._api.WTSFreeMemory(buf)

    def _locked(self, session_id: int) -> bool | None:
        try:
            buf = self._query(session_id, WTS_SESSION_INFO_EX)
        except SessionGone:
            raise
        except PlatformError:
            return None  # older Windows: unknown, so counted as unlocked
        try:
            info = ctypes.cast(buf, ctypes.POINTER(WTSINFOEXW)).contents
            if info.Level != 1:
                return None
            flags = info.Data.SessionFlags
            if flags == WTS_SESSIONSTATE_LOCK:
                return True
            if flags == WTS_SESSIONSTATE_UNLOCK:
                return False
            return None
        finally:
            self._api.WTSFreeMemory(buf)

    def sessions(self) -> list[SessionInfo]:
        """Sessions with a user: active (console or RDP in use) or disconnected."""
        pointer = ctypes.POINTER(WTS_SESSION_INFOW)()
        count = ctypes.c_uint32()
        ok = self._api.WTSEnumerateSessionsW(
            WTS_CURRENT_SERVER_HANDLE, 0, 1, ctypes.byref(pointer), ctypes.byref(count)
        )
        if not ok:
            raise self._fail("WTSEnumerateSessionsW")
        try:
            listed = [
                (int(pointer[i].SessionId), pointer[i].pWinStationName or "", int(pointer[i].State))
                for i in range(count.value)
            ]
        finally:
            self._api.WTSFreeMemory(pointer)
        out: list[SessionInfo] = []
        for sid, station, state in listed:
            if sid == 0:
                continue  # services' session
            try:
                user = self._user(sid)
                if not user:
                    continue  # the sign-in screen, or an RDP listener
                locked = self._locked(sid)
            except SessionGone:
                continue
            out.append(
                SessionInfo(
                    id=str(sid),
                    user=user,
                    seat=station,
                    active=state == WTS_ACTIVE,
                    # A disconnected session is not on screen: treated like a locked one.
                    locked=True if state == WTS_DISCONNECTED else locked,
                    idle_seconds=None,
                    kind="rdp" if station.upper().startswith("RDP") else "console",
                    remote=station.upper().startswith("RDP"),
                )
            )
        return out

    def lock(self, session_id: str) -> None:
        """WTSDisconnectSession: the user's desktop goes behind the sign-in screen."""
        if not self._api.WTSDisconnectSession(WTS_CURRENT_SERVER_HANDLE, int(session_id), False):
            raise self._fail("WTSDisconnectSession", int(session_id))

    def logout(self, session_id: str) -> None:
        """WTSLogoffSession (waits for the log-off)."""
        if not self._api.WTSLogoffSession(WTS_CURRENT_SERVER_HANDLE, int(session_id), True):
            raise self._fail("WTSLogoffSession", int(session_id))

    def kill(self, session_id: str) -> None:
        """Nothing is stronger than WTSLogoffSession: the same call again."""
        self.logout(session_id)

    def close(self) -> None:
        """Nothing held open."""
