"""Work-arounds for pystray 0.19.5's xorg backend: clicks, repeated dock requests, lost docks."""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["embedded", "xorg_icon_class"]

log = logging.getLogger("playclock.tray")


def xorg_icon_class(base: Any) -> Any:
    """A subclass of pystray's xorg Icon that can be clicked and docks once per tray host."""
    from Xlib import X

    class XorgIcon(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # pystray never asks for ButtonPress events, so a click did nothing.
            self._window.change_attributes(
                event_mask=X.ExposureMask | X.StructureNotifyMask | X.ButtonPressMask
            )
            self._display.flush()

        def _assert_docked(self) -> None:
            # pystray sends a new dock request on every icon update; a tray host that
            # gets several while embedding can lose the icon. Ask once per host.
            if not self._systray_manager:
                self._dock_window()
            assert self._systray_manager

        def redock(self) -> None:
            """Ask the tray host to embed the icon again (from any thread)."""
            self._systray_manager = None
            self._update_icon()

    return XorgIcon


def embedded(icon: Any) -> bool:
    """Whether the tray host has taken the icon's window in (it is no longer the root's child)."""
    window = getattr(icon, "_window", None)
    if window is None:
        return True
    try:
        tree = window.query_tree()
    except Exception:  # the window is gone: nothing to re-dock
        return True
    return bool(tree.parent.id != tree.root.id)
