"""Template loading and filling, quoting for each file format, and the default program."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from agent.security.root_keyring import RootFileKeyring
from installer import templates

__all__ = [
    "KEYRING_BACKEND",
    "default_program",
    "default_tray_program",
    "desktop_exec",
    "fill",
    "plist_strings",
    "starter_rules",
    "systemd_exec",
    "template",
    "windows_args",
    "xml_escape",
]

KEYRING_BACKEND = f"{RootFileKeyring.__module__}.{RootFileKeyring.__qualname__}"

_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
_SYSTEMD_PLAIN = re.compile(r"[A-Za-z0-9_./:=+,@-]+")
_DESKTOP_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def template(name: str) -> str:
    """The text of a file in `installer/templates/`."""
    return resources.files(templates).joinpath(name).read_text(encoding="utf-8")


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace every `@NAME@` with its value; a placeholder without a value is a bug."""
    missing = sorted(set(_PLACEHOLDER.findall(text)) - set(values))
    if missing:
        raise KeyError(f"template values missing: {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def starter_rules() -> str:
    """The rules.toml a fresh install writes; parents are told to edit it."""
    return template("rules.toml")


def systemd_exec(argv: Sequence[str]) -> str:
    """A command line for `ExecStart=`, quoted and with `%` and `$` escaped."""
    parts = []
    for arg in argv:
        arg = arg.replace("%", "%%").replace("$", "$$")
        if not _SYSTEMD_PLAIN.fullmatch(arg):
            arg = '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(arg)
    return " ".join(parts)


def desktop_exec(argv: Sequence[str]) -> str:
    """A value for a .desktop `Exec=` key (Desktop Entry Specification quoting)."""
    parts = []
    for arg in argv:
        if any(ch in _DESKTOP_RESERVED for ch in arg):
            inner = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
            arg = f'"{inner}"'
        # Field codes use %, and the key's string value is itself backslash-escaped.
        parts.append(arg.replace("%", "%%").replace("\\", "\\\\"))
    return " ".join(parts)


def plist_strings(argv: Sequence[str], indent: str = "\t\t") -> str:
    """`<string>` lines for a plist array."""
    return "\n".join(f"{indent}<string>{xml_escape(arg)}</string>" for arg in argv)


def windows_args(argv: Sequence[str]) -> str:
    """A Windows command line for these arguments (MSVC runtime quoting)."""
    return subprocess.list2cmdline(list(argv))


def default_program() -> list[str]:
    """How to start PlayClock here: the `playclock` script, else this Python with `-m playclock`."""
    found = shutil.which("playclock")
    if found:
        return [str(Path(found).resolve())]
    return [sys.executable, "-m", "playclock"]


def default_tray_program(program: Sequence[str]) -> list[str]:
    """The tray's launcher: on Windows prefer pythonw.exe, so no console window opens at logon."""
    pythonw = Path(sys.executable).with_name("pythonw.exe")
    if pythonw.is_file():
        return [str(pythonw), "-m", "playclock"]
    return list(program)
