"""Small Tk windows: a message with an OK button, and a toast that closes by itself."""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from agent.i18n import _
from tray.pindialog import centre

__all__ = ["TOAST_SECONDS", "Toasts", "show_info"]

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


class Toasts:
    """Notifications as small borderless windows stacked in the bottom-right corner."""

    def __init__(self, root: tk.Misc, seconds: int = TOAST_SECONDS) -> None:
        self.root = root
        self.seconds = seconds
        self.open: list[tk.Toplevel] = []

    def show(self, title: str, text: str) -> tk.Toplevel:
        """Show a toast; it closes after a while or when clicked."""
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
        self._place()
        win.deiconify()
        win.after(self.seconds * 1000, lambda: self._close(win))
        return win

    def _close(self, win: tk.Toplevel) -> None:
        if win in self.open:
            self.open.remove(win)
            win.destroy()
            self._place()

    def _place(self) -> None:
        bottom = self.root.winfo_screenheight() - 48
        for win in reversed(self.open):
            win.update_idletasks()
            width, height = win.winfo_reqwidth(), win.winfo_reqheight()
            x = self.root.winfo_screenwidth() - width - 16
            win.geometry(f"+{x}+{bottom - height}")
            bottom -= height + 8
