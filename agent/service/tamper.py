"""Tamper evidence: usage edited behind the agent's back, files others could change."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["DIGEST_KEY", "loose_permissions", "tamper_findings", "usage_digest"]

DIGEST_KEY = "usage_digest"


def usage_digest(day: dt.date, usage: Mapping[Any, float]) -> str:
    """ "DAY:HASH" over a day's usage rows, as the agent last wrote them."""
    h = hashlib.sha256()
    for key in sorted(k for k in usage if k[0] == day):
        h.update(f"{key[1]}\x00{key[2]}\x00{key[3]}\x00{usage[key]:.3f}\n".encode())
    return f"{day.isoformat()}:{h.hexdigest()}"


def loose_permissions(paths: list[Path], owner_uid: int | None = None) -> list[str]:
    """Problems that let someone else change the rules or the ledger (POSIX modes and owners)."""
    problems: list[str] = []
    if not hasattr(os, "geteuid"):
        return problems  # ACLs on Windows are the installer's job (icacls)
    uid = os.geteuid() if owner_uid is None else owner_uid
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            problems.append(f"{path}: writable by group or others ({stat.filemode(st.st_mode)})")
        if st.st_uid not in (uid, 0):
            problems.append(f"{path}: owned by uid {st.st_uid}, not the agent's account")
    return problems


def tamper_findings(
    stored: str | None, usage_of: Callable[[dt.date], Mapping[Any, float]], files: list[Path]
) -> list[dict[str, Any]]:
    """Details of "tamper" events: usage that no longer matches its digest, loose files."""
    found: list[dict[str, Any]] = []
    if stored and ":" in stored:
        day = dt.date.fromisoformat(stored.split(":", 1)[0])
        if usage_digest(day, usage_of(day)) != stored:
            found.append({"what": "ledger", "day": day.isoformat()})
    for problem in loose_permissions([*files, *(p.parent for p in files)]):
        found.append({"what": "permissions", "problem": problem})
    return found
