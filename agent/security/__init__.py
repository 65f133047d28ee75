"""PlayClock: agent/security."""
