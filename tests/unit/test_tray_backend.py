"""Which pystray backend the tray picks on Linux (issue 14, item 5)."""

from __future__ import annotations

import sys

import pytest

from tray import backend


@pytest.fixture(autouse=True)
def linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")


def test_appindicator_where_a_status_notifier_watcher_is_on_the_bus(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backend, "appindicator_missing", lambda: None)
    monkeypatch.setattr(backend, "bus_has_name", lambda name: name == backend.WATCHER)
    env: dict[str, str] = {}
    assert backend.choose_backend(env, wait=0) == "appindicator"
    assert env["PYSTRAY_BACKEND"] == "appindicator"


def test_xorg_and_the_window_without_a_watcher_or_without_gi(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backend, "appindicator_missing", lambda: None)
    monkeypatch.setattr(backend, "bus_has_name", lambda name: False)
    assert backend.choose_backend({}, wait=0) == "xorg"
    monkeypatch.setattr(backend, "appindicator_missing", lambda: "No module named 'gi'")
    monkeypatch.setattr(backend, "bus_has_name", lambda name: True)
    assert backend.choose_backend({}, wait=0) == "xorg"


def test_a_backend_the_user_chose_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "bus_has_name", lambda name: True)
    assert backend.choose_backend({"PYSTRAY_BACKEND": "gtk"}, wait=0) == "gtk"


def test_no_session_bus_means_no_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/playclock-bus")
    assert backend.bus_has_name(backend.WATCHER) is False
