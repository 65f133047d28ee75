"""Finding the line of a field path in TOML text (tomllib keeps no positions)."""

from __future__ import annotations

import re

__all__ = ["Locator"]

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]")
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_INDEX = re.compile(r"\[\d+\]$")


def _split_dotted(text: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


class Locator:
    """Maps field paths like `child[0].limits.games.daily` to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        counts: dict[str, int] = {}
        table = ""
        in_multiline = False
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                in_multiline = (line.count('"""') + line.count("'''")) % 2 == 0
                continue
            if m := _ARRAY_HEADER.match(line):
                name = ".".join(_split_dotted(m.group(1)))
                counts[name] = counts.get(name, -1) + 1
                table = self._resolve(name, counts)
                self.lines.setdefault(table, number)
                continue
            if m := _HEADER.match(line):
                table = self._resolve(".".join(_split_dotted(m.group(1))), counts)
                self.lines.setdefault(table, number)
                continue
            if m := _KEY.match(line):
                key = ".".join(_split_dotted(m.group(1)))
                path = f"{table}.{key}" if table else key
                self.lines.setdefault(path, number)
                rest = line[m.end() :]
                if rest.count('"""') % 2 == 1 or rest.count("'''") % 2 == 1:
                    in_multiline = True

    @staticmethod
    def _resolve(name: str, counts: dict[str, int]) -> str:
        """Add array indexes: `child.limits.games` -> `child[1].limits.games`."""
        parts = name.split(".")
        out: list[str] = []
        for i, part in enumerate(parts):
            prefix = ".".join(parts[: i + 1])
            out.append(f"{part}[{counts[prefix]}]" if prefix in counts else part)
        return ".".join(out)

    def line(self, path: str) -> int:
        """The line where a path (or its nearest written parent) stands; 1 when unknown."""
        probe = path
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            if _INDEX.search(probe):
                probe = _INDEX.sub("", probe)
                continue
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        return 1
