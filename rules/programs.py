"""The program a process really runs when its executable is a loader or an interpreter."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

__all__ = [
    "STRIPPED_SUFFIXES",
    "argfile_names",
    "expand_argfiles",
    "holds_jars",
    "is_interpreted",
    "is_loader",
    "program_of",
    "split_argfile",
    "strip_suffix",
]

# Suffixes dropped from a name before comparing, like ".exe": a script or jar is the program.
STRIPPED_SUFFIXES = (".exe", ".py", ".pyw", ".sh", ".jar", ".pl", ".rb", ".js", ".bat", ".cmd")

_LOADER = re.compile(r"^ld(-linux(-[\w-]+)?|-musl-[\w-]+)?\.so(\.\d+)*$|^ld\.so$")
# Options that take the next argument, per interpreter family.
_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "loader": frozenset(
        {
            "--library-path",
            "--preload",
            "--argv0",
            "--audit",
            "--inhibit-rpath",
            "--glibc-hwcaps-prepend",
            "--glibc-hwcaps-mask",
        }
    ),
    "python": frozenset({"-W", "-X", "--check-hash-based-pycs"}),
    "java": frozenset(
        {
            "-cp",
            "-classpath",
            "--class-path",
            "-p",
            "--module-path",
            "--upgrade-module-path",
            "--add-modules",
            "--limit-modules",
            "--add-exports",
            "--add-opens",
            "--add-reads",
            "--patch-module",
            "--enable-native-access",
            "--source",
        }
    ),
    "node": frozenset(
        {"-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions"}
    ),
    "shell": frozenset({"-o", "-O", "--rcfile", "--init-file"}),
    "perl": frozenset({"-I", "-M", "-m"}),
    "ruby": frozenset({"-I", "-r", "-C", "-E", "--encoding"}),
    "other": frozenset(),
}
# Options after which there is no program file (the code is inline, or a module runs).
_INLINE = {
    "python": frozenset({"-c"}),
    "node": frozenset({"-e", "--eval", "-p", "--print"}),
    "shell": frozenset({"-c"}),
    "perl": frozenset({"-e", "-E"}),
    "ruby": frozenset({"-e"}),
}
_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("python", re.compile(r"^(python|pypy|pythonw)[\d.]*[mdu]?$")),
    ("java", re.compile(r"^(java|javaw)$")),
    ("node", re.compile(r"^(node|nodejs|deno|bun)$")),
    ("shell", re.compile(r"^(ba|da|z|k|mk|fi|tc|c)?sh$|^busybox$")),
    ("perl", re.compile(r"^perl[\d.]*$")),
    ("ruby", re.compile(r"^ruby[\d.]*$")),
    (
        "other",
        re.compile(
            r"^(wine|wine64|wine-preloader|wine64-preloader|mono|mono-sgen|dotnet|php[\d.]*|"
            r"lua[\d.]*|luajit|tclsh[\d.]*|wish[\d.]*|love|pwsh|gjs|osascript|qemu-[\w-]+)$"
        ),
    ),
)


def _base(path: str) -> str:
    """The last component of a POSIX or Windows path, case-folded."""
    return path.replace("\\", "/").rsplit("/", 1)[-1].strip().casefold()


def strip_suffix(name: str) -> str:
    """A base name without a script, jar or .exe suffix ("game.py" -> "game")."""
    for suffix in STRIPPED_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def is_loader(exe: str) -> bool:
    """Whether an executable is the dynamic loader (ld-linux-x86-64.so.2, ld.so...)."""
    return bool(_LOADER.match(_base(exe)))


def _family(exe: str) -> str | None:
    """The interpreter family of an executable, None when it is an ordinary program."""
    if is_loader(exe):
        return "loader"
    base = _base(exe)
    for family, pattern in _FAMILIES:
        if pattern.match(base):
            return family
    return None


def is_interpreted(exe: str, cmdline: Sequence[str]) -> bool:
    """Whether a process runs a loader or interpreter (its executable is not the program)."""
    return _family(exe) is not None or (bool(cmdline) and _family(cmdline[0]) is not None)


def holds_jars(exe: str, cmdline: Sequence[str]) -> bool:
    """Whether a process is a JVM: its program is a jar it opens some time after starting."""
    return _family(exe) == "java" or (bool(cmdline) and _family(cmdline[0]) == "java")


def _java_program(args: Sequence[str]) -> list[str]:
    """The jar (-jar X) or main class, module (-m mod/Class) a java command line runs."""
    values = _VALUE_OPTIONS["java"]
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-jar" and i + 1 < len(args):
            return [args[i + 1]]
        if arg in ("-m", "--module") and i + 1 < len(args):
            return [args[i + 1]]
        if arg in values:
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return [arg]
    return []


def program_of(exe: str, cmdline: Sequence[str]) -> list[str]:
    """What a loader or interpreter process runs (a path, script, jar or Java class), for
    matching names and paths; empty for ordinary programs and inline code."""
    family = _family(exe) or (_family(cmdline[0]) if cmdline else None)
    if family is None or not cmdline:
        return []
    args = list(cmdline[1:])
    if family == "java":
        return _java_program(args)
    values = _VALUE_OPTIONS[family]
    inline = _INLINE.get(family, frozenset())
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return args[i + 1 : i + 2]
        if arg in inline:
            return []
        if family == "python" and arg == "-m":
            return args[i + 1 : i + 2]
        if arg in values:
            i += 2
            continue
        if arg.startswith("-") and len(arg) > 1:
            i += 1
            continue
        return [arg]
    return []


def split_argfile(text: str) -> list[str]:
    """The arguments in a Java @argfile: split on whitespace, with '...' and "..." quoting,
    backslash escapes inside quotes and # comments at the start of a word."""
    out: list[str] = []
    word: list[str] | None = None
    quote = ""
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and i + 1 < n:
                i += 1
                nxt = text[i]
                if nxt in "\r\n":  # a line continuation: skip the following indentation
                    while i + 1 < n and text[i + 1] in " \t\r\n":
                        i += 1
                else:
                    word = word if word is not None else []
                    word.append({"n": "\n", "t": "\t", "r": "\r", "f": "\f"}.get(nxt, nxt))
            else:
                word = word if word is not None else []
                word.append(c)
        elif c in "'\"":
            quote = c
            word = word if word is not None else []
        elif c.isspace():
            if word is not None:
                out.append("".join(word))
                word = None
        elif c == "#" and word is None:
            while i < n and text[i] not in "\r\n":
                i += 1
        else:
            word = word if word is not None else []
            word.append(c)
        i += 1
    if word is not None:
        out.append("".join(word))
    return out


def argfile_names(cmdline: Sequence[str]) -> list[str]:
    """The @file arguments of a Java command line (before the main class, as java reads them)."""
    if not cmdline or _family(cmdline[0]) != "java":
        return []
    return [a[1:] for a in cmdline[1:] if a.startswith("@") and not a.startswith("@@")]


def expand_argfiles(cmdline: Sequence[str], read: Callable[[str], str | None]) -> tuple[str, ...]:
    """The command line with each @file replaced by its arguments; read(path) gives a file's
    text or None (left as it is). Only a java command line is expanded."""
    if not argfile_names(cmdline):
        return tuple(cmdline)
    out = [cmdline[0]]
    for arg in cmdline[1:]:
        if arg.startswith("@@"):
            out.append(arg[1:])
            continue
        text = read(arg[1:]) if arg.startswith("@") else None
        if text is None:
            out.append(arg)
        else:
            out.extend(split_argfile(text))
    return tuple(out)
