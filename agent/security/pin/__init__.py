"""PlayClock: agent/security/pin."""
