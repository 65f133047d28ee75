"""The tray icon, drawn live with Pillow: a ring of the time left around the minutes."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tray.model import IconState, TrayView

__all__ = ["COLOURS", "TEXT_COLOURS", "TRACK", "draw_icon", "fit_icon", "font"]

RGB = tuple[int, int, int]

COLOURS: dict[IconState, RGB] = {
    "ok": (46, 160, 67),
    "warning": (240, 160, 20),
    "blocked": (210, 35, 42),
    "paused": (52, 120, 220),
    "unreachable": (128, 128, 128),
}
# Dark digits on amber: white on amber is hard to read at 22 px.
TEXT_COLOURS: dict[IconState, RGB] = {
    "ok": (255, 255, 255),
    "warning": (30, 30, 30),
    "blocked": (255, 255, 255),
    "paused": (255, 255, 255),
    "unreachable": (255, 255, 255),
}
TRACK: RGB = (215, 215, 215)

_SCALE = 4  # draw large, then shrink: smooth edges at tray sizes
_FONT_FILES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
)


# Each size is a FreeType face of its own, with its own mapping of the font file (a quarter
# of its 0.7 MB read): keep only the one drawn with, the fitting's sizes are remembered.
@lru_cache(maxsize=1)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A bold font at `size` pixels: DejaVu Sans Bold when present, else Pillow's own."""
    for path in _FONT_FILES:
        if path.is_file():
            # Digits, "h" and "∞" need no shaping: Pillow's basic layout, not Raqm, whose
            # HarfBuzz shaping maps 0.85 MiB more of its library and the font (issue 15).
            return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
    return ImageFont.load_default(size=size)


def _fits(draw: ImageDraw.ImageDraw, text: str, box: float, size: int) -> tuple[bool, float]:
    """Whether `text` at `size` fits the box, and by how much it could grow (or must shrink)."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font(size))
    scale = min(box * 0.9 / max(1, right - left), box * 0.66 / max(1, bottom - top))
    return scale >= 1, scale


def _fit_font(
    draw: ImageDraw.ImageDraw, text: str, box: float
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The largest of the sizes int(box * 0.8), 2 less, 2 less... (above 6) that fits."""
    return font(_fit_size(draw.mode, text, box))


@lru_cache(maxsize=64)
def _fit_size(mode: str, text: str, box: float) -> int:
    """`_fit_font`'s size, remembered: a badge drawn again loads one face, not its search's.

    Extents grow with the size, so one measure says roughly which size fits; only that size
    and its neighbours are loaded, not every size on the way down.
    """
    draw = ImageDraw.Draw(Image.new(mode, (1, 1)))
    sizes = range(int(box * 0.8), 6, -2)  # the candidates, largest first
    if not sizes:
        return 6
    ok, scale = _fits(draw, text, box, sizes[0])
    if ok:
        return sizes[0]
    i = min(len(sizes) - 1, max(1, math.ceil(sizes[0] * (1 - scale) / 2)))
    while i < len(sizes) and not _fits(draw, text, box, sizes[i])[0]:
        i += 1
    if i == len(sizes):
        return 6
    while i > 1 and _fits(draw, text, box, sizes[i - 1])[0]:
        i -= 1
    return sizes[i]


def draw_icon(view: TrayView, size: int = 64, background: RGB | None = None) -> Image.Image:
    """The icon for a view: RGBA, transparent around the ring unless `background` is given."""
    big = size * _SCALE
    fill = COLOURS[view.state]
    ink = TEXT_COLOURS[view.state]
    image = Image.new("RGBA", (big, big), (*background, 255) if background else (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    margin = big * 0.03
    ring = max(2 * _SCALE, round(big * 0.10))
    outer = (margin, margin, big - margin, big - margin)
    draw.ellipse(outer, outline=TRACK, width=ring)
    if view.fraction > 0:
        # Clockwise from twelve o'clock, like a clock running down.
        end = -90 + 360 * min(1.0, view.fraction)
        draw.arc(outer, start=-90, end=end, fill=fill, width=ring)
    inset = margin + ring + max(_SCALE, big * 0.03)
    inner = (inset, inset, big - inset, big - inset)
    draw.ellipse(inner, fill=fill)
    centre = big / 2
    diameter = big - 2 * inset
    if view.state == "paused":
        bar_w, bar_h, gap = diameter * 0.14, diameter * 0.46, diameter * 0.11
        for x in (centre - gap - bar_w, centre + gap):
            draw.rectangle((x, centre - bar_h / 2, x + bar_w, centre + bar_h / 2), fill=ink)
    elif view.state == "blocked":
        bar_w, bar_h = diameter * 0.62, diameter * 0.18
        draw.rectangle(
            (centre - bar_w / 2, centre - bar_h / 2, centre + bar_w / 2, centre + bar_h / 2),
            fill=ink,
        )
    elif view.badge:
        face = _fit_font(draw, view.badge, diameter)
        draw.text((centre, centre), view.badge, font=face, fill=ink, anchor="mm")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def fit_icon(image: Image.Image, width: int, height: int) -> Image.Image:
    """An RGB image of a tray slot's size with the icon centred, round (not stretched)."""
    side = max(1, min(width, height))
    corner = image.convert("RGB").getpixel((0, 0))
    slot = Image.new("RGB", (width, height), corner if isinstance(corner, tuple) else 0)
    icon = image.convert("RGB").resize((side, side), Image.Resampling.LANCZOS)
    slot.paste(icon, ((width - side) // 2, (height - side) // 2))
    return slot
