"""What the Linux and macOS faces share: root checks and the program's own safety."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from agent.i18n import _
from installer.base import Installer

__all__ = ["PosixInstaller", "closed_to_others", "tamper_risk"]


def tamper_risk(path: Path) -> Path | None:
    """The first of the path and its parents a non-root account could change, or None."""
    try:
        path = path.resolve()
    except OSError:
        return None
    for p in (path, *path.parents):
        try:
            st = p.stat()
        except OSError:
            return None
        # A sticky world-writable dir (/tmp) still stops others replacing root's entries.
        sticky_dir = stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX
        if st.st_uid != 0 or (st.st_mode & 0o022 and not sticky_dir):
            return p
    return None


def closed_to_others(path: Path) -> Path | None:
    """The first of the path (links followed) and its parents other accounts cannot pass
    through or run, or None: every child's tray runs this program in the child's account."""
    try:
        path = path.resolve()
    except OSError:
        return None
    for p in (path, *path.parents):
        try:
            if not p.stat().st_mode & stat.S_IXOTH:
                return p
        except OSError:
            return None
    return None


class PosixInstaller(Installer):
    """Root is the administrator; the program must be owned by root all the way up."""

    def is_admin(self) -> bool:
        """Whether this process runs as root."""
        return os.geteuid() == 0

    def program_warnings(self, program: Sequence[str]) -> list[str]:
        """Paths of the program (and of the `agent` package) a standard account could change."""
        candidates = [Path(program[0])] if program else []
        spec = importlib.util.find_spec("agent")
        if spec is not None and spec.origin:
            candidates.append(Path(spec.origin).parent)
        warnings = []
        for candidate in candidates:
            risky = tamper_risk(candidate)
            if risky is not None:
                warnings.append(_(
                    "warning: {path} can be changed by an account other than root, so the "
                    "agent's own code is not protected; install PlayClock system-wide as root"
                ).format(path=risky))
        for program_file in {Path(sys.executable), *candidates[:1]}:
            closed = closed_to_others(program_file)
            if closed is not None:
                warnings.append(_(
                    "warning: other accounts cannot open {path}, so the children's trays will "
                    "not start; install PlayClock where every account can run it (for example "
                    "a virtual environment under /opt made with /usr/bin/python3)"
                ).format(path=closed))
        return warnings
