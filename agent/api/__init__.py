"""PlayClock: agent/api."""
