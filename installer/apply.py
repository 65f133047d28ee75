"""Carry out a plan: write or remove files atomically, keep the manifest, run the commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TextIO

from agent.i18n import _
from installer.base import Command, FileSpec, Plan, join_command, mode_str
from installer.manifest import DirEntry, FileEntry, Manifest, ManifestError, sha256

__all__ = ["ApplyError", "Runner", "apply", "run_subprocess"]

Runner = Callable[[Sequence[str]], int]


class ApplyError(Exception):
    """A step failed; the message is one line for the user."""


def run_subprocess(argv: Sequence[str]) -> int:
    """Run a command, inheriting stdout and stderr; 127 when it does not exist."""
    try:
        return subprocess.run(list(argv), check=False).returncode
    except FileNotFoundError:
        return 127


class _Applier:
    """One run of a plan against one root; dry runs say everything and do nothing."""

    def __init__(self, plan: Plan, root: Path, *, dry_run: bool, run_commands: bool,
                 out: TextIO, chown: bool, runner: Runner) -> None:
        self.plan, self.root, self.dry_run = plan, root, dry_run
        self.run_commands, self.out, self.chown, self.runner = run_commands, out, chown, runner
        self.failed = False
        self.made: set[Path] = set()  # directories a dry run pretends to have created

    def say(self, line: str) -> None:
        """Tell the user one step."""
        print(line, file=self.out)

    def at(self, rel: str | PurePosixPath) -> Path:
        """A relative path under the root."""
        return self.root.joinpath(*PurePosixPath(rel).parts)

    # -- commands ---------------------------------------------------------------

    def commands(self, cmds: Sequence[Command]) -> None:
        """Run (or show) commands; a checked one that fails marks the run failed."""
        for cmd in cmds:
            shown = join_command(self.plan, cmd.argv)
            if self.dry_run:
                self.say(_("would run: {cmd}").format(cmd=shown))
            elif not self.run_commands:
                self.say(_("not run (staged install); on the target run: {cmd}").format(
                    cmd=shown))
            else:
                self.say(_("run: {cmd}").format(cmd=shown))
                code = self.runner(cmd.argv)
                if code != 0 and cmd.check:
                    self.failed = True
                    self.say(_("command failed (exit {code}): {cmd}").format(code=code, cmd=shown))

    # -- file system ------------------------------------------------------------

    def set_owner(self, path: Path, owner: str, group: str) -> None:
        """chown by account names, when this run sets owners."""
        if not self.chown:
            return
        import grp
        import pwd

        os.chown(path, pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid,
                 follow_symlinks=False)

    def ensure_dir(self, rel: PurePosixPath, mode: int, owner: str, group: str,
                   manifest: Manifest, *, spec: bool, data: bool = False) -> None:
        """Create a directory and its missing parents, recording each one made."""
        for depth in range(1, len(rel.parts) + 1):
            part = PurePosixPath(*rel.parts[:depth])
            path = self.at(part)
            is_target = depth == len(rel.parts)
            # Parents may be symlinks (macOS: /var -> private/var); PlayClock's own dirs may not.
            if path in self.made or (path.is_dir() and not (is_target and path.is_symlink())):
                if is_target and spec:
                    # Only PlayClock's own directories get their mode enforced, never /etc & co.
                    manifest.add_dir(DirEntry(str(part), data=data, spec=True, created=False))
                    self.fix_mode(path, mode, owner, group)
                continue
            if path.exists() or path.is_symlink():
                raise ApplyError(_("{path} exists and is not a directory").format(path=path))
            self.say(_("create {path}/").format(path=path))
            if is_target:
                manifest.add_dir(DirEntry(str(part), data=data, spec=spec, created=True))
            else:
                manifest.add_dir(DirEntry(str(part), created=True))
            self.made.add(path)
            if not self.dry_run:
                path.mkdir()
                self.fix_mode(path, mode if is_target else 0o755, owner, group, quiet=True)

    def fix_mode(self, path: Path, mode: int, owner: str, group: str, quiet: bool = False) -> None:
        """Enforce a mode and owner on something PlayClock owns."""
        if not quiet and path.exists() and (path.stat().st_mode & 0o7777) != mode:
            self.say(_("set mode {mode} on {path}").format(mode=mode_str(mode), path=path))
        if not self.dry_run:
            os.chmod(path, mode)
            self.set_owner(path, owner, group)

    def write(self, path: Path, data: bytes, mode: int, owner: str, group: str) -> None:
        """Write a file atomically: temp file, mode and owner, fsync, rename over."""
        if self.dry_run:
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            self.set_owner(Path(tmp), owner, group)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def backup_name(self, path: Path) -> Path:
        """A free `.bak` name next to a file."""
        candidate = path.with_name(path.name + ".bak")
        n = 1
        while candidate.exists() or candidate.is_symlink():
            candidate = path.with_name(f"{path.name}.bak.{n}")
            n += 1
        return candidate

    # -- install ----------------------------------------------------------------

    def install(self) -> None:
        """Directories, files, the manifest (even after a failure), then the commands."""
        plan = self.plan
        manifest_path = self.at(plan.manifest)
        old = self.load_manifest(manifest_path) or Manifest(os_name=plan.os_name)
        new = Manifest(os_name=plan.os_name, dirs=list(old.dirs))
        self.commands(plan.before())
        try:
            for d in sorted(plan.dirs, key=lambda d: len(d.path.parts)):
                self.ensure_dir(d.path, d.mode, d.owner, d.group, new, spec=True, data=d.data)
            for f in plan.files:
                self.ensure_dir(f.path.parent, 0o755, f.owner, f.group, new, spec=False)
                new.files.append(self.install_file(f, old.file(str(f.path))))
            wanted = {str(f.path) for f in plan.files}
            for stale in old.files:
                if stale.path not in wanted:
                    self.remove_file(stale, purge=False)
        finally:
            self.ensure_dir(plan.manifest.parent, 0o700, *plan.manifest_owner, new, spec=False)
            self.say(_("write {path}").format(path=manifest_path))
            self.write(manifest_path, new.to_json().encode(), 0o600, *plan.manifest_owner)
        self.commands(plan.after())

    def load_manifest(self, path: Path) -> Manifest | None:
        """The previous install's manifest, if any."""
        try:
            return Manifest.load(path)
        except ManifestError as exc:
            raise ApplyError(_("{path}: unreadable install manifest ({error}); move it away "
                               "and install again").format(path=path, error=exc)) from exc
        except PermissionError:
            if not self.dry_run:
                raise
            self.say(_("cannot read {path} without administrator rights: "
                       "showing a fresh install").format(path=path))
            return None

    def install_file(self, f: FileSpec, old: FileEntry | None) -> FileEntry:
        """Write one file (or keep the parents' own), backing up a foreign one first."""
        path = self.at(f.path)
        entry = FileEntry(str(f.path), sha256(f.content), f.mode, f.owner, f.group,
                          keep_existing=f.keep_existing)
        present = path.exists() or path.is_symlink()
        if present and f.keep_existing and path.is_file():
            self.say(_("keep {path} (already there; it is never overwritten)").format(path=path))
            self.fix_mode(path, f.mode, f.owner, f.group)
            if old is not None:
                return old
            entry.preexisting = True
            entry.sha256 = sha256(path.read_bytes())
            return entry
        if old is not None:
            entry.backup = old.backup
        elif present and not (path.is_file() and path.read_bytes() == f.content):
            backup = self.backup_name(path)
            self.say(_("{path} is not PlayClock's: moved to {backup}").format(
                path=path, backup=backup))
            if not self.dry_run:
                path.rename(backup)
            entry.backup = str(PurePosixPath(f.path.parent, backup.name))
        self.say(_("write {path} ({mode}{owner})").format(
            path=path, mode=mode_str(f.mode),
            owner=f" {f.owner}:{f.group}" if self.plan.os_name != "windows" else ""))
        self.write(path, f.content, f.mode, f.owner, f.group)
        return entry

    # -- uninstall --------------------------------------------------------------

    def remove_file(self, entry: FileEntry, purge: bool) -> None:
        """Remove one installed file and put back what it replaced; keep edited rules."""
        path = self.at(entry.path)
        present = path.exists() or path.is_symlink()
        if entry.keep_existing and not purge and present:
            edited = not path.is_file() or sha256(path.read_bytes()) != entry.sha256
            if entry.preexisting or edited:
                self.say(_("keep {path} (your edited file; --purge removes it)").format(path=path))
                return
        if present:
            self.say(_("remove {path}").format(path=path))
            if not self.dry_run:
                path.unlink()
        if entry.backup:
            backup = self.at(entry.backup)
            if backup.exists():
                self.say(_("restore {path} from {backup}").format(path=path, backup=backup))
                if not self.dry_run:
                    backup.rename(path)

    def uninstall(self, manifest: Manifest) -> None:
        """Commands, the listed files, the manifest, emptied directories, commands."""
        plan = self.plan
        self.commands(plan.before())
        for entry in manifest.files:
            self.remove_file(entry, plan.purge)
        manifest_path = self.at(plan.manifest)
        self.say(_("remove {path}").format(path=manifest_path))
        if not self.dry_run:
            manifest_path.unlink(missing_ok=True)
        data_dirs = [d for d in manifest.dirs if d.data]
        deepest_first = sorted(manifest.dirs, key=lambda d: -len(PurePosixPath(d.path).parts))
        for d in deepest_first:
            self.remove_dir(d, data_dirs)
        self.commands(plan.after())

    def remove_dir(self, d: DirEntry, data_dirs: list[DirEntry]) -> None:
        """Remove a directory PlayClock made once empty; data ones only with --purge."""
        path = self.at(d.path)
        if not path.is_dir() or path.is_symlink():
            return
        inside_data = any(PurePosixPath(d.path).is_relative_to(x.path) and x.path != d.path
                          for x in data_dirs)
        if inside_data:
            return  # the enclosing data directory speaks for it
        if d.data:
            if self.plan.purge:
                self.say(_("remove {path}/ and everything in it").format(path=path))
                if not self.dry_run:
                    shutil.rmtree(path)
            else:
                self.say(_("keep {path}/ (data; --purge removes it)").format(path=path))
            return
        if self.dry_run:
            # Nothing was removed, so emptiness can only be guessed; say what would be tried.
            if d.spec or d.created:
                self.say(_("remove {path}/ if empty").format(path=path))
            return
        if any(path.iterdir()):
            if d.spec:
                self.say(_("keep {path}/ (not empty)").format(path=path))
            return
        if d.spec or d.created:
            self.say(_("remove {path}/").format(path=path))
            path.rmdir()


def apply(plan: Plan, root: Path, *, dry_run: bool, run_commands: bool, out: TextIO,
          chown: bool = False, runner: Runner | None = None,
          manifest: Manifest | None = None) -> bool:
    """Carry out a plan under `root` ("/" for the real system); False when a command failed."""
    applier = _Applier(plan, root, dry_run=dry_run, run_commands=run_commands and not dry_run,
                       out=out, chown=chown and not dry_run, runner=runner or run_subprocess)
    if dry_run:
        print(_("Dry run: nothing is changed."), file=out)
    try:
        if plan.action == "install":
            applier.install()
        else:
            if manifest is None:
                raise ApplyError(_("PlayClock is not installed here"))
            applier.uninstall(manifest)
    except OSError as exc:
        raise ApplyError(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from exc
    return not applier.failed
