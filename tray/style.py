"""The tray windows' look: one ttk theme (clam, re-coloured), fonts, spacing, the ring image."""

from __future__ import annotations

import base64
import io
import tkinter as tk
from tkinter import font as tkfont
from tkinter import ttk

from tray.icon import draw_icon
from tray.model import TrayView

__all__ = ["ACCENT", "BACKGROUND", "CARD", "apply", "ensure", "ring_image"]

BACKGROUND = "#f3f4f6"
CARD = "#ffffff"
BORDER = "#dcdfe4"
TEXT = "#1f2328"
MUTED = "#5f6670"
ACCENT = "#1a73e8"
ACCENT_ACTIVE = "#1765cc"
RING_SIZE = 56
_FAMILY = "DejaVu Sans"
_STYLED = "::playclock_styled"  # set in a Tk interpreter once `apply` has run there


def _family(root: tk.Misc) -> str:
    """DejaVu Sans when Tk has it (it covers Vietnamese), else Tk's default family."""
    families = set(tkfont.families(root))
    return (
        _FAMILY if _FAMILY in families else str(tkfont.nametofont("TkDefaultFont").actual("family"))
    )


def apply(root: tk.Misc) -> ttk.Style:
    """Configure the styles the panel and the dialogs use (idempotent)."""
    style = ttk.Style(root)
    if style.theme_use() != "clam":
        style.theme_use("clam")
    family = _family(root)
    base = (family, 10)
    style.configure(".", font=base, background=BACKGROUND, foreground=TEXT)
    style.configure("Panel.TFrame", background=BACKGROUND)
    style.configure("Panel.TLabel", background=BACKGROUND, foreground=TEXT)
    style.configure(
        "Card.TFrame", background=CARD, bordercolor=BORDER, relief="solid", borderwidth=1
    )
    style.configure("Inner.TFrame", background=CARD, borderwidth=0, relief="flat")
    style.configure("Card.TLabel", background=CARD, foreground=TEXT)
    style.configure("TSeparator", background=BORDER)
    style.configure("Heading.TLabel", background=CARD, foreground=TEXT, font=(family, 13, "bold"))
    section = (family, 10, "bold")
    style.configure("Section.TLabel", background=BACKGROUND, foreground=MUTED, font=section)
    style.configure("CardSection.TLabel", background=CARD, foreground=MUTED, font=section)
    style.configure(
        "TButton",
        padding=(10, 3),
        background=CARD,
        bordercolor=BORDER,
        lightcolor=CARD,
        darkcolor=CARD,
        focuscolor=ACCENT,
    )
    style.map("TButton", background=[("active", "#e8f0fe"), ("pressed", "#d2e3fc")])
    style.configure(
        "Accent.TButton",
        padding=(14, 5),
        background=ACCENT,
        foreground="#ffffff",
        bordercolor=ACCENT,
        lightcolor=ACCENT,
        darkcolor=ACCENT,
        focuscolor="#ffffff",
        font=(family, 10, "bold"),
    )
    style.map(
        "Accent.TButton",
        background=[("active", ACCENT_ACTIVE), ("pressed", ACCENT_ACTIVE)],
        foreground=[("disabled", "#dddddd")],
    )
    return style


def ensure(root: tk.Misc) -> None:
    """Apply the look once per Tk interpreter, when its first window is built: an idle tray
    neither lists the fonts nor loads the theme (issue 15)."""
    if not root.tk.getboolean(root.tk.call("info", "exists", _STYLED)):
        apply(root)
        root.tk.call("set", _STYLED, "1")


def ring_image(master: tk.Misc | None, view: TrayView, size: int = RING_SIZE) -> tk.PhotoImage:
    """The tray's ring for a view, as a Tk image (PNG through Tk's own reader)."""
    buf = io.BytesIO()
    draw_icon(view, size, _rgb(CARD)).save(buf, format="PNG")
    return tk.PhotoImage(master=master, data=base64.b64encode(buf.getvalue()).decode("ascii"))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
