"""PlayClock: playclock/cli."""
