"""Service and autostart set-up: one installer face per OS, chosen once."""

from __future__ import annotations

from agent import platform as _platform
from installer.base import Command, DirSpec, FileSpec, Installer, InstallOptions, Plan, describe
from installer.install_flow import run_install, run_uninstall

__all__ = [
    "HOST_OS",
    "OS_NAMES",
    "Command",
    "DirSpec",
    "FileSpec",
    "InstallOptions",
    "Installer",
    "Plan",
    "describe",
    "for_os",
    "run_install",
    "run_uninstall",
]

OS_NAMES = ("linux", "windows", "macos")
# The platform face knows which OS this is; "other" POSIX systems get the Linux layout.
HOST_OS = {"windows": "windows", "macos": "macos"}.get(_platform.current().capabilities.os, "linux")


def for_os(name: str | None = None) -> Installer:
    """The installer for an OS ("linux", "windows", "macos"), by default this computer's."""
    from installer.linux import LinuxInstaller
    from installer.macos import MacInstaller
    from installer.windows import WindowsInstaller

    faces: dict[str, type[Installer]] = {
        "linux": LinuxInstaller, "windows": WindowsInstaller, "macos": MacInstaller,
    }
    key = HOST_OS if name is None else name
    if key not in faces:
        raise ValueError(f"unknown OS {name!r}: expected one of {', '.join(OS_NAMES)}")
    return faces[key]()
