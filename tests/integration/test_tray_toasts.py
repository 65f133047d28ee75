"""Toasts under Xvfb: a new one replaces the old, and none covers the panel's controls.

From the family test: a toast lay over the panel's Close button, and an old toast stayed
stacked under a new one. The windows' places are read from the X server (xdotool).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.i18n import language
from tests.support.desktop import patched_environ
from tests.support.waiting import wait_until
from tests.support.xdesktop import XDesktop, xdesktop, xdesktop_unavailable
from tray.model import build_view

pytestmark = pytest.mark.desktop

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
SIZE = (1024, 768)

_reason = xdesktop_unavailable(tray=False)
if _reason:
    pytest.skip(_reason, allow_module_level=True)


def status() -> dict[str, Any]:
    row = {
        "id": "minetest", "kind": "app", "title": "Minetest", "used_seconds": 60,
        "limit_seconds": 120, "bonus_seconds": 0, "left_seconds": 60, "state": "warning",
        "reason": None, "until": None, "active": True,
    }  # fmt: skip
    child = {"name": "An", "running": ["minetest"], "paused": False, "limits": [row]}
    return {"day": "2026-11-23", "agent": {"running": True}, "children": [child]}


@pytest.fixture
def desk() -> Iterator[XDesktop]:
    with xdesktop(SIZE, tray=False) as desktop, patched_environ(desktop.env):
        yield desktop


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_one_toast_at_a_time_and_never_over_the_panel(desk: XDesktop) -> None:
    """Tk runs in a process of its own: Tk keeps its X connection for the life of the
    process, and the next test's Xvfb may take the same display number."""
    in_child(scenario, desk)


def in_child(target: Any, desk: XDesktop) -> None:
    """Run `target(desk)` in a process of its own; fail when it fails."""
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(target=target, args=(desk,))
    child.start()
    child.join(120)
    assert child.exitcode == 0, "the scenario failed (its traceback is above)"


def test_a_replaced_toast_leaves_no_timer_behind(desk: XDesktop) -> None:
    """Family test: "TypeError: Toasts.show.<locals>.<lambda>() missing 1 required positional
    argument: '_e'" in the tray's log. A toast closed early (clicked, or replaced) left its
    timer, which then called a Tcl command name reused by a newer toast's click handler."""
    in_child(replaced_toasts, desk)


def replaced_toasts(desk: XDesktop) -> None:
    import os
    import time
    import tkinter as tk

    from tray.tk_windows import Toasts

    os.environ.update(desk.env)
    root = tk.Tk(className="PlayClock")
    root.withdraw()
    errors: list[BaseException] = []
    root.report_callback_exception = lambda _t, exc, _tb: errors.append(exc)  # type: ignore[method-assign]
    try:
        toasts = Toasts(root, seconds=1)
        for n in range(20):  # many short-lived toasts: command names get reused
            toasts.show(f"Toast {n}", "text")
            root.update()
        assert len(toasts.open) == 1
        assert len(root.tk.splitlist(root.tk.call("after", "info"))) == 1
        deadline = time.monotonic() + 5
        while toasts.open and time.monotonic() < deadline:
            root.update()
            time.sleep(0.02)
        assert toasts.open == [], "the last toast closes after its own time"
        assert root.tk.call("after", "info") == ""
        assert errors == []
    finally:
        root.destroy()


def scenario(desk: XDesktop) -> None:
    """What the test checks, in the child process."""
    import os
    import tkinter as tk

    os.environ.update(desk.env)

    from tray import style
    from tray.panel import CLOSE, Panel
    from tray.tk_windows import Toasts

    # The tray at the bottom-right: the panel opens right where toasts go.
    desk.xdotool("mousemove", str(SIZE[0] - 20), str(SIZE[1] - 10))
    with language("vi"):
        root = tk.Tk(className="PlayClock")
        root.withdraw()
        try:
            style.apply(root)
            panel = Panel(root, lambda _action: None)
            toasts = Toasts(root, seconds=60, avoid=panel.rect)
            panel.on_moved = toasts.place

            def toast_windows() -> list[int]:
                root.update()
                return desk.windows("--onlyvisible", "--class", "PlayClockToast")

            toasts.show("Sắp hết giờ", "Minetest: còn 1 phút. Hãy lưu lại việc đang làm.")
            (first,) = wait_until(toast_windows, 10, 0.05, message="the first toast")
            before = desk.geometry(first)

            # The panel opens where the toast is: the toast moves out of its way.
            panel.show(build_view(status(), child="An", parent=True))
            root.update()
            assert panel.win is not None
            (panel_id,) = wait_until(
                lambda: desk.windows("--onlyvisible", "--class", "PlayClockPanel"), 10, 0.05
            )

            def apart() -> bool:
                root.update()
                return not overlap(desk.geometry(first), desk.geometry(panel_id))

            assert overlap(before, desk.geometry(panel_id)), "the test must start covered"
            wait_until(apart, 10, 0.05, message="the toast moved off the panel")

            # A new toast replaces the old one, and it too leaves the panel's controls free.
            toasts.show("Đã đóng Minetest", "Thời gian hôm nay cho Minetest đã hết.")
            wait_until(lambda: first not in toast_windows(), 10, 0.05, message="old toast gone")
            (second,) = wait_until(toast_windows, 10, 0.05, message="the new toast")
            shown = desk.geometry(second)
            panel_box = desk.geometry(panel_id)
            assert not overlap(shown, panel_box), (shown, panel_box)
            close = panel.buttons[CLOSE]
            close_box = (
                close.winfo_rootx(),
                close.winfo_rooty(),
                close.winfo_width(),
                close.winfo_height(),
            )
            assert not overlap(shown, close_box), (shown, close_box)
            assert shown[0] >= 0 and shown[0] + shown[2] <= SIZE[0]
            assert shown[1] >= 0 and shown[1] + shown[3] <= SIZE[1]
            SHOTS.mkdir(parents=True, exist_ok=True)
            desk.screenshot(SHOTS / "tray-toast-beside-panel.png")

            # The panel closes: the toast goes back to its corner.
            panel.hide()
            root.update()
            wait_until(
                lambda: (toast_windows(), desk.geometry(second))[1][1] > shown[1],
                10,
                0.05,
                message="the toast back in the bottom-right corner",
            )
        finally:
            root.destroy()
