"""Templates for the service, autostart and config files the installer writes."""
