"""A keyring backend for the service: a root-only 0600 file in a 0700 directory."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import InitError, PasswordDeleteError, PasswordSetError

from agent.i18n import _
from agent.platform.files import atomic_write

UNPICKABLE = -10.0  # a priority with which keyring never picks a backend on its own
ROOT_PRIORITY = 11.0  # for root on Linux: above keyring's chainer (10) and Secret Service (5)

__all__ = [
    "DEFAULT_SECRETS_DIR",
    "ROOT_PRIORITY",
    "SECRETS_DIR_ENV",
    "UNPICKABLE",
    "RootFileKeyring",
    "UnsafeSecretsFileError",
]


SECRETS_DIR_ENV = "PLAYCLOCK_SECRETS_DIR"


# FHS state directory: platformdirs' site data dir (/usr/share) is for read-only data.
DEFAULT_SECRETS_DIR = Path("/var/lib/playclock/secrets")


_FILE_NAME = "keyring.json"


_LOCK_NAME = ".lock"


class UnsafeSecretsFileError(InitError):
    """The secrets file or directory has a mode or owner that others could exploit."""


def _check_private(st: os.stat_result, path: Path, kind: str) -> None:
    """Refuse anything but a private entry of the expected kind owned by us."""
    is_kind = stat.S_ISDIR if kind == "dir" else stat.S_ISREG
    if not is_kind(st.st_mode):
        msg = _("Refusing {path}: it is not a plain {kind} (a symbolic link or other entry).")
        raise UnsafeSecretsFileError(msg.format(path=path, kind=kind))
    if st.st_uid != os.geteuid():
        msg = _("Refusing {path}: it is owned by uid {owner}, not by uid {me}.")
        raise UnsafeSecretsFileError(msg.format(path=path, owner=st.st_uid, me=os.geteuid()))
    if st.st_mode & 0o077:
        msg = _("Refusing {path}: mode {mode:o} lets others in; it must be {want:o}.")
        want = 0o700 if kind == "dir" else 0o600
        raise UnsafeSecretsFileError(
            msg.format(path=path, mode=stat.S_IMODE(st.st_mode), want=want)
        )


def _is_layout(secrets: object) -> bool:
    """Whether a decoded document is {service: {name: secret}} with strings only."""
    return isinstance(secrets, dict) and all(
        isinstance(service, str)
        and isinstance(entries, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items())
        for service, entries in secrets.items()
    )


class RootFileKeyring(KeyringBackend):
    """Secrets in a JSON file that only the agent's account (root) may read or write."""

    @properties.classproperty
    def priority(cls) -> float:
        """First choice for root on Linux (the service, `sudo playclock`); not viable elsewhere.

        Registered through keyring's `keyring.backends` entry point, so root needs no
        PYTHON_KEYRING_BACKEND; above keyring's chainer (10) and Secret Service (5), so a root
        shell that happens to reach a desktop keyring still uses the file the service reads.
        """
        if not sys.platform.startswith("linux"):
            raise RuntimeError("RootFileKeyring is for the Linux service")
        if os.geteuid() != 0:
            raise RuntimeError("RootFileKeyring is for root only")
        return ROOT_PRIORITY

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's base is untyped
        chosen = directory or os.environ.get(SECRETS_DIR_ENV) or DEFAULT_SECRETS_DIR
        self.directory = Path(chosen)
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        """The secrets file."""
        return self.directory / _FILE_NAME

    def get_password(self, service: str, username: str) -> str | None:
        """The secret stored for (service, username), or None."""
        if not self._dir_exists():
            return None
        return self._read().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret, replacing the file atomically."""
        try:
            with self._writing() as data:
                data.setdefault(service, {})[username] = password
        except OSError as exc:
            raise PasswordSetError(str(exc)) from exc

    def delete_password(self, service: str, username: str) -> None:
        """Remove a secret; PasswordDeleteError when there is none."""
        if not self._dir_exists():
            raise PasswordDeleteError(_("No such secret."))
        with self._writing() as data:
            entries = data.get(service, {})
            if username not in entries:
                raise PasswordDeleteError(_("No such secret."))
            del entries[username]
            if not entries:
                del data[service]

    def _dir_exists(self) -> bool:
        """Whether the directory exists (checked to be private when it does)."""
        try:
            st = os.lstat(self.directory)
        except FileNotFoundError:
            return False
        _check_private(st, self.directory, "dir")
        return True

    def _ensure_dir(self) -> None:
        """Create the private directory when missing, or check the existing one."""
        if self._dir_exists():
            return
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.directory, 0o700)
            os.chmod(self.directory, 0o700)
        _check_private(os.lstat(self.directory), self.directory, "dir")

    def _read(self) -> dict[str, dict[str, str]]:
        """The file's content, after checking its mode and owner."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            msg = _("Refusing {path}: {error}")
            raise UnsafeSecretsFileError(msg.format(path=self.path, error=exc)) from exc
        with os.fdopen(fd, "rb") as fh:
            _check_private(os.fstat(fh.fileno()), self.path, "file")
            raw = fh.read()
        try:
            doc = json.loads(raw.decode("utf-8"))
            secrets = doc["secrets"]
            if doc.get("version") != 1 or not _is_layout(secrets):
                raise ValueError("unexpected layout")
        except (ValueError, KeyError, TypeError) as exc:
            msg = _("The secrets file {path} is damaged: {error}")
            raise InitError(msg.format(path=self.path, error=exc)) from exc
        return cast(dict[str, dict[str, str]], secrets)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[dict[str, dict[str, str]]]:
        """Read, let the caller change, and write back, serialised across processes."""
        with self._lock:
            self._ensure_dir()
            lock_fd = os.open(self.directory / _LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if fcntl is not None:
                    fcntl.flock(lock_fd, fcntl.LOCK_EX)
                data = self._read()
                yield data
                doc = {"version": 1, "secrets": data}
                atomic_write(self.path, json.dumps(doc, ensure_ascii=False).encode("utf-8"))
            finally:
                os.close(lock_fd)
