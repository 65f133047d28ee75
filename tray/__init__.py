"""PlayClock."""
