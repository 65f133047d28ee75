"""Where the config and the data live: flags, then environment, then platformdirs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["APP", "config_candidates", "data_dir", "find_config"]

APP = "playclock"


def config_candidates() -> list[Path]:
    """Places a rules.toml is looked for, in order: the user's, then the system's."""
    return [
        Path(platformdirs.user_config_dir(APP)) / "rules.toml",
        Path(platformdirs.site_config_dir(APP)) / "rules.toml",
        Path("/etc/playclock/rules.toml"),
    ]


def find_config(flag: str | None = None) -> Path | None:
    """The config file to use: --config, $PLAYCLOCK_CONFIG, else the first that exists."""
    chosen = flag or os.environ.get("PLAYCLOCK_CONFIG")
    if chosen:
        return Path(chosen).expanduser()
    for candidate in config_candidates():
        if candidate.is_file():
            return candidate
    return None


def data_dir(flag: str | None = None) -> Path:
    """The data directory: --data-dir, $PLAYCLOCK_DATA_DIR, the service's, else the user's."""
    chosen = flag or os.environ.get("PLAYCLOCK_DATA_DIR")
    if chosen:
        return Path(chosen).expanduser()
    system = Path("/var/lib/playclock")
    if system.is_dir() and os.access(system, os.W_OK):
        return system
    return Path(platformdirs.user_data_dir(APP))
