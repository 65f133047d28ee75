"""The install plan as values, the per-OS installer interface, and the plan's description."""

from __future__ import annotations

import shlex
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath
from typing import Literal

from agent.i18n import _

__all__ = [
    "Command",
    "DirSpec",
    "FileSpec",
    "InstallOptions",
    "Installer",
    "Plan",
    "agent_dirs",
    "describe",
    "join_command",
    "mode_str",
    "target_path",
]

Action = Literal["install", "uninstall"]


@dataclass(frozen=True)
class FileSpec:
    """A file to install: path relative to the root, content, mode and owner."""

    path: PurePosixPath
    content: bytes
    mode: int = 0o644
    owner: str = "root"
    group: str = "root"
    keep_existing: bool = False  # the parents' own file: never overwritten, kept when edited
    why: str = ""


@dataclass(frozen=True)
class DirSpec:
    """A directory to create (or fix up) with this mode and owner."""

    path: PurePosixPath
    mode: int = 0o755
    owner: str = "root"
    group: str = "root"
    data: bool = False  # removed, with everything in it, only by `uninstall --purge`
    why: str = ""


def agent_dirs(
    config: PurePosixPath, data: PurePosixPath, secrets: PurePosixPath, owner: tuple[str, str]
) -> tuple[DirSpec, ...]:
    """The rules' folder (readable by all), the data and secrets folders (the agent's only)."""
    o, g = owner
    return (
        DirSpec(config, 0o755, o, g),
        DirSpec(data, 0o700, o, g, data=True),
        DirSpec(secrets, 0o700, o, g, data=True),
    )


@dataclass(frozen=True)
class Command:
    """A command to run, `before` or `after` the files are written or removed."""

    argv: tuple[str, ...]
    why: str
    when: Literal["before", "after"] = "after"
    check: bool = True  # a failure fails the install; otherwise it is only reported


@dataclass(frozen=True)
class InstallOptions:
    """What the plans are built from: how to start PlayClock on the target machine."""

    program: tuple[str, ...]
    tray_program: tuple[str, ...] | None = None

    @property
    def tray(self) -> tuple[str, ...]:
        """The launcher for the tray (the program unless told otherwise)."""
        return self.tray_program or self.program


@dataclass(frozen=True)
class Plan:
    """Everything an install or uninstall does, before anything is done."""

    os_name: str
    action: Action
    anchor: PurePath  # the system root the relative paths hang off: "/" or "C:\\"
    manifest: PurePosixPath
    manifest_owner: tuple[str, str] = ("root", "root")
    dirs: tuple[DirSpec, ...] = ()
    files: tuple[FileSpec, ...] = ()
    commands: tuple[Command, ...] = ()
    purge: bool = False
    notes: tuple[str, ...] = ()

    def before(self) -> list[Command]:
        """Commands to run before the files are touched."""
        return [c for c in self.commands if c.when == "before"]

    def after(self) -> list[Command]:
        """Commands to run after the files are in place (or gone)."""
        return [c for c in self.commands if c.when == "after"]


class Installer(ABC):
    """One operating system's face: its plans and how to tell an administrator."""

    name: str
    sets_owners: bool = True  # POSIX owners via chown; Windows uses ACL commands instead

    @abstractmethod
    def plan(self, opts: InstallOptions) -> Plan:
        """What `playclock install` writes and runs."""

    @abstractmethod
    def uninstall_plan(self, opts: InstallOptions, purge: bool) -> Plan:
        """What `playclock uninstall` runs; files to remove come from the manifest."""

    @abstractmethod
    def is_admin(self) -> bool:
        """Whether this process has administrator rights (on this, the host OS)."""

    def program_warnings(self, program: Sequence[str]) -> list[str]:
        """Reasons the program itself could be tampered with by a standard account."""
        return []


def mode_str(mode: int) -> str:
    """A mode as four octal digits."""
    return f"{mode:04o}"


def target_path(plan: Plan, rel: PurePosixPath, root: Path | None) -> PurePath:
    """Where a relative path lands: under the staging root, or on the target system."""
    if root is not None:
        return root.joinpath(*rel.parts)
    return plan.anchor.joinpath(*rel.parts)


def join_command(plan: Plan, argv: Sequence[str]) -> str:
    """A command as it would be typed on the plan's OS."""
    if plan.os_name == "windows":
        return subprocess.list2cmdline(list(argv))
    return shlex.join(argv)


def describe(plan: Plan, root: Path | None = None) -> str:
    """Every directory, file and command of a plan, one per line, for `--dry-run`."""
    where = str(root) if root is not None else str(plan.anchor)
    if plan.action == "install":
        head = _("PlayClock install plan for {os} (root: {root})")
    else:
        head = _("PlayClock uninstall plan for {os} (root: {root})")
    lines = [head.format(os=plan.os_name, root=where)]
    show_owner = plan.os_name != "windows"

    def owner(o: str, g: str) -> str:
        return f" {o}:{g}" if show_owner else ""

    commands_before = plan.before()
    if commands_before:
        lines.append(_("commands run first:"))
        lines += [f"  {join_command(plan, c.argv)}    # {c.why}" for c in commands_before]
    if plan.action == "uninstall":
        lines.append(_("removes the files listed in {manifest}").format(
            manifest=target_path(plan, plan.manifest, root)))
        if not plan.purge:
            lines.append(_("keeps the data directories (use --purge to remove them):"))
            lines += [f"  {target_path(plan, d.path, root)}" for d in plan.dirs if d.data]
    else:
        lines.append(_("directories:"))
        for d in plan.dirs:
            extra = "  " + _("(data: removed only by uninstall --purge)") if d.data else ""
            lines.append(f"  {target_path(plan, d.path, root)}  {mode_str(d.mode)}"
                         f"{owner(d.owner, d.group)}{extra}")
        lines.append(_("files:"))
        for f in plan.files:
            extra = "  " + _("(kept when already present)") if f.keep_existing else ""
            lines.append(f"  {target_path(plan, f.path, root)}  {mode_str(f.mode)}"
                         f"{owner(f.owner, f.group)}  {len(f.content)} B{extra}")
        mo, mg = plan.manifest_owner
        lines.append(f"  {target_path(plan, plan.manifest, root)}  0600{owner(mo, mg)}  "
                     + _("(the install manifest)"))
    commands_after = plan.after()
    if commands_after:
        lines.append(_("commands run then:"))
        lines += [f"  {join_command(plan, c.argv)}    # {c.why}" for c in commands_after]
    lines += plan.notes
    return "\n".join(lines) + "\n"
