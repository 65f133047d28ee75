"""Which pystray backend the tray uses on Linux.

Today's Linux desktops (GNOME with the AppIndicator extension, KDE, Cinnamon, XFCE…) show
tray icons through StatusNotifierItem: pystray's `appindicator` backend, with a native menu.
It needs PyGObject and the AyatanaAppIndicator3 (or AppIndicator3) typelib, and a
StatusNotifierWatcher on the session bus. Without them the tray falls back to pystray's
`xorg` backend (an XEmbed icon) and its own window for the menu.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import MutableMapping
from typing import Any

__all__ = [
    "NOTIFICATIONS",
    "WATCHER",
    "appindicator_missing",
    "bus_has_name",
    "choose_backend",
    "indicator_icon_class",
]

log = logging.getLogger("playclock.tray")

WATCHER = "org.kde.StatusNotifierWatcher"
NOTIFICATIONS = "org.freedesktop.Notifications"
WATCHER_WAIT = 3.0  # at login the desktop's watcher may come up a moment after the tray


def bus_has_name(name: str, timeout: float = 2.0) -> bool:
    """Whether someone owns `name` on the session bus (False without a session bus)."""
    try:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection("SESSION") as conn:
            reply = conn.send_and_get_reply(message_bus.NameHasOwner(name), timeout=timeout)
            return bool(reply.body[0])
    except Exception as exc:  # no bus, no jeepney, a refused connection: nobody owns it
        log.debug("session bus: %s", exc)
        return False


def appindicator_missing() -> str | None:
    """Why pystray's appindicator backend cannot load here, or None when it can."""
    try:
        import gi

        gi.require_version("Gtk", "3.0")
        try:
            gi.require_version("AyatanaAppIndicator3", "0.1")
        except ValueError:
            gi.require_version("AppIndicator3", "0.1")
    except (ImportError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return None


def choose_backend(
    environ: MutableMapping[str, str] | None = None, wait: float = WATCHER_WAIT
) -> str | None:
    """Pick the backend and set PYSTRAY_BACKEND for it (before pystray is imported).

    A backend the user set in PYSTRAY_BACKEND is kept. None on systems where pystray has
    only one backend (Windows, macOS).
    """
    env = os.environ if environ is None else environ
    if env.get("PYSTRAY_BACKEND"):
        return env["PYSTRAY_BACKEND"]
    if not sys.platform.startswith("linux"):
        return None
    missing = appindicator_missing()
    chosen = "xorg"
    if missing is not None:
        log.info("tray: xorg icon and window (no AppIndicator: %s)", missing)
    else:
        deadline = time.monotonic() + wait
        while True:
            if bus_has_name(WATCHER):
                chosen = "appindicator"
                break
            if time.monotonic() >= deadline:
                log.info("tray: xorg icon and window (no StatusNotifierWatcher on the bus)")
                break
            time.sleep(0.2)
    env["PYSTRAY_BACKEND"] = chosen
    return chosen


def indicator_icon_class(base: Any) -> Any:
    """pystray's GTK/AppIndicator Icon that stops quietly on desktops without notifications.

    pystray hides its last notification when it stops; with no notification service on
    the bus that call raised in the icon's thread and printed a traceback at every exit.
    """

    class IndicatorIcon(base):  # type: ignore[misc]  # pystray has no types
        def _finalize(self) -> None:
            notifier = getattr(self, "_notifier", None)
            if notifier is not None:
                hide = notifier.hide

                def quiet_hide() -> None:
                    try:
                        hide()
                    except Exception as exc:  # GLib.Error: nobody shows notifications
                        log.debug("hiding the notification: %s", exc)

                notifier.hide = quiet_hide
            super()._finalize()

    return IndicatorIcon
