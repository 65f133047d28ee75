"""PlayClock: agent/api."""

__all__: list[str] = []
