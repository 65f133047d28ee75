"""Small Tk windows: a message with an OK button, a toast that closes by itself, and the
last minute of computer time counting down."""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable, Mapping
from typing import Any

from agent.i18n import _
from tray.countdown import Countdown, clock_text

__all__ = [
    "TICK_MS",
    "TOAST_SECONDS",
    "CountdownWindow",
    "Rect",
    "Toasts",
    "countdown_texts",
    "show_info",
    "toast_position",
]

TICK_MS = 250  # how often the countdown is redrawn (its number changes once a second)

TOAST_SECONDS = 10
_WRAP = 380


def show_info(root: tk.Misc, title: str, text: str) -> tk.Toplevel:
    """A window with a title, some text and an OK button (not modal)."""
    # Here, not at the top: the toasts and the countdown need neither ttk nor the look.
    from tkinter import ttk

    from tray import style
    from tray.pindialog import centre

    style.ensure(root)
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


def countdown_texts(action: str, left: float) -> tuple[str, str]:
    """The countdown's headline (also its window title) and what happens at the end.

    Only what the agent will really do is promised: "notify" locks nothing.
    """
    headline = _("Computer time ends in {time}").format(time=clock_text(left))
    if action == "logout":
        detail = _("Then you will be signed out. Save your work now.")
    elif action == "close":
        detail = _("Then your games and apps will close. Save your work now.")
    elif action == "notify":
        detail = _("Nothing will be locked; your parents will see the time you use after that.")
    else:
        detail = _("Then the screen locks. Save your work now.")
    return headline, detail


class CountdownWindow:
    """A small always-on-top bar at the top of the screen counting down the last minute.

    Borderless and never focused (a game keeps the keyboard); raised again each second so
    other windows do not cover it. "Hide" only hides it: the agent locks on its own.
    """

    def __init__(
        self,
        root: tk.Misc,
        steady: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.steady = steady
        self.model = Countdown()
        self.win: tk.Toplevel | None = None
        self._headline: tk.Label | None = None
        self._detail: tk.Label | None = None
        self.hidden = False
        self.starting = False  # asked from another thread, not started on the Tk thread yet

    @property
    def running(self) -> bool:
        """Whether the countdown runs (shown or hidden), or is about to."""
        return self.starting or self.model.running

    def start(self, action: str, left_seconds: float) -> None:
        """Begin (or restart) the countdown; a second event keeps one window."""
        self.starting = False
        self.model.start(action, left_seconds, self.steady())
        self.hidden = False
        if self.win is None:
            self._build()
            self._tick()
        self._draw()

    def follow(self, doc: Mapping[str, Any] | None, child: str | None) -> None:
        """The agent's latest status: go on from it, or close when the lock no longer comes."""
        if not self.model.follow(doc, child, self.steady()):
            self.close()
        else:
            self._draw()

    def close(self) -> None:
        """End the countdown and remove the window (locked, granted, paused)."""
        self.starting = False
        self.model.stop()
        if self.win is not None:
            self.win.destroy()
            self.win = self._headline = self._detail = None

    def hide(self) -> None:
        """The child's "Hide": out of sight; the countdown (and the lock) go on."""
        self.hidden = True
        if self.win is not None:
            self.win.withdraw()

    def _build(self) -> None:
        win = tk.Toplevel(self.root, class_="PlayClockCountdown")
        win.withdraw()
        win.overrideredirect(True)  # no close box, and no focus taken from the game
        win.attributes("-topmost", True)
        frame = tk.Frame(win, background="#202124", padx=18, pady=10)
        frame.pack(fill="both", expand=True)
        self._headline = tk.Label(
            frame,
            background="#202124",
            foreground="#ffffff",
            font=("DejaVu Sans", 15, "bold"),
            anchor="w",
        )
        self._headline.grid(row=0, column=0, sticky="w")
        self._detail = tk.Label(
            frame,
            background="#202124",
            foreground="#e8eaed",
            anchor="w",
            justify="left",
            wraplength=420,
        )
        self._detail.grid(row=1, column=0, sticky="w", pady=(2, 0))
        hide = tk.Button(
            frame,
            text=_("Hide"),
            command=self.hide,
            takefocus=False,
            relief="flat",
            background="#3c4043",
            foreground="#ffffff",
            activebackground="#5f6368",
            activeforeground="#ffffff",
            highlightthickness=0,
        )
        hide.grid(row=0, column=1, rowspan=2, padx=(16, 0))
        self.win = win

    def _draw(self) -> None:
        win = self.win
        if win is None or self._headline is None or self._detail is None:
            return
        headline, detail = countdown_texts(self.model.action, self.model.left_at(self.steady()))
        if self._headline.cget("text") != headline:
            self._headline.configure(text=headline)
            self._detail.configure(text=detail)
            win.title(headline)  # the number in the title too: what a taskbar or a test reads
        if self.hidden:
            return
        win.update_idletasks()
        x = max(0, (win.winfo_screenwidth() - win.winfo_reqwidth()) // 2)
        win.geometry(f"+{x}+24")
        if win.state() == "withdrawn":
            win.deiconify()
        win.lift()

    def _tick(self) -> None:
        if self.win is None:
            return
        self._draw()
        self.win.after(TICK_MS, self._tick)
