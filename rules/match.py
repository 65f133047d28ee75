"""Matching a process snapshot to the (child, app) pairs that are running."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from rules.model import App, Config, ProcessInfo
from rules.programs import is_interpreted, program_of, strip_suffix

__all__ = ["Matcher", "Running", "normalize_account", "normalize_name"]

# child name -> app id -> pids
Running = dict[str, dict[str, tuple[int, ...]]]


def normalize_name(name: str) -> str:
    """A process name for comparison: case-folded, no directory, ".exe" dropped and
    likewise a script's or jar's suffix (".py", ".sh", ".jar"...)."""
    return strip_suffix(name.replace("\\", "/").rsplit("/", 1)[-1].strip().casefold())


def normalize_account(user: str) -> str:
    """An OS account for comparison: case-folded, a Windows "DOMAIN\\" prefix dropped."""
    return user.replace("/", "\\").rsplit("\\", 1)[-1].strip().casefold()


def _path_regex(globs: Iterable[str]) -> re.Pattern[str] | None:
    parts = [fnmatch.translate(g.replace("\\", "/").casefold()) for g in globs]
    return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


class _AppMatcher:
    """One app's patterns, prepared once."""

    __slots__ = ("app", "cmdline", "names", "paths")

    def __init__(self, app: App) -> None:
        self.app = app
        self.names = frozenset(normalize_name(n) for n in app.names)
        self.paths = _path_regex(app.paths)
        self.cmdline = app.cmdline

    def matches(self, names: frozenset[str], paths: tuple[str, ...], cmdline: str) -> bool:
        if self.names and not self.names.isdisjoint(names):
            return True
        if self.paths is not None and any(p and self.paths.match(p) for p in paths):
            return True
        return bool(cmdline) and any(rx.search(cmdline) for rx in self.cmdline)


class Matcher:
    """Maps processes to apps and children for one config; build once per config.

    `identities` maps the content digest of known executables to their app: a process
    whose executable has one is that app under any name or path.
    """

    def __init__(self, config: Config, identities: Mapping[str, str] | None = None) -> None:
        self._apps = [_AppMatcher(a) for a in config.apps]
        known = {a.id for a in config.apps}
        self._identities = {d: a for d, a in (identities or {}).items() if a in known}
        self._owner: dict[str, str] = {}
        self._allowed: dict[str, frozenset[str]] = {}
        for child in config.children:
            self._allowed[child.name] = child.always_allowed
            for account in child.accounts:
                self._owner[normalize_account(account)] = child.name
        self._apps_of = lru_cache(maxsize=4096)(self._compute_apps)

    def child_of(self, user: str) -> str | None:
        """The child whose account runs a process, or None."""
        return self._owner.get(normalize_account(user))

    def apps_of(self, proc: ProcessInfo) -> frozenset[str]:
        """Ids of every app a process belongs to."""
        return self._apps_of(proc.name, proc.exe, proc.cmdline, proc.files, proc.exe_digest)

    def identity_apps(self, proc: ProcessInfo) -> frozenset[str]:
        """Apps a process matches by its own executable (name or path): that file's content
        may be remembered as the app. Empty for loaders and interpreters (python, java...),
        whose executable is not the program."""
        if not proc.exe or is_interpreted(proc.exe, proc.cmdline):
            return frozenset()
        return self._apps_of(proc.name, proc.exe, (), (), "")

    def _compute_apps(
        self, name: str, exe: str, cmdline: tuple[str, ...], files: tuple[str, ...], digest: str
    ) -> frozenset[str]:
        # Linux truncates names to 15 characters; the executable's and argv[0]'s
        # basenames give the full name (and catch a renamed copy's original path). A
        # loader or interpreter runs a program, script or jar: that is matched too.
        names = {normalize_name(name)}
        if exe:
            names.add(normalize_name(exe))
        if cmdline:
            names.add(normalize_name(cmdline[0]))
        names.update(normalize_name(p) for p in program_of(exe, cmdline))
        names.update(normalize_name(f) for f in files)
        names.discard("")
        paths = tuple(p.replace("\\", "/").casefold() for p in (exe, *files))
        line = " ".join(cmdline)
        frozen = frozenset(names)
        found = {m.app.id for m in self._apps if m.matches(frozen, paths, line)}
        if digest and digest in self._identities:
            found.add(self._identities[digest])
        return frozenset(found)

    def running(self, processes: Iterable[ProcessInfo]) -> Running:
        """Child -> app -> pids, leaving out each child's always-allowed apps."""
        out: dict[str, dict[str, list[int]]] = {}
        for proc in processes:
            child = self.child_of(proc.user)
            if child is None:
                continue
            apps = self.apps_of(proc) - self._allowed.get(child, frozenset())
            for app_id in apps:
                out.setdefault(child, {}).setdefault(app_id, []).append(proc.pid)
        return {c: {a: tuple(sorted(p)) for a, p in apps.items()} for c, apps in out.items()}
