"""The icon image for each state: colours at known points, and the number drawn."""

from __future__ import annotations

import math

import pytest
from PIL import Image, ImageChops

from tray.icon import COLOURS, TEXT_COLOURS, TRACK, draw_icon, fit_icon
from tray.model import IconState, TrayView

RGB = tuple[int, int, int]


def view(state: IconState, badge: str = "23", fraction: float = 0.6) -> TrayView:
    return TrayView(state=state, badge=badge, fraction=fraction, tooltip="", menu=())


def ring_point(degrees: float, size: int = 64) -> tuple[int, int]:
    """A point on the ring, `degrees` clockwise from twelve o'clock."""
    radius = size * 0.42  # the middle of the ring
    rad = math.radians(degrees)
    return round(size / 2 + radius * math.sin(rad)), round(size / 2 - radius * math.cos(rad))


def disc_top(size: int = 64) -> tuple[int, int]:
    """A point inside the inner disc, above any text or symbol."""
    return size // 2, round(size * 0.22)


def close_to(pixel: tuple[int, ...], colour: RGB, tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


@pytest.mark.parametrize("state", ["ok", "warning", "blocked", "paused", "unreachable"])
def test_disc_has_the_state_colour(state: IconState) -> None:
    image = draw_icon(view(state), 64)
    assert image.size == (64, 64)
    assert image.mode == "RGBA"
    pixel = image.getpixel(disc_top())
    assert isinstance(pixel, tuple)
    assert close_to(pixel, COLOURS[state]), (state, pixel)
    assert pixel[3] == 255


def test_state_colours_are_green_amber_red_blue_grey() -> None:
    r, g, b = COLOURS["ok"]
    assert g > r + 60 and g > b + 60
    r, g, b = COLOURS["warning"]
    assert r > 200 and 120 < g < 200 and b < 60
    r, g, b = COLOURS["blocked"]
    assert r > 180 and g < 80 and b < 80
    r, g, b = COLOURS["paused"]
    assert b > r + 100
    r, g, b = COLOURS["unreachable"]
    assert r == g == b


def test_ring_shows_the_share_of_time_left_clockwise() -> None:
    image = draw_icon(view("ok", fraction=0.6), 64)
    early = image.getpixel(ring_point(45))  # 12.5 % round: inside the 60 % arc
    late = image.getpixel(ring_point(270))  # 75 % round: past the arc
    assert isinstance(early, tuple) and isinstance(late, tuple)
    assert close_to(early, COLOURS["ok"]), early
    assert close_to(late, TRACK), late


def test_blocked_ring_is_empty() -> None:
    image = draw_icon(view("blocked", badge="", fraction=0.0), 64)
    pixel = image.getpixel(ring_point(45))
    assert isinstance(pixel, tuple)
    assert close_to(pixel, TRACK), pixel


def test_corners_are_transparent_or_the_background() -> None:
    assert draw_icon(view("ok"), 64).getpixel((0, 0)) == (0, 0, 0, 0)
    solid = draw_icon(view("ok"), 64, background=(48, 48, 48))
    assert solid.getpixel((0, 0)) == (48, 48, 48, 255)


def centre_box(size: int) -> tuple[int, int, int, int]:
    lo, hi = round(size * 0.3), round(size * 0.7)
    return lo, lo, hi, hi


def pixels(image: Image.Image) -> list[tuple[int, ...]]:
    """Every pixel of an RGB image (getdata is deprecated in Pillow 13)."""
    rgb = image.convert("RGB")
    return [
        p
        for y in range(rgb.height)
        for x in range(rgb.width)
        if isinstance(p := rgb.getpixel((x, y)), tuple)
    ]


def ink_pixels(image: Image.Image, colour: RGB) -> int:
    crop = image.crop(centre_box(image.width))
    return sum(1 for p in pixels(crop) if close_to(p, colour, 40))


@pytest.mark.parametrize("size", [22, 32, 64])
def test_the_number_is_drawn_and_differs_between_23_and_5(size: int) -> None:
    a = draw_icon(view("ok", "23"), size)
    b = draw_icon(view("ok", "5"), size)
    assert a.size == b.size == (size, size)
    assert ink_pixels(a, TEXT_COLOURS["ok"]) > size // 2  # white digits in the middle
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).crop(centre_box(size))
    changed = sum(1 for p in pixels(diff) if max(p) > 60)
    assert changed > size // 2, changed
    # The same view draws the same pixels (so tests can compare screenshots with it).
    assert draw_icon(view("ok", "23"), size).tobytes() == a.tobytes()


def test_amber_uses_dark_digits() -> None:
    image = draw_icon(view("warning", "5"), 64)
    assert ink_pixels(image, TEXT_COLOURS["warning"]) > 30


def test_paused_draws_two_bars_and_blocked_one_bar() -> None:
    size = 64
    paused = draw_icon(view("paused", badge=""), size)
    centre = paused.getpixel((32, 32))
    left_bar = paused.getpixel((32 - 7, 32))
    assert isinstance(centre, tuple) and isinstance(left_bar, tuple)
    assert close_to(centre, COLOURS["paused"]), centre  # the gap between the bars
    assert close_to(left_bar, (255, 255, 255)), left_bar
    blocked = draw_icon(view("blocked", badge="", fraction=0.0), size)
    bar = blocked.getpixel((32, 32))
    above = blocked.getpixel((32, 22))
    assert isinstance(bar, tuple) and isinstance(above, tuple)
    assert close_to(bar, (255, 255, 255)), bar
    assert close_to(above, COLOURS["blocked"]), above


def test_unreachable_differs_from_ok() -> None:
    grey = draw_icon(view("unreachable", "?", 0.0), 64)
    green = draw_icon(view("ok", "?", 0.0), 64)
    assert grey.tobytes() != green.tobytes()


def test_fit_icon_keeps_the_ring_round_in_a_tall_slot() -> None:
    icon = draw_icon(view("ok"), 64, background=(48, 48, 48))
    slot = fit_icon(icon, 24, 30)
    assert slot.size == (24, 30) and slot.mode == "RGB"
    assert slot.getpixel((12, 1)) == (48, 48, 48)  # above the centred square
    assert slot.getpixel((12, 28)) == (48, 48, 48)  # below it
    middle = slot.crop((0, 3, 24, 27))
    assert (
        middle.tobytes() == icon.convert("RGB").resize((24, 24), Image.Resampling.LANCZOS).tobytes()
    )


def test_a_badge_drawn_again_loads_one_font_face_and_no_shaper() -> None:
    from PIL import ImageFont

    from tray.icon import font

    first = draw_icon(view("ok", "47"))
    before = font.cache_info()
    again = draw_icon(view("ok", "47"))
    assert ImageChops.difference(first, again).getbbox(alpha_only=False) is None
    # The size that fits is remembered: one face (a mapping of the font file), not a search.
    assert font.cache_info().misses - before.misses <= 1
    face = font(20)
    if isinstance(face, ImageFont.FreeTypeFont):
        assert face.layout_engine == ImageFont.Layout.BASIC
