"""Secrets (the PIN hash, later the sync token) kept in a keyring backend, never in plaintext.

Backends, chosen through keyring's own configuration (`PYTHON_KEYRING_BACKEND` or the
`default-keyring` entry of `keyringrc.cfg`, see `python -m keyring diagnose`):

- desktops: the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service);
- the Linux system service, which has no desktop session, and any root run:
  `agent.security.root_keyring.RootFileKeyring`, a JSON file in a directory that
  only the service account (root) can read: dir 0700, file 0600, both owned by the
  effective user; any other mode or owner is refused, never repaired. It is registered
  through keyring's `keyring.backends` entry point and keyring picks it by itself for
  root on Linux (its priority is viable nowhere else).

`open_store` refuses keyring's fail/null backends and every keyrings.alt backend (its
Plaintext keyring only base64-encodes), so a secret never lands in a readable file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringError, PasswordDeleteError

from agent.i18n import _
from agent.security.root_keyring import RootFileKeyring

try:
    import fcntl
except ImportError:  # Windows: the atomic rename is all we rely on there
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "SERVICE",
    "NoSecureKeyringError",
    "RootFileKeyring",
    "SecretStore",
    "SecretStoreError",
    "insecure_reason",
    "open_store",
]

SERVICE = "playclock"
# Below fail.Keyring (0) and outside the chainer (> 0): used only when configured.


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
    """The one clear message: what is missing, and how to fix it."""
    return _(
        "PlayClock has no safe place for the parent PIN ({reason}). To fix it, either run "
        "PlayClock as root (as the installed service does: sudo playclock install, or "
        "sudo playclock run), which keeps the PIN in a file only root can read; or use it in "
        "a desktop session with a keyring (gnome-keyring or KWallet on Linux; Windows and "
        "macOS have their own)."
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


def open_store(
    backend: KeyringBackend | None = None,
    service: str = SERVICE,
    *,
    data_dir: Path | None = None,
) -> SecretStore:
    """A store over the given backend or keyring's configured one, refusing unsafe ones.

    With `data_dir`, a root file keyring that was not told where to live (by the keyring
    configuration's own directory, or $PLAYCLOCK_SECRETS_DIR) keeps its file in the agent's
    data directory (`DATA/secrets`), so two agents with their own data never share a PIN.
    """
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
        if data_dir is not None:
            backend = _with_data_dir(backend, data_dir)
    return SecretStore(_secure_backend(backend), service)


def _with_data_dir(backend: KeyringBackend, data_dir: Path) -> KeyringBackend:
    """The configured backend, or a root file keyring in the data directory instead of the
    default one when nothing chose its directory."""
    if os.name != "posix":
        return backend  # the root file keyring exists on POSIX only
    from agent.security.root_keyring import DEFAULT_SECRETS_DIR, SECRETS_DIR_ENV, RootFileKeyring

    if (
        isinstance(backend, RootFileKeyring)
        and not os.environ.get(SECRETS_DIR_ENV)
        and backend.directory == DEFAULT_SECRETS_DIR
    ):
        return RootFileKeyring(data_dir / "secrets")
    return backend
