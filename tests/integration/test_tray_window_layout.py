"""The tray window's layout in both languages under Xvfb: every label fits its cell (item 11)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.i18n import language
from tests.support.desktop import patched_environ
from tests.support.xdesktop import XDesktop, xdesktop, xdesktop_unavailable
from tray.model import build_view

pytestmark = pytest.mark.desktop

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
DOCS = ROOT / "docs" / "images"

_reason = xdesktop_unavailable(tray=False)
if _reason:
    pytest.skip(_reason, allow_module_level=True)


def status() -> dict[str, Any]:
    """A child with an app, a category and the total, all with time left, parent unlocked."""

    def row(ident: str, kind: str, title: str, left: int, limit: int) -> dict[str, Any]:
        return {
            "id": ident, "kind": kind, "title": title, "used_seconds": limit - left,
            "limit_seconds": limit, "bonus_seconds": 0, "left_seconds": left, "state": "ok",
            "reason": None, "until": None, "active": ident == "minetest",
        }  # fmt: skip

    return {
        "day": "2026-11-23",
        "agent": {"running": True},
        "children": [
            {
                "name": "An",
                "running": ["minetest"],
                "paused": False,
                "limits": [
                    row("minetest", "app", "Minetest", 45 * 60, 60 * 60),
                    row("games", "category", "Games", 75 * 60, 90 * 60),
                    row("total", "total", "Total", 95 * 60, 120 * 60),
                ],
            }
        ],
    }


@pytest.fixture(scope="module")
def desk() -> Iterator[XDesktop]:
    with xdesktop((1280, 900), tray=False) as desktop, patched_environ(desktop.env):
        yield desktop


def texts_of(win: Any) -> list[Any]:
    """Every label and button with text in a window, depth first."""
    from tkinter import ttk

    found = []
    for child in win.winfo_children():
        if isinstance(child, ttk.Label | ttk.Button) and child.cget("text"):
            found.append(child)
        found.extend(texts_of(child))
    return found


def clipped(panel: Any) -> list[tuple[str, int, int]]:
    """Labels and buttons whose text needs more room than their cell gives them."""
    import tkinter.font as tkfont
    from tkinter import ttk

    style = ttk.Style(panel.win)
    out = []
    for widget in texts_of(panel.win):
        name = str(widget.cget("style")) or widget.winfo_class()
        spec = style.lookup(name, "font") or style.lookup(".", "font") or "TkDefaultFont"
        font = tkfont.Font(root=panel.win, font=spec)
        need = font.measure(str(widget.cget("text")))
        right = widget.winfo_x() + widget.winfo_width()
        if widget.winfo_width() < need or right > widget.master.winfo_width():
            out.append((str(widget.cget("text")), widget.winfo_width(), need))
    return out


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_every_label_fits_its_cell_in_both_languages(desk: XDesktop, lang: str) -> None:
    import tkinter as tk

    from PIL import ImageGrab

    from tray.panel import Panel

    with language(lang):
        root = tk.Tk(className="PlayClock")
        root.withdraw()
        try:
            from tray import style

            style.apply(root)
            panel = Panel(root, lambda _action: None)
            panel.show(build_view(status(), child="An", parent=True))
            root.update()
            assert panel.win is not None
            texts = [str(w.cget("text")) for w in texts_of(panel.win)]
            if lang == "vi":
                assert "Tổng thời gian sử dụng" in texts
            assert clipped(panel) == []
            x, y = panel.win.winfo_rootx(), panel.win.winfo_rooty()
            width, height = panel.win.winfo_width(), panel.win.winfo_height()
            assert x >= 0 and y >= 0 and x + width <= 1280 and y + height <= 900
            shot = ImageGrab.grab(xdisplay=desk.display).crop((x, y, x + width, y + height))
            SHOTS.mkdir(parents=True, exist_ok=True)
            shot.save(SHOTS / f"tray-window-{lang}.png")
            if os.environ.get("PLAYCLOCK_UPDATE_DOCS_IMAGES") == "1":
                shot.save(DOCS / ("tray.png" if lang == "en" else "tray-vi.png"))
        finally:
            root.destroy()
