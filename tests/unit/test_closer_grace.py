"""The closer's grace per (child, app) on a fake platform: a game that re-forks under new
pids gets no new grace, one that ignored a close dies at once, a polite one starts afresh."""

from __future__ import annotations

from agent.platform.base import Capabilities, Platform, ProcessGone
from agent.service.closer import Closer

GRACE = 10.0
KEY = ("An", "forkgame")


class FakePlatform(Platform):
    """Processes that live until they exit or are killed; records what was sent."""

    capabilities = Capabilities("linux", "sigterm", True, None, True)

    def __init__(self) -> None:
        self.alive: set[int] = set()
        self.terms: list[int] = []
        self.kills: list[int] = []

    def close_politely(self, pid: int, create_time: float | None = None) -> bool:
        if pid not in self.alive:
            raise ProcessGone(f"{pid} is gone")
        self.terms.append(pid)
        return True

    def is_alive(self, pid: int, create_time: float | None = None) -> bool:
        return pid in self.alive

    def kill_tree(self, pid: int, create_time: float | None = None) -> list[int]:
        if pid not in self.alive:
            raise ProcessGone(f"{pid} is gone")
        self.alive.discard(pid)
        self.kills.append(pid)
        return [pid]

    def boot_clock(self) -> float:
        return 0.0

    def current_user(self) -> str:
        return "root"

    def is_admin(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make() -> tuple[FakePlatform, Clock, Closer]:
    plat, clock = FakePlatform(), Clock()
    return plat, clock, Closer(plat, GRACE, clock, stubborn_seconds=600)


def test_a_fork_chain_shares_one_grace_and_then_dies_at_once() -> None:
    """Each pid lives half a tick: the kill comes at the end of the first grace anyway."""
    plat, clock, closer = make()
    pid = 1000
    plat.alive.add(pid)
    kinds = []
    while clock.now < 100.0 + GRACE + 5:
        kinds += [a.kind for a in closer.close(pid, float(pid), KEY)]
        kinds += [a.kind for a in closer.step()]
        # It re-forks and its parent leaves before the next tick.
        plat.alive.discard(pid)
        pid += 1
        plat.alive.add(pid)
        clock.now += 1.0
        if plat.kills:
            break
    assert plat.kills, "the chain was never killed"
    assert clock.now <= 100.0 + GRACE + 1.0
    assert closer.is_stubborn(KEY)
    # From now on a new pid of the app dies at once, without a polite close first.
    (action,) = closer.close(pid, float(pid), KEY)
    assert (action.kind, action.key, action.pid) == ("kill", KEY, pid)
    assert "no grace" in action.detail
    assert pid not in plat.terms


def test_a_process_that_outlives_its_grace_is_killed_and_its_app_is_stubborn() -> None:
    plat, clock, closer = make()
    plat.alive.add(1)
    closer.close(1, 1.0, KEY)
    clock.now += GRACE
    closer.close(1, 1.0, KEY)  # still running, still asked for
    (kill,) = closer.step()
    assert (kill.kind, kill.key) == ("kill", KEY)
    plat.alive.add(2)
    clock.now += 30
    (again,) = closer.close(2, 2.0, KEY)
    assert again.kind == "kill"


def test_an_app_that_closed_politely_gets_a_fresh_grace_next_time() -> None:
    plat, clock, closer = make()
    plat.alive.add(1)
    closer.close(1, 1.0, KEY)
    closer.step()
    plat.alive.discard(1)  # it quit on SIGTERM
    clock.now += 1
    assert [a.kind for a in closer.step()] == ["gone"]
    clock.now += 60  # relaunched a minute later
    plat.alive.add(2)
    (polite,) = closer.close(2, 2.0, KEY)
    assert polite.kind == "polite"
    assert closer.pending == {2: clock.now + GRACE}
    assert not closer.is_stubborn(KEY)


def test_a_stubborn_app_is_forgiven_after_a_while() -> None:
    plat, clock, closer = make()
    plat.alive.add(1)
    closer.close(1, 1.0, KEY)
    clock.now += GRACE
    closer.step()
    assert closer.is_stubborn(KEY)
    clock.now += 601
    closer.step()
    assert not closer.is_stubborn(KEY)
    plat.alive.add(2)
    assert [a.kind for a in closer.close(2, 2.0, KEY)] == ["polite"]


def test_other_apps_keep_their_own_grace() -> None:
    plat, clock, closer = make()
    plat.alive.update({1, 2})
    closer.close(1, 1.0, KEY)
    clock.now += GRACE
    closer.close(1, 1.0, KEY)
    closer.step()
    assert closer.is_stubborn(KEY)
    (polite,) = closer.close(2, 2.0, ("An", "notes"))
    assert polite.kind == "polite"
    plat.alive.add(3)
    (other_child,) = closer.close(3, 3.0, ("Binh", "forkgame"))
    assert other_child.kind == "polite"
