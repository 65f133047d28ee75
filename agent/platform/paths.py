"""Where the config and the data live: flags, then environment, then platformdirs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["APP", "agent_is_root", "config_candidates", "data_dir", "find_config", "system_config"]

APP = "playclock"


def _system_candidates() -> list[Path]:
    return [
        Path(platformdirs.site_config_dir(APP)) / "rules.toml",
        Path("/etc/playclock/rules.toml"),
    ]


def config_candidates() -> list[Path]:
    """Places a rules.toml is looked for, in order: the system's, then the user's.

    An installed agent's rules win over any user's for every command: a user's own rules
    (which a child can write) are only for a personal (demo) agent.
    """
    return [*_system_candidates(), Path(platformdirs.user_config_dir(APP)) / "rules.toml"]


def system_config() -> Path | None:
    """The installed agent's rules file, when PlayClock is installed here."""
    return next((p for p in _system_candidates() if p.is_file()), None)


def agent_is_root(config: Path | None) -> bool:
    """Whether the agent at these rules' address must run as root (installed, or root's rules)."""
    if system_config() is not None:
        return True
    try:
        return config is not None and os.name == "posix" and config.stat().st_uid == 0
    except OSError:
        return False


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
