"""The SessionSource contract, run against logind (a real D-Bus daemon with python-dbusmock's
logind template) and against agent.testing.FakeSessions alike."""

from __future__ import annotations

import abc
import time
from collections.abc import Iterator

import pytest

from agent.platform.base import PlatformError
from agent.platform.sessions.base import SessionGone, SessionInfo, SessionSource
from agent.testing import FakeSessions
from tests.support.logind import mock_logind, mock_logind_unavailable


class World(abc.ABC):
    source: SessionSource

    @abc.abstractmethod
    def login(self, session_id: str, user: str, uid: int, active: bool = True) -> None: ...

    @abc.abstractmethod
    def set(
        self,
        session_id: str,
        *,
        idle_since: float | None = None,
        locked: bool | None = None,
        active: bool | None = None,
    ) -> None:
        """idle_since: a time.monotonic() instant when input stopped (None: not idle)."""

    @abc.abstractmethod
    def actions(self, session_id: str) -> list[str]:
        """ "lock" / "logout" / "kill" as asked of the session, in order."""


class FakeWorld(World):
    def __init__(self) -> None:
        self.fake = FakeSessions()
        self.source = self.fake

    def login(self, session_id: str, user: str, uid: int, active: bool = True) -> None:
        self.fake.add(SessionInfo(session_id, user, uid, "seat0", active, False, 0.0, "x11"))

    def set(self, session_id, *, idle_since=None, locked=None, active=None):  # type: ignore[no-untyped-def]
        changes: dict[str, object] = {}
        if idle_since is not None:
            changes["idle_seconds"] = time.monotonic() - idle_since
        if locked is not None:
            changes["locked"] = locked
        if active is not None:
            changes["active"] = active
        self.fake.update(session_id, **changes)

    def actions(self, session_id: str) -> list[str]:
        return [what for what, sid in self.fake.calls if sid == session_id]


class LogindWorld(World):
    def __init__(self, logind) -> None:  # type: ignore[no-untyped-def]
        from agent.platform.sessions.linux import LogindSessions

        self.logind = logind
        self.source = LogindSessions()

    def login(self, session_id: str, user: str, uid: int, active: bool = True) -> None:
        self.logind.add_session(session_id, "seat0", uid, user, active)

    def set(self, session_id, *, idle_since=None, locked=None, active=None):  # type: ignore[no-untyped-def]
        props: dict[str, object] = {}
        if idle_since is not None:
            props["IdleHint"] = True
            props["IdleSinceHintMonotonic"] = int(idle_since * 1e6)
        if locked is not None:
            props["LockedHint"] = locked
        if active is not None:
            props["Active"] = active
        self.logind.set_session(session_id, **props)

    def actions(self, session_id: str) -> list[str]:
        out: list[tuple[float, str]] = []
        # the mock keeps per-object call logs; merge the session's Lock with the manager's.
        for what, path_sid, method in (
            ("lock", session_id, "Lock"),
            ("logout", None, "TerminateSession"),
            ("kill", None, "KillSession"),
        ):
            for args in self.logind.calls(path_sid, method):
                if path_sid is not None or args[0] == session_id:
                    out.append((0.0, what))
        return [w for _t, w in out]


@pytest.fixture(params=["fake", "logind"])
def world(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    if request.param == "fake":
        yield FakeWorld()
        return
    reason = mock_logind_unavailable()
    if reason:
        pytest.skip(reason)
    with mock_logind() as logind:
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", logind.address)
        w = LogindWorld(logind)
        try:
            yield w
        finally:
            w.source.close()


def _one(world: World, session_id: str) -> SessionInfo:
    return next(s for s in world.source.sessions() if s.id == session_id)


def test_sees_a_new_session_with_its_user(world: World) -> None:
    assert world.source.sessions() == []
    world.login("c1", "an", 1001)
    info = _one(world, "c1")
    assert (info.user, info.uid, info.seat, info.active) == ("an", 1001, "seat0", True)
    assert info.locked is False and info.idle_seconds == 0.0 and info.is_user


def test_idle_since_is_reported_in_seconds(world: World) -> None:
    world.login("c1", "an", 1001)
    world.set("c1", idle_since=time.monotonic() - 200)
    assert 199 <= (_one(world, "c1").idle_seconds or 0) < 230


def test_locked_and_background_sessions(world: World) -> None:
    world.login("c1", "an", 1001)
    world.set("c1", locked=True)
    assert _one(world, "c1").locked is True
    world.set("c1", locked=False, active=False)
    info = _one(world, "c1")
    assert info.locked is False and info.active is False


def test_lock_logout_kill_are_asked_of_that_session(world: World) -> None:
    world.login("c1", "an", 1001)
    world.login("c2", "binh", 1002)
    world.source.lock("c1")
    world.source.lock("c1")
    assert world.actions("c1") == ["lock", "lock"]
    assert world.actions("c2") == []
    world.source.kill("c2")
    assert world.actions("c2") == ["kill"]


def test_logout(world: World) -> None:
    world.login("c1", "an", 1001)
    world.source.logout("c1")
    assert "logout" in world.actions("c1")


def test_unknown_session_is_gone(world: World) -> None:
    with pytest.raises(SessionGone):
        world.source.lock("nosuchsession")


def test_no_bus_is_a_platform_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from agent.platform.sessions.linux import LogindSessions

    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/none")
    with pytest.raises(PlatformError):
        LogindSessions().sessions()
