"""The QR code of the pairing command, as inline SVG for the parent's phone camera."""

from __future__ import annotations

import shlex

import segno
from markupsafe import Markup

__all__ = ["pair_command", "qr_svg"]


def pair_command(hub_url: str, code: str) -> str:
    """`playclock sync pair URL CODE`, quoted for a shell."""
    return f"playclock sync pair {shlex.quote(hub_url)} {shlex.quote(code)}"


def qr_svg(text: str, title: str) -> Markup:
    """An inline `<svg>` QR code of `text` (medium error correction), with a title."""
    qr = segno.make(text, error="m", micro=False)
    svg: str = qr.svg_inline(scale=5, border=2, dark="#111827", light="#ffffff", title=title,
                             svgclass="qr", lineclass=None, omitsize=True)
    return Markup(svg)  # the title is ours and segno escapes it; the rest is its own markup
