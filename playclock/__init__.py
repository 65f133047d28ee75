"""PlayClock's top layer: the `playclock` command and the composition root."""
