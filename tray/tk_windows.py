"""Small Tk windows: a message with an OK button, and a toast that closes by itself."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from agent.i18n import _
from tray.pindialog import centre

__all__ = ["TOAST_SECONDS", "Rect", "Toasts", "show_info", "toast_position"]

TOAST_SECONDS = 10
_WRAP = 380


def show_info(root: tk.Misc, title: str, text: str) -> tk.Toplevel:
    """A window with a title, some text and an OK button (not modal)."""
    win = tk.Toplevel(root, class_="PlayClockInfo")
    win.withdraw()
    win.title(title)
    win.resizable(False, False)
    frame = ttk.Frame(win, padding=14)
    frame.pack(fill="both", expand=True)
    ttk.Label(frame, text=text, wraplength=_WRAP, justify="left").pack(anchor="w")
    ok = ttk.Button(frame, text=_("OK"), command=win.destroy)
    ok.pack(anchor="e", pady=(12, 0))
    win.bind("<Return>", lambda _e: win.destroy())
    win.bind("<Escape>", lambda _e: win.destroy())
    win.attributes("-topmost", True)
    centre(win)
    win.deiconify()
    ok.focus_set()
    return win


Rect = tuple[int, int, int, int]  # x, y, width, height on the screen
_GAP = 16  # between a toast and the screen's edge or the panel
_TRAY = 48  # room left for a tray panel at the bottom of the screen


def _overlap(a: Rect, b: Rect) -> int:
    """The area two rectangles share, with a gap of _GAP around `b`."""
    w = min(a[0] + a[2], b[0] + b[2] + _GAP) - max(a[0], b[0] - _GAP)
    h = min(a[1] + a[3], b[1] + b[3] + _GAP) - max(a[1], b[1] - _GAP)
    return max(0, w) * max(0, h)


def toast_position(size: tuple[int, int], screen: tuple[int, int], avoid: Rect | None) -> Rect:
    """Where a toast goes: the bottom-right corner, or the first other place that leaves the
    tray's panel (`avoid`) uncovered: the other corners, then beside the panel."""
    width, height = size
    sw, sh = screen
    right, left = sw - width - _GAP, _GAP
    bottom, top = sh - height - _TRAY, _GAP
    places = [(right, bottom), (right, top), (left, bottom), (left, top)]
    if avoid is not None:
        ax, ay, aw, ah = avoid
        y = min(max(top, ay + ah - height), max(top, bottom))
        places += [(ax - width - _GAP, y), (ax + aw + _GAP, y), (right, ay - height - _GAP)]
    # On the screen, always: a toast put beside a wide panel must not land off its edge.
    places = [
        (min(max(0, x), max(0, sw - width)), min(max(0, y), max(0, sh - height)))
        for x, y in places
    ]
    rects = [(x, y, width, height) for x, y in places]
    if avoid is None:
        return rects[0]
    return min(rects, key=lambda r: (_overlap(r, avoid), rects.index(r)))


class Toasts:
    """Notifications as a small borderless window near the bottom-right corner.

    One at a time: a new toast replaces the one shown, so an old one never lingers under it.
    It never covers the tray's panel (`avoid` gives the panel's place on the screen), and
    moves out of its way when the panel opens or grows (`place`).
    """

    def __init__(
        self,
        root: tk.Misc,
        seconds: int = TOAST_SECONDS,
        avoid: Callable[[], Rect | None] = lambda: None,
    ) -> None:
        self.root = root
        self.seconds = seconds
        self.avoid = avoid
        self.open: list[tk.Toplevel] = []
        # Each toast's timer, cancelled when it closes sooner: a timer left behind would call
        # a Tcl command name that a later toast's callback may reuse (a TypeError in the log).
        self._timers: dict[tk.Toplevel, str] = {}

    def show(self, title: str, text: str) -> tk.Toplevel:
        """Show a toast in place of any other; it closes after a while or when clicked."""
        for old in list(self.open):
            self._close(old)
        win = tk.Toplevel(self.root, class_="PlayClockToast")
        win.withdraw()
        win.title(title)
        win.overrideredirect(True)
        win.attributes("-topmost", True)
        frame = tk.Frame(win, background="#202124", padx=14, pady=10)
        frame.pack(fill="both", expand=True)
        heading = tk.Label(
            frame,
            text=title,
            background="#202124",
            foreground="#ffffff",
            font=("DejaVu Sans", 11, "bold"),
            anchor="w",
            justify="left",
            wraplength=320,
        )
        heading.pack(anchor="w")
        body = tk.Label(
            frame,
            text=text,
            background="#202124",
            foreground="#e8eaed",
            anchor="w",
            justify="left",
            wraplength=320,
        )
        body.pack(anchor="w", pady=(4, 0))
        for widget in (win, frame, heading, body):
            widget.bind("<Button-1>", lambda _e: self._close(win))
        self.open.append(win)
        self.place()
        win.deiconify()
        self._timers[win] = self.root.after(self.seconds * 1000, lambda: self._close(win))
        return win

    def _close(self, win: tk.Toplevel) -> None:
        timer = self._timers.pop(win, None)
        if timer is not None:
            self.root.after_cancel(timer)
        if win in self.open:
            self.open.remove(win)
            win.destroy()

    def place(self) -> None:
        """Put the toast where it covers nothing of the panel (again after the panel moved)."""
        avoid = self.avoid()
        screen = (self.root.winfo_screenwidth(), self.root.winfo_screenheight())
        for win in self.open:
            win.update_idletasks()
            size = (win.winfo_reqwidth(), win.winfo_reqheight())
            x, y, _w, _h = toast_position(size, screen, avoid)
            win.geometry(f"+{x}+{y}")
