"""What can go wrong with the parent PIN."""

from __future__ import annotations

from agent.i18n import _

__all__ = [
    "LockedOut",
    "NotAdmin",
    "PinError",
    "PinFormatError",
    "PinNotSet",
    "PinRequired",
    "PinStoreUnavailable",
    "WrongPin",
    "ceil_seconds",
]


def ceil_seconds(seconds: float) -> int:
    """Whole seconds, rounded up (a wait of 0.2 s is shown as 1 s)."""
    return int(-(-seconds // 1))


class PinError(Exception):
    """Base class of PIN errors; the message is translated and fit for the user."""


class PinFormatError(PinError, ValueError):
    """The PIN does not have an accepted form."""


class PinStoreUnavailable(PinError):
    """There is no safe place for the PIN here (no keyring); the message says what to do."""


class PinNotSet(PinError):
    """No PIN has been set yet."""


class PinRequired(PinError):
    """Changing the PIN needs the current one."""


class WrongPin(PinError):
    """The PIN given was wrong; `seconds_left` is the lockout that now applies."""

    def __init__(self, message: str, failures: int, seconds_left: float) -> None:
        super().__init__(message)
        self.failures = failures
        self.seconds_left = seconds_left


class LockedOut(PinError):
    """Too many wrong tries: no PIN is checked for `seconds` more."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            _("Too many wrong PINs: try again in {seconds} s.").format(
                seconds=ceil_seconds(seconds)
            )
        )
        self.seconds = seconds


class NotAdmin(PinError, PermissionError):
    """Only the machine's administrator may reset a forgotten PIN."""


class LockoutStoreError(PinError):
    """The persisted failure count cannot be read."""
