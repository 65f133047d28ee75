"""Where a toast goes: on the screen, clear of the tray's panel whenever there is room."""

from __future__ import annotations

import pytest

from tray.tk_windows import toast_position

SCREEN = (1024, 768)
TOAST = (347, 85)


def inside(rect: tuple[int, int, int, int]) -> bool:
    x, y, w, h = rect
    return x >= 0 and y >= 0 and x + w <= SCREEN[0] and y + h <= SCREEN[1]


def covers(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_no_panel_bottom_right() -> None:
    assert toast_position(TOAST, SCREEN, None) == (661, 635, 347, 85)


@pytest.mark.parametrize(
    "panel",
    [
        (700, 400, 300, 330),  # a small panel in the bottom-right corner
        (126, 89, 898, 626),  # the family test: a wide panel, nearly the whole screen
        (0, 0, 1024, 700),  # no room anywhere clear of it
    ],
)
def test_always_on_the_screen_and_clear_of_the_panel_when_it_can_be(panel: tuple) -> None:
    """Family test: beside a wide panel the toast went off the screen's right edge."""
    place = toast_position(TOAST, SCREEN, panel)
    assert inside(place), place
    if panel[2] < 1000:
        assert not covers(place, panel), (place, panel)
