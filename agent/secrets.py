"""Secrets (the PIN hash, later the sync token) kept in a keyring backend, never in plaintext.

Backends, chosen through keyring's own configuration (`PYTHON_KEYRING_BACKEND` or the
`default-keyring` entry of `keyringrc.cfg`, see `python -m keyring diagnose`):

- desktops: the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service);
- the Linux system service, which has no desktop session:
  `PYTHON_KEYRING_BACKEND=agent.secrets.RootFileKeyring`, a JSON file in a directory that
  only the service account (root) can read: dir 0700, file 0600, both owned by the
  effective user; any other mode or owner is refused, never repaired.

`open_store` refuses keyring's fail/null backends and every keyrings.alt backend (its
Plaintext keyring only base64-encodes), so a secret never lands in a readable file.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets as _random
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.compat import properties
from keyring.errors import InitError, KeyringError, PasswordDeleteError, PasswordSetError

from agent.i18n import _

try:
    import fcntl
except ImportError:  # Windows: the atomic rename is all we rely on there
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_SECRETS_DIR",
    "SECRETS_DIR_ENV",
    "SERVICE",
    "MemoryKeyring",
    "NoSecureKeyringError",
    "RootFileKeyring",
    "SecretStore",
    "SecretStoreError",
    "UnsafeSecretsFileError",
    "atomic_write",
    "insecure_reason",
    "open_store",
]

SERVICE = "playclock"
SECRETS_DIR_ENV = "PLAYCLOCK_SECRETS_DIR"
# FHS state directory: platformdirs' site data dir (/usr/share) is for read-only data.
DEFAULT_SECRETS_DIR = Path("/var/lib/playclock/secrets")
_FILE_NAME = "keyring.json"
_LOCK_NAME = ".lock"
# Below fail.Keyring (0) and outside the chainer (> 0): used only when configured.
_UNPICKABLE = -10.0


def _backend_errors() -> tuple[type[BaseException], ...]:
    """Exception types that backends and their D-Bus / OS layers raise."""
    found: list[type[BaseException]] = [KeyringError, OSError]
    with contextlib.suppress(ImportError):
        from secretstorage.exceptions import SecretStorageException

        found.append(SecretStorageException)
    with contextlib.suppress(ImportError):
        from jeepney.wrappers import DBusErrorResponse

        found.append(DBusErrorResponse)
    with contextlib.suppress(ImportError):
        from dbus.exceptions import DBusException

        found.append(DBusException)
    with contextlib.suppress(ImportError):
        from pywintypes import error as PyWinError

        found.append(PyWinError)
    return tuple(found)


_BACKEND_ERRORS = _backend_errors()
# Loading a configured backend runs its import and its `priority` check.
_LOAD_ERRORS: tuple[type[BaseException], ...] = (
    ImportError,
    AttributeError,
    RuntimeError,
    ValueError,
    *_BACKEND_ERRORS,
)


class SecretStoreError(Exception):
    """A secret could not be read, written or deleted."""


class NoSecureKeyringError(SecretStoreError):
    """No keyring backend that keeps secrets safe is available."""


class UnsafeSecretsFileError(InitError):
    """The secrets file or directory has a mode or owner that others could exploit."""


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace a file's content all at once: temporary file, fsync, rename, fsync the dir."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{_random.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags | getattr(os, "O_BINARY", 0), mode)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)  # the umask may have cleared bits we asked for
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if os.name == "posix":
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


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
        """Never picked automatically; refused where file modes mean nothing."""
        if os.name != "posix":
            raise RuntimeError("RootFileKeyring needs POSIX file permissions")
        return _UNPICKABLE

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
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
        return secrets

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


class MemoryKeyring(KeyringBackend):
    """Secrets in a dict, for tests; never picked automatically."""

    @properties.classproperty
    def priority(cls) -> float:
        """Never picked automatically."""
        return _UNPICKABLE

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        """The secret stored for (service, username), or None."""
        with self._lock:
            return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret."""
        with self._lock:
            self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Remove a secret; PasswordDeleteError when there is none."""
        with self._lock:
            if self._items.pop((service, username), None) is None:
                raise PasswordDeleteError(_("No such secret."))


def insecure_reason(backend: KeyringBackend) -> str | None:
    """Why a backend must not hold our secrets, or None when it may."""
    if isinstance(backend, fail.Keyring):
        return _("no keyring backend is available")
    if isinstance(backend, null.Keyring):
        return _("the null keyring stores nothing")
    for cls in type(backend).__mro__:
        # keyrings.alt: its own docs discourage production use; Plaintext is base64 only.
        if cls.__module__.startswith("keyrings.alt") or "plaintext" in cls.__name__.lower():
            return _("{name} does not keep secrets safe").format(
                name=f"{cls.__module__}.{cls.__name__}"
            )
    return None


def _secure_backend(backend: KeyringBackend) -> KeyringBackend:
    """The backend itself, or a chainer's best safe member; NoSecureKeyringError otherwise."""
    if isinstance(backend, chainer.ChainerBackend):
        members: list[KeyringBackend] = list(backend.backends)
        reasons = [r for r in map(insecure_reason, members) if r]
        safe = [m for m in members if insecure_reason(m) is None]
        if safe:
            # Pinning one member: the chainer would fall through to an unsafe one on errors.
            return safe[0]
        raise NoSecureKeyringError(_no_keyring_message("; ".join(reasons) or None))
    reason = insecure_reason(backend)
    if reason is not None:
        raise NoSecureKeyringError(_no_keyring_message(reason))
    return backend


def _no_keyring_message(reason: str | None) -> str:
    """The one clear message saying what to install or configure."""
    return _(
        "No secure keyring for PlayClock's secrets ({reason}). On a desktop, use the OS "
        "keyring (Windows Credential Manager, macOS Keychain, or a Secret Service such as "
        "gnome-keyring or KWallet with the SecretStorage package). For the Linux system "
        "service, set PYTHON_KEYRING_BACKEND=agent.secrets.RootFileKeyring (or "
        "default-keyring in keyringrc.cfg). Do not use keyrings.alt."
    ).format(reason=reason or _("none found"))


class SecretStore:
    """Named secrets of one service in a keyring backend, with our own errors."""

    def __init__(self, backend: KeyringBackend, service: str = SERVICE) -> None:
        self.backend = backend
        self.service = service

    def __repr__(self) -> str:
        return f"SecretStore({type(self.backend).__name__}, service={self.service!r})"

    def get(self, name: str) -> str | None:
        """The secret, or None when there is none."""
        with self._errors(_("Could not read the secret {name!r} ({backend}): {error}"), name):
            return self.backend.get_password(self.service, name)

    def set(self, name: str, value: str) -> None:
        """Store or replace a secret."""
        with self._errors(_("Could not store the secret {name!r} ({backend}): {error}"), name):
            self.backend.set_password(self.service, name, value)

    def delete(self, name: str) -> None:
        """Remove a secret; nothing happens when there is none."""
        with self._errors(_("Could not delete the secret {name!r} ({backend}): {error}"), name):
            try:
                self.backend.delete_password(self.service, name)
            except PasswordDeleteError:
                if self.backend.get_password(self.service, name) is not None:
                    raise

    @contextlib.contextmanager
    def _errors(self, message: str, name: str) -> Iterator[None]:
        """Turn backend and D-Bus errors into SecretStoreError."""
        try:
            yield
        except _BACKEND_ERRORS as exc:
            backend = f"{type(self.backend).__module__}.{type(self.backend).__qualname__}"
            text = message.format(name=name, backend=backend, error=str(exc) or type(exc).__name__)
            raise SecretStoreError(text) from exc


def open_store(backend: KeyringBackend | None = None, service: str = SERVICE) -> SecretStore:
    """A store over the given backend or keyring's configured one, refusing unsafe ones."""
    if backend is None:
        configured = os.environ.get("PYTHON_KEYRING_BACKEND")
        try:
            import keyring

            backend = keyring.get_keyring()
        except _LOAD_ERRORS as exc:
            reason = str(exc) or type(exc).__name__
            if configured:
                reason = _("cannot load {name}: {error}").format(name=configured, error=reason)
            raise NoSecureKeyringError(_no_keyring_message(reason)) from exc
    return SecretStore(_secure_backend(backend), service)
