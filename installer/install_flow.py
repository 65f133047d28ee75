"""`playclock install` and `playclock uninstall`: checks first, then the plan, then exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from agent.exit_codes import ExitCode
from agent.i18n import _
from installer.apply import ApplyError, Runner, apply
from installer.base import Installer, InstallOptions, Plan, describe, target_path
from installer.content import default_program, default_tray_program
from installer.manifest import Manifest, ManifestError


class _Stop(Exception):
    """End the command with this exit code after printing the message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _faces(os_name: str | None) -> tuple[Installer, Installer]:
    from installer import OS_NAMES, for_os

    if os_name is not None and os_name not in OS_NAMES:
        raise _Stop(ExitCode.USAGE, _("unknown OS {name!r}: expected one of {names}").format(
            name=os_name, names=", ".join(OS_NAMES)))
    return for_os(os_name), for_os(None)


def _options(target: Installer, host: Installer, program: Sequence[str] | None) -> InstallOptions:
    if program:
        return InstallOptions(tuple(program))
    found = default_program()
    tray = default_tray_program(found) if target.name == host.name else found
    return InstallOptions(tuple(found), tuple(tray))


def _check_root(root: Path | None) -> Path | None:
    if root is None:
        return None
    if root.exists() and not root.is_dir():
        raise _Stop(ExitCode.USAGE, _("--root {root}: not a directory").format(root=root))
    return root.absolute()


def _check_target(target: Installer, host: Installer, root: Path | None, dry_run: bool) -> None:
    if target.name != host.name and root is None and not dry_run:
        raise _Stop(ExitCode.USAGE, _(
            "this computer runs {host}: for {target}, use --dry-run or --root DIR"
        ).format(host=host.name, target=target.name))


def _apply(plan: Plan, target: Installer, host: Installer, root: Path | None, *, dry_run: bool,
           out: TextIO, runner: Runner | None, manifest: Manifest | None = None) -> bool:
    if root is None and (target.name != host.name or (dry_run and not host.is_admin())):
        # Another OS's files are not here to look at, and a standard account may not read ours.
        out.write(describe(plan))
        return True
    if root is not None and not root.exists():
        # A staging root that is not there yet: made first (with its parents), before any file.
        out.write(_("create {path}/").format(path=root) + "\n")
        if not dry_run:
            try:
                root.mkdir(parents=True)
            except OSError as exc:
                raise _Stop(ExitCode.FAIL, f"{root}: {exc.strerror or exc}") from None
    ok = apply(plan, Path(plan.anchor) if root is None else root, dry_run=dry_run,
               run_commands=root is None, out=out, runner=runner, manifest=manifest,
               chown=target.sets_owners and target.name == host.name and host.is_admin())
    out.writelines(line + "\n" for line in plan.notes)
    return ok


def _prepare(
    os_name: str | None, root: Path | None, dry_run: bool
) -> tuple[Installer, Installer, Path | None]:
    """The target OS's installer, this machine's, and the staging root, all checked."""
    target, host = _faces(os_name)
    staged = _check_root(root)
    _check_target(target, host, staged, dry_run)
    return target, host, staged


def _finish(action: Callable[[], int], err: TextIO | None) -> int:
    try:
        return action()
    except _Stop as stop:
        print(f"playclock: {stop}", file=err or sys.stderr)
        return stop.code
    except ApplyError as exc:
        print(f"playclock: {exc}", file=err or sys.stderr)
        return ExitCode.FAIL


def run_install(root: Path | None, dry_run: bool, os_name: str | None, out: TextIO, *,
                program: Sequence[str] | None = None, runner: Runner | None = None,
                err: TextIO | None = None) -> int:
    """Install the agent service, the tray autostart, config and data dirs; an exit code."""

    def go() -> int:
        target, host, staged = _prepare(os_name, root, dry_run)
        if staged is None and not dry_run and not host.is_admin():
            raise _Stop(ExitCode.FAIL, _("installing needs administrator rights (sudo)"))
        opts = _options(target, host, program)
        if staged is None and target.name == host.name:
            for warning in target.program_warnings(opts.program):
                print(warning, file=err or sys.stderr)
        ok = _apply(target.plan(opts), target, host, staged, dry_run=dry_run, out=out,
                    runner=runner)
        return ExitCode.OK if ok else ExitCode.FAIL

    return _finish(go, err)


def run_uninstall(root: Path | None, dry_run: bool, purge: bool, os_name: str | None,
                  verify_pin: Callable[[], bool], out: TextIO, *,
                  program: Sequence[str] | None = None, runner: Runner | None = None,
                  err: TextIO | None = None) -> int:
    """Check rights and the parent PIN, then remove what the manifest lists; an exit code."""

    def go() -> int:
        target, host, staged = _prepare(os_name, root, dry_run)
        plan = target.uninstall_plan(_options(target, host, program), purge)
        if staged is None and (target.name != host.name or (dry_run and not host.is_admin())):
            out.write(describe(plan))
            return ExitCode.OK
        # Rights first, then the PIN, both before anything is touched.
        if staged is None and not dry_run and not host.is_admin():
            raise _Stop(ExitCode.FAIL, _("uninstalling needs administrator rights (sudo)"))
        manifest_path = target_path(plan, plan.manifest, staged)
        try:
            manifest = Manifest.load(Path(manifest_path))
        except (ManifestError, OSError) as exc:
            raise _Stop(ExitCode.FAIL, _("{path}: cannot read the install manifest ({error})")
                        .format(path=manifest_path, error=exc)) from exc
        if manifest is None:
            raise _Stop(ExitCode.FAIL, _("PlayClock is not installed here ({path} is missing)")
                        .format(path=manifest_path))
        if not dry_run and not verify_pin():
            raise _Stop(ExitCode.FAIL, _("wrong parent PIN: nothing was changed"))
        ok = _apply(plan, target, host, staged, dry_run=dry_run, out=out, runner=runner,
                    manifest=manifest)
        return ExitCode.OK if ok else ExitCode.FAIL

    return _finish(go, err)
