"""The tray's idle source on GNOME Wayland: Mutter's idle monitor on a real private session
bus (python-dbusmock standing in for Mutter), and the choice of source per desktop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.logind import mock_logind, mock_logind_unavailable
from tests.support.mutter import MockMutter, mock_mutter, mock_mutter_unavailable
from tray.idle import MutterIdle, X11Idle, idle_reader

pytestmark = pytest.mark.skipif(
    mock_mutter_unavailable() is not None, reason=str(mock_mutter_unavailable())
)


@pytest.fixture
def mutter() -> Iterator[MockMutter]:
    with mock_mutter(idle_seconds=42.5) as bus:
        yield bus


def test_reads_milliseconds_from_get_idletime_and_follows_changes(mutter: MockMutter) -> None:
    source = MutterIdle(mutter.address)
    try:
        assert source.kind == "mutter"
        assert source() == 42.5
        mutter.set_idle(0.25)
        assert source() == 0.25
        assert mutter.calls() >= 3  # the probe at start, and each read
    finally:
        source.close()


def test_wayland_picks_mutter_and_never_the_x_server(mutter: MockMutter) -> None:
    # Xwayland's DISPLAY is there too, but it sees only X clients' input: not asked.
    env = {
        "WAYLAND_DISPLAY": "wayland-0",
        "DISPLAY": ":9999",
        "DBUS_SESSION_BUS_ADDRESS": mutter.address,
    }
    source = idle_reader(env)
    try:
        assert isinstance(source, MutterIdle) and not isinstance(source, X11Idle)
        assert source() == 42.5
    finally:
        assert source is not None
        source.close()


@pytest.mark.skipif(mock_logind_unavailable() is not None, reason="no dbusmock logind")
def test_wayland_without_mutter_reports_nothing() -> None:
    # A bus where nobody owns the idle monitor's name (KDE, Sway): no source (fail closed).
    with mock_logind() as other:
        env = {"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": other.address}
        assert idle_reader(env) is None
    env = {"XDG_SESSION_TYPE": "wayland", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}
    assert idle_reader(env) is None


def test_a_mutter_that_goes_away_gives_no_answer_then_comes_back() -> None:
    with mock_mutter(idle_seconds=3.0) as first:
        source = MutterIdle(first.address)
        assert source() == 3.0
    try:
        assert source() is None  # bus and Mutter gone: nothing, never a made-up idle
    finally:
        source.close()
