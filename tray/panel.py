"""The tray's window for backends without a menu (pystray's xorg): the menu as buttons."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from tkinter import ttk
from typing import Literal

from agent.i18n import _
from tray.model import MenuEntry, TrayView

__all__ = ["CLOSE", "PANEL_CLASS", "Panel", "Row", "focus_order", "plan"]

PANEL_CLASS = "PlayClockPanel"
CLOSE = "panel:close"
_SHORT = 14  # labels up to this long share a row of buttons

RowKind = Literal["text", "buttons", "group", "rule"]


@dataclass(frozen=True)
class Row:
    """One line of the panel: text, a row of buttons (label, action), or a titled group."""

    kind: RowKind
    text: str = ""
    buttons: tuple[tuple[str, str], ...] = ()
    rows: tuple[Row, ...] = ()


def _is_leaf_action(entry: MenuEntry) -> bool:
    return entry.action is not None and not entry.children and not entry.is_separator


def _button(entry: MenuEntry) -> tuple[str, str]:
    assert entry.action is not None
    return (("✓ " if entry.checked else "") + entry.label, entry.action)


def plan(menu: Sequence[MenuEntry]) -> tuple[Row, ...]:
    """The panel's rows for a menu: short actions side by side, submenus as groups."""
    rows: list[Row] = []
    for entry in menu:
        if entry.is_separator:
            if rows and rows[-1].kind != "rule":
                rows.append(Row("rule"))
        elif entry.children:
            kids = entry.children
            if all(_is_leaf_action(k) and len(k.label) <= _SHORT for k in kids):
                rows.append(Row("buttons", entry.label, tuple(_button(k) for k in kids)))
            else:
                rows.append(Row("group", entry.label, rows=plan(kids)))
        elif entry.action is not None and entry.enabled:
            short = len(entry.label) <= _SHORT
            last = rows[-1] if rows else None
            if (
                short
                and last
                and last.kind == "buttons"
                and not last.text
                and all(len(label) <= _SHORT for label, _a in last.buttons)
            ):
                rows[-1] = Row("buttons", "", (*last.buttons, _button(entry)))
                continue
            rows.append(Row("buttons", "", (_button(entry),)))
        else:
            rows.append(Row("text", entry.label))
    while rows and rows[-1].kind == "rule":
        rows.pop()
    return tuple(rows)


def focus_order(rows: Sequence[Row]) -> list[str]:
    """The actions of the panel's buttons in keyboard (Tab) order, ending with Close."""
    order: list[str] = []

    def visit(items: Sequence[Row]) -> None:
        for row in items:
            order.extend(action for _label, action in row.buttons)
            visit(row.rows)

    visit(rows)
    return [*order, CLOSE]


class Panel:
    """A small window with the same content and actions as the menu (Tk thread only)."""

    def __init__(self, root: tk.Misc, on_action: Callable[[str], None]) -> None:
        self.root = root
        self.on_action = on_action
        self.win: tk.Toplevel | None = None
        self._rows: tuple[Row, ...] | None = None
        self.buttons: dict[str, ttk.Button] = {}
        self._anchor: tuple[int, int, bool] | None = None  # x, edge y, grows upwards

    @property
    def visible(self) -> bool:
        """Whether the panel is open."""
        return self.win is not None

    def toggle(self, view: TrayView) -> None:
        """Open the panel, or close it when it is open."""
        if self.win is not None:
            self.hide()
        else:
            self.show(view)

    def show(self, view: TrayView) -> None:
        """Open the panel near the pointer (where the tray icon was clicked)."""
        if self.win is None:
            self.win = tk.Toplevel(self.root, class_=PANEL_CLASS)
            self.win.withdraw()
            self.win.title(_("PlayClock"))
            self.win.resizable(False, False)
            self.win.attributes("-topmost", True)
            self.win.protocol("WM_DELETE_WINDOW", self.hide)
            self.win.bind("<Escape>", lambda _e: self.hide())
            self._rows = None
            self.update(view)
            self._place()
            self.win.deiconify()
            self.win.wait_visibility()
            self._focus_first()
        else:
            self.update(view)

    def hide(self) -> None:
        """Close the panel."""
        if self.win is not None:
            self.win.destroy()
            self.win = None
            self._anchor = None

    def update(self, view: TrayView) -> None:
        """Show a new view (rebuilt only when its content changed)."""
        if self.win is None:
            return
        rows = plan(view.menu)
        if rows == self._rows:
            return
        self._rows = rows
        focused = self.win.focus_get()
        keep = next((a for a, b in self.buttons.items() if b is focused), None)
        self.buttons = {}
        for child in self.win.winfo_children():
            child.destroy()
        body = ttk.Frame(self.win, padding=12)
        body.pack(fill="both", expand=True)
        self._build(body, rows, top=True)
        close = ttk.Button(body, text=_("Close"), command=self.hide)
        close.pack(anchor="e", pady=(10, 0))
        close.bind("<Return>", lambda _e: self.hide())
        self.buttons[CLOSE] = close
        if keep in self.buttons:
            # A refresh must not move the keyboard focus away from where it was.
            self.buttons[keep].focus_set()
        self._keep_on_screen()

    def _build(self, parent: tk.Misc, rows: Sequence[Row], top: bool = False) -> None:
        first_text = top
        for row in rows:
            if row.kind == "text":
                text = ttk.Label(parent, text=row.text)
                if first_text:
                    text.configure(font=("DejaVu Sans", 11, "bold"))
                text.pack(anchor="w", pady=1)
                first_text = False
            elif row.kind == "rule":
                ttk.Separator(parent).pack(fill="x", pady=6)
            elif row.kind == "group":
                group = ttk.LabelFrame(parent, text=row.text, padding=8)
                group.pack(fill="x", pady=4)
                self._build(group, row.rows)
            else:
                line = ttk.Frame(parent)
                line.pack(fill="x", pady=2)
                if row.text:
                    ttk.Label(line, text=row.text, width=16).pack(side="left")
                for label, action in row.buttons:
                    button = ttk.Button(line, text=label, command=self._runner(action))
                    button.pack(side="left", padx=(0, 4))
                    button.bind("<Return>", self._invoker(button))
                    self.buttons[action] = button

    @staticmethod
    def _invoker(button: ttk.Button) -> Callable[[object], None]:
        return lambda _event: button.invoke()

    def _runner(self, action: str) -> Callable[[], None]:
        return lambda: self.on_action(action)

    def _focus_first(self) -> None:
        assert self.win is not None
        self.win.focus_force()
        order = focus_order(self._rows or ())
        self.buttons[order[0]].focus_set()

    def _place(self) -> None:
        """Put the panel next to the pointer, above it when the tray is at the bottom."""
        assert self.win is not None
        self.win.update_idletasks()
        width = self.win.winfo_reqwidth()
        px, py = self.win.winfo_pointerxy()
        screen_w, screen_h = self.win.winfo_screenwidth(), self.win.winfo_screenheight()
        x = min(max(0, px - width // 2), max(0, screen_w - width))
        # Clear of a tray panel of up to 32 px at the bottom (or top) of the screen.
        self._anchor = (x, py - 36, True) if py > screen_h // 2 else (x, py + 36, False)
        self._keep_on_screen()

    def _keep_on_screen(self) -> None:
        """Grow away from the tray: a bottom tray keeps the panel's bottom edge in place."""
        assert self.win is not None
        if self._anchor is None:
            return
        self.win.update_idletasks()
        height = self.win.winfo_reqheight()
        x, edge, above = self._anchor
        y = edge - height if above else edge
        y = min(max(0, y), max(0, self.win.winfo_screenheight() - height))
        self.win.geometry(f"+{x}+{y}")
