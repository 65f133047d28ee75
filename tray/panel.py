"""The tray's window for backends without a menu (pystray's xorg): the menu as buttons."""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from tkinter import ttk
from typing import Literal

from agent.i18n import _
from tray import style
from tray.model import ASK, MenuEntry, TrayView

__all__ = ["CLOSE", "PANEL_CLASS", "Panel", "Row", "focus_order", "plan"]

PANEL_CLASS = "PlayClockPanel"
CLOSE = "panel:close"
_SHORT = 14  # labels up to this long share a row of buttons
FLOW_WIDTH = 600  # pixels: wider rows of buttons wrap
_BUTTON_CHROME = 30  # a button's padding, border and gap around its text

_CARD_STYLES = ("Card.TFrame", "Inner.TFrame")

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

    def __init__(
        self,
        root: tk.Misc,
        on_action: Callable[[str], None],
        on_moved: Callable[[], None] = lambda: None,
    ) -> None:
        self.root = root
        self.on_action = on_action
        self.on_moved = on_moved  # the panel opened, moved, grew or closed (toasts move away)
        self.win: tk.Toplevel | None = None
        self._rows: tuple[Row, ...] | None = None
        self._state: str | None = None
        self._image: tk.PhotoImage | None = None  # kept: Tk forgets images nobody holds
        self.buttons: dict[str, ttk.Button] = {}
        self._anchor: tuple[int, int, bool] | None = None  # x, edge y, grows upwards
        self._placed = (0, 0)  # where the panel was put last

    def rect(self) -> tuple[int, int, int, int] | None:
        """Where the panel is on the screen (x, y, width, height), None when it is closed."""
        if self.win is None or self._anchor is None:
            return None
        self.win.update_idletasks()
        x, y = self._placed
        return (x, y, self.win.winfo_reqwidth(), self.win.winfo_reqheight())

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
            self.win.configure(background=style.BACKGROUND)
            style.ensure(self.win)
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
            self.on_moved()

    def update(self, view: TrayView) -> None:
        """Show a new view (rebuilt only when its content changed)."""
        if self.win is None:
            return
        rows = plan(view.menu)
        if rows == self._rows and view.state == self._state:
            return
        self._rows, self._state = rows, view.state
        focused = self.win.focus_get()
        keep = next((a for a, b in self.buttons.items() if b is focused), None)
        self.buttons = {}
        for child in self.win.winfo_children():
            child.destroy()
        body = ttk.Frame(self.win, padding=14, style="Panel.TFrame")
        body.pack(fill="both", expand=True)
        self._build_top(body, view, rows)
        close = ttk.Button(body, text=_("Close"), command=self.hide)
        close.pack(anchor="e", pady=(8, 0))
        close.bind("<Return>", lambda _e: self.hide())
        self.buttons[CLOSE] = close
        if keep in self.buttons:
            # A refresh must not move the keyboard focus away from where it was.
            self.buttons[keep].focus_set()
        self._keep_on_screen()

    def _build_top(self, body: ttk.Frame, view: TrayView, rows: Sequence[Row]) -> None:
        """The ring and the first lines as a header card, then the rest of the rows."""
        rest = list(rows)
        texts: list[str] = []
        while rest and rest[0].kind == "text":
            texts.append(rest.pop(0).text)
        header = ttk.Frame(body, padding=10, style="Card.TFrame")
        header.pack(fill="x")
        header.columnconfigure(1, weight=1)
        self._image = style.ring_image(self.win, view)
        ttk.Label(header, image=self._image, style="Card.TLabel").grid(
            row=0, column=0, rowspan=max(1, len(texts)), sticky="n", padx=(0, 12)
        )
        for i, text in enumerate(texts):
            kind = "Heading.TLabel" if i == 0 else "Card.TLabel"
            ttk.Label(header, text=text, style=kind).grid(
                row=i, column=1, sticky="w", pady=(0, 4) if i == 0 else 1
            )
        while rest and rest[0].kind == "rule":
            rest.pop(0)
        # The child's own action right under the header, clear of the parent's.
        ttk.Frame(body, height=8, style="Panel.TFrame").pack(fill="x")
        self._build(body, rest)

    def _build(self, parent: tk.Misc, rows: Sequence[Row]) -> None:
        grid: ttk.Frame | None = None  # labelled button rows share one grid: labels align
        flow: list[tuple[str, str]] = []  # unlabelled buttons in a row flow into lines
        line_no = 0
        for row in rows:
            if row.kind == "buttons" and not row.text:
                flow.extend(row.buttons)
                continue
            if flow:
                self._flow(parent, flow)
                flow = []
            if row.kind == "buttons":
                if grid is None:
                    grid = ttk.Frame(parent, style=_frame_style(parent))
                    grid.pack(fill="x", pady=1)
                    line_no = 0
                label = ttk.Label(grid, text=row.text, style=_label_style(parent))
                label.grid(row=line_no, column=0, sticky="w", padx=(0, 12), pady=1)
                line = ttk.Frame(grid, style=_frame_style(parent))
                line.grid(row=line_no, column=1, sticky="w", pady=1)
                self._buttons(line, row.buttons)
                line_no += 1
                continue
            grid = None
            if row.kind == "text":
                ttk.Label(parent, text=row.text, style=_label_style(parent)).pack(
                    anchor="w", pady=1
                )
            elif row.kind == "rule":
                ttk.Separator(parent).pack(fill="x", pady=6)
            elif row.kind == "group":
                inner = _in_card(parent)
                section = "CardSection.TLabel" if inner else "Section.TLabel"
                ttk.Label(parent, text=row.text, style=section).pack(
                    anchor="w", pady=(4 if inner else 10, 3)
                )
                if inner:  # a group inside a card: indented, no second border
                    card = ttk.Frame(parent, padding=(12, 0, 0, 2), style="Inner.TFrame")
                else:
                    card = ttk.Frame(parent, padding=8, style="Card.TFrame")
                card.pack(fill="x")
                self._build(card, row.rows)
        if flow:
            self._flow(parent, flow)

    def _flow(self, parent: tk.Misc, buttons: Sequence[tuple[str, str]]) -> None:
        """Buttons side by side, in as many lines as FLOW_WIDTH needs (Tab order kept)."""
        face = tkfont.Font(root=parent, font=ttk.Style(parent).lookup("TButton", "font"))
        lines: list[list[tuple[str, str]]] = [[]]
        used = 0
        for label, action in buttons:
            need = face.measure(label) + _BUTTON_CHROME
            if lines[-1] and used + need > FLOW_WIDTH:
                lines.append([])
                used = 0
            lines[-1].append((label, action))
            used += need
        for items in lines:
            line = ttk.Frame(parent, style=_frame_style(parent))
            line.pack(fill="x", pady=1)
            self._buttons(line, items)

    def _buttons(self, line: ttk.Frame, buttons: Sequence[tuple[str, str]]) -> None:
        for label, action in buttons:
            kind = "Accent.TButton" if action == ASK else "TButton"
            button = ttk.Button(line, text=label, command=self._runner(action), style=kind)
            button.pack(side="left", padx=(0, 6))
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
        self._placed = (x, y)
        self.on_moved()


def _frame_style(parent: tk.Misc) -> str:
    """Frames inside a card take the card's colour."""
    return "Inner.TFrame" if _in_card(parent) else "Panel.TFrame"


def _label_style(parent: tk.Misc) -> str:
    return "Card.TLabel" if _in_card(parent) else "Panel.TLabel"


def _in_card(widget: tk.Misc) -> bool:
    while widget is not None:
        if isinstance(widget, ttk.Frame) and str(widget.cget("style")) in _CARD_STYLES:
            return True
        widget = widget.master  # type: ignore[assignment]
    return False
