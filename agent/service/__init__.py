"""PlayClock: agent/service."""
