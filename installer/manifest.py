"""The install manifest: what an install wrote, so an uninstall removes exactly that."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DirEntry", "FileEntry", "Manifest", "ManifestError", "sha256"]

VERSION = 1


class ManifestError(Exception):
    """The manifest exists but cannot be read."""


def sha256(data: bytes) -> str:
    """The hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class FileEntry:
    """A file the install put in place (or, for the parents' rules, found in place)."""

    path: str  # POSIX, relative to the root
    sha256: str
    mode: int
    owner: str
    group: str
    keep_existing: bool = False
    preexisting: bool = False  # was there before PlayClock: kept unless --purge
    backup: str | None = None  # where a foreign file that stood here was moved


@dataclass
class DirEntry:
    """A directory the install made or owns."""

    path: str
    data: bool = False  # removed with everything in it only by --purge
    spec: bool = False  # one of PlayClock's own directories (not just a missing parent)
    created: bool = True


@dataclass
class Manifest:
    """Everything one install put on the system."""

    os_name: str
    program: list[str] = field(default_factory=list)
    files: list[FileEntry] = field(default_factory=list)
    dirs: list[DirEntry] = field(default_factory=list)
    version: int = VERSION

    def file(self, path: str) -> FileEntry | None:
        """The entry for this file, or None."""
        return next((f for f in self.files if f.path == path), None)

    def dir(self, path: str) -> DirEntry | None:
        """The entry for this directory, or None."""
        return next((d for d in self.dirs if d.path == path), None)

    def add_dir(self, entry: DirEntry) -> None:
        """Record a directory, merging with what an earlier install recorded."""
        old = self.dir(entry.path)
        if old is None:
            self.dirs.append(entry)
            return
        old.data = old.data or entry.data
        old.spec = old.spec or entry.spec
        old.created = old.created or entry.created

    def to_json(self) -> str:
        """The manifest as JSON text."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """A manifest from JSON text; raises ManifestError when it is not one."""
        try:
            raw: dict[str, Any] = json.loads(text)
            if raw.get("version") != VERSION:
                raise ManifestError(f"unknown manifest version {raw.get('version')!r}")
            return cls(
                os_name=str(raw["os_name"]),
                program=[str(p) for p in raw.get("program", [])],
                files=[FileEntry(**f) for f in raw["files"]],
                dirs=[DirEntry(**d) for d in raw["dirs"]],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ManifestError(str(exc)) from exc

    @classmethod
    def load(cls, path: Path) -> Manifest | None:
        """The manifest at this path, or None when there is none."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return cls.from_json(text)
