"""The config file as the agent sees it: loaded, watched, and kept at the last good rules."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from agent.i18n import _
from agent.platform.timezone import UnknownTimezone, resolve_timezone
from rules.config import ConfigError, ConfigIssue, load_text
from rules.model import Config
from rules.presets import example_toml

__all__ = ["ConfigSource", "LoadOutcome", "demo_text", "sha256_hex"]


# Python's own SHA-256 (`_sha2` from 3.12, `_sha256` before), else hashlib's: importing hashlib
# maps OpenSSL's libcrypto (3.4 MiB) into the tray, which reads the rules too (issue 15).
try:
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found, unused-ignore]
except ImportError:
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found, no-redef, unused-ignore]
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[assignment, unused-ignore]


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of the rules' bytes, in hex."""
    return str(_sha256(data).hexdigest())


def demo_text(user: str | None = None) -> str:
    """The built-in demo rules: the shipped example, counted for the current account."""
    account = user or getpass.getuser()
    text = example_toml()
    # The example's first child plays on this machine's account in demo mode.
    return text.replace('accounts = ["an"]', f'accounts = ["{account}"]', 1)


@dataclass(frozen=True)
class LoadOutcome:
    """What a (re)load did: a new config, an error (old rules kept), or nothing."""

    changed: bool
    error: list[ConfigIssue] | None = None
    external: bool = False  # changed by someone other than the agent


class ConfigSource:
    """Loads rules from a file (or the demo), and reloads them when the file changes."""

    def __init__(
        self, path: Path | None, demo_user: str | None = None, save_path: Path | None = None
    ) -> None:
        self.path = path
        self.save_path = path or save_path
        self.demo = path is None
        self.written: str | None = None  # the hash of the last text the agent wrote itself
        self._demo_user = demo_user
        self._signature: tuple[int, int, str] | None = None
        self.config: Config | None = None
        self.error: list[ConfigIssue] | None = None

    @property
    def name(self) -> str:
        """The file's name for messages, or "(demo)"."""
        return str(self.path) if self.path else _("(built-in demo rules)")

    def _stat(self) -> tuple[int, int] | None:
        assert self.path is not None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def load(self) -> LoadOutcome:
        """Read the file (or the demo); on error keep the last good config."""
        if self.path is None:
            if self.config is None:
                self.config = load_text(demo_text(self._demo_user), "demo.toml")
                return LoadOutcome(True)
            return LoadOutcome(False)
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            issue = ConfigIssue(str(self.path), 1, "file", "{error}", {"error": exc.strerror})
            if self.error == [issue]:
                return LoadOutcome(False)  # still missing: reported once, not at every poll
            return self._fail([issue], None)
        digest = sha256_hex(data)
        stat = self._stat() or (0, 0)
        signature = (stat[0], stat[1], digest)
        if self._signature is not None and signature[2] == self._signature[2]:
            self._signature = signature
            return LoadOutcome(False)
        try:
            config = load_text(data.decode("utf-8"), str(self.path))
        except UnicodeDecodeError:
            issue = ConfigIssue(str(self.path), 1, "file", "the file is not UTF-8 text")
            return self._fail([issue], signature)
        except ConfigError as exc:
            return self._fail(exc.issues, signature)
        try:
            resolve_timezone(config.settings.timezone)
        except UnknownTimezone:
            line = next(
                (
                    i
                    for i, text in enumerate(data.decode("utf-8").splitlines(), 1)
                    if text.strip().startswith("timezone")
                ),
                1,
            )
            issue = ConfigIssue(
                str(self.path),
                line,
                "settings.timezone",
                "unknown time zone {value!r}; use an IANA name such as "
                '"Asia/Ho_Chi_Minh", or "auto"',
                {"value": config.settings.timezone},
            )
            return self._fail([issue], signature)
        self.config, self.error, self._signature = config, None, signature
        return LoadOutcome(True, external=digest != self.written)

    def _fail(
        self, issues: list[ConfigIssue], signature: tuple[int, int, str] | None
    ) -> LoadOutcome:
        self.error = issues
        self._signature = signature
        return LoadOutcome(False, issues)

    def save(self, text: str) -> Path:
        """Validate and atomically write new rules (keeping a .bak), then load them."""
        target = self.save_path
        if target is None:
            raise OSError(_("there is no file to save the rules to"))
        load_text(text, str(target))  # raises ConfigError: never write a broken file
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            backup = target.with_suffix(target.suffix + ".bak")
            backup.write_bytes(target.read_bytes())
        tmp = target.with_name(f".{target.name}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, os.stat(target).st_mode & 0o777)
        os.replace(tmp, target)
        self.written = sha256_hex(text.encode())
        self.path, self.demo = target, False
        self.load()
        return target

    def poll(self) -> LoadOutcome:
        """Reload when the file's time or size changed; cheap enough for every tick."""
        if self.path is None:
            return LoadOutcome(False)
        stat = self._stat()
        if self._signature is not None and stat == self._signature[:2]:
            return LoadOutcome(False)
        return self.load()
