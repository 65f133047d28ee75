"""Small modal Tk dialogs: the parent PIN, and a child's request for more time."""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from agent.i18n import _
from agent.i18n.formatting import duration
from tray import style

__all__ = ["ASK_CHOICES", "ask_more", "ask_pin", "centre", "run_modal"]

ASK_CHOICES = (15, 30, 60)


def centre(win: tk.Toplevel) -> None:
    """Put a window in the middle of the screen."""
    win.update_idletasks()
    width, height = win.winfo_reqwidth(), win.winfo_reqheight()
    x = max(0, (win.winfo_screenwidth() - width) // 2)
    y = max(0, (win.winfo_screenheight() - height) // 3)
    win.geometry(f"+{x}+{y}")


def run_modal(win: tk.Toplevel, focus: tk.Widget) -> None:
    """Show a dialog above everything, take the keyboard, and wait until it closes."""
    win.attributes("-topmost", True)
    centre(win)
    win.deiconify()
    win.wait_visibility()
    # Without a window manager nobody gives us the focus: take it.
    focus.focus_force()
    with contextlib.suppress(tk.TclError):  # another app may hold a grab
        win.grab_set()
    win.wait_window()


def _buttons(
    win: tk.Toplevel, frame: ttk.Frame, accept_text: str, accept: Callable[[], None]
) -> None:
    """Cancel and the accepting button at the bottom right; Enter accepts, Escape cancels."""
    buttons = ttk.Frame(frame)
    buttons.pack(anchor="e")
    ttk.Button(buttons, text=_("Cancel"), command=win.destroy).pack(side="right")
    ttk.Button(buttons, text=accept_text, command=accept).pack(side="right", padx=(0, 6))
    for key in ("<Return>", "<KP_Enter>"):
        win.bind(key, lambda _event: accept())
    win.bind("<Escape>", lambda _event: win.destroy())
    win.protocol("WM_DELETE_WINDOW", win.destroy)


def ask_pin(root: tk.Misc) -> str | None:
    """Ask for the parent PIN in a window titled "Parent PIN"; None when cancelled."""
    style.ensure(root)
    result: list[str] = []
    win = tk.Toplevel(root, class_="PlayClockPin")
    win.withdraw()
    win.title(_("Parent PIN"))
    win.resizable(False, False)
    frame = ttk.Frame(win, padding=14)
    frame.pack(fill="both", expand=True)
    ttk.Label(frame, text=_("Enter the parent PIN to continue.")).pack(anchor="w")
    value = tk.StringVar(win)
    entry = ttk.Entry(frame, textvariable=value, show="•", width=18)
    entry.pack(fill="x", pady=(8, 10))

    def ok() -> None:
        if value.get():
            result.append(value.get())
            win.destroy()

    _buttons(win, frame, _("OK"), ok)
    run_modal(win, entry)
    return result[0] if result else None


def ask_more(root: tk.Misc) -> tuple[int, str] | None:
    """Ask how many more minutes a child wants, with an optional message; None when cancelled."""
    style.ensure(root)
    result: list[tuple[int, str]] = []
    win = tk.Toplevel(root, class_="PlayClockAsk")
    win.withdraw()
    win.title(_("Ask for more time"))
    win.resizable(False, False)
    frame = ttk.Frame(win, padding=14)
    frame.pack(fill="both", expand=True)
    ttk.Label(frame, text=_("How much more time would you like?")).pack(anchor="w")
    minutes = tk.IntVar(win, value=ASK_CHOICES[0])
    choices = ttk.Frame(frame)
    choices.pack(anchor="w", pady=(6, 8))
    for m in ASK_CHOICES:
        ttk.Radiobutton(choices, text=duration(m * 60), value=m, variable=minutes).pack(
            side="left", padx=(0, 10)
        )
    ttk.Label(frame, text=_("A message for your parent (optional):")).pack(anchor="w")
    message = tk.StringVar(win)
    entry = ttk.Entry(frame, textvariable=message, width=36)
    entry.pack(fill="x", pady=(4, 10))

    def send() -> None:
        result.append((minutes.get(), message.get().strip()[:300]))
        win.destroy()

    _buttons(win, frame, _("Send"), send)
    run_modal(win, entry)
    return result[0] if result else None
