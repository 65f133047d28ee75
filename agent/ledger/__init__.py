"""PlayClock: agent/ledger."""
