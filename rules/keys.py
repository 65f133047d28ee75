"""The fixed limit keys and the built-in categories, apart from the model that uses them.

The tray names limits with these alone; it loads neither the model's classes nor the
catalogue of apps (issue 15).
"""

from __future__ import annotations

__all__ = ["BUILTIN_CATEGORIES", "SCREEN", "TOTAL"]

TOTAL = "total"
SCREEN = "screen"  # the child's whole computer time: an active, unlocked, not idle session

BUILTIN_CATEGORIES: dict[str, str] = {
    "games": "Games",
    "browsers": "Web browsers",
    "video": "Video",
    "social": "Social media",
    "chat": "Chat",
    "creative": "Creative",
    "education": "Education",
    "other": "Other",
}
