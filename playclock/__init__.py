"""PlayClock: playclock."""
