"""Hashing the parent PIN: scrypt with its parameters kept beside the salt and the key.

Stored as `scrypt$n=32768$r=8$p=1$<salt>$<key>` (base64), so a later version can raise
the cost: `needs_rehash` tells, and the PinManager re-hashes after a right PIN.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

__all__ = ["DEFAULT_PARAMS", "ScryptParams", "hash_pin", "needs_rehash", "verify_hash"]

_SALT_BYTES = 16
_KEY_BYTES = 32


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost: n (CPU/memory, a power of 2), r (block size), p (parallelism)."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    def check(self) -> None:
        """Refuse parameters that are malformed or would exhaust memory (a tampered store)."""
        if not (1 < self.n <= 2**20 and self.n & (self.n - 1) == 0):
            raise ValueError(f"scrypt n={self.n} is not a power of 2 in 2..2**20")
        if not (1 <= self.r <= 32 and 1 <= self.p <= 16):
            raise ValueError(f"scrypt r={self.r}, p={self.p} out of range")


DEFAULT_PARAMS = ScryptParams()


def _normal(pin: str) -> bytes:
    """The PIN as bytes, NFC so that composed and decomposed diacritics match."""
    return unicodedata.normalize("NFC", pin).encode("utf-8")


def _derive(pin: str, salt: bytes, params: ScryptParams) -> bytes:
    """The scrypt key for a PIN."""
    maxmem = 128 * params.r * (params.n + params.p + 2) + 2**20
    return hashlib.scrypt(
        _normal(pin), salt=salt, n=params.n, r=params.r, p=params.p, maxmem=maxmem, dklen=_KEY_BYTES
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def hash_pin(pin: str, params: ScryptParams = DEFAULT_PARAMS) -> str:
    """A self-describing salted scrypt hash of the PIN."""
    params.check()
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(pin, salt, params)
    return f"scrypt$n={params.n}$r={params.r}$p={params.p}${_b64(salt)}${_b64(key)}"


def _parse(stored: str) -> tuple[ScryptParams, bytes, bytes]:
    """Parameters, salt and key of a stored hash; ValueError when malformed."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError("not a scrypt PIN hash")
    values: dict[str, int] = {}
    for part, want in zip(parts[1:4], ("n", "r", "p"), strict=True):
        label, sep, value = part.partition("=")
        if label != want or not sep or not value.isascii() or not value.isdigit():
            raise ValueError(f"bad scrypt parameter {part!r}")
        values[label] = int(value)
    params = ScryptParams(**values)
    params.check()
    try:
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except ValueError as exc:
        raise ValueError("bad base64 in PIN hash") from exc
    if len(salt) < _SALT_BYTES or len(key) != _KEY_BYTES:
        raise ValueError("bad salt or key length in PIN hash")
    return params, salt, key


def verify_hash(pin: str, stored: str) -> bool:
    """Whether the PIN matches a stored hash (constant-time compare); ValueError if malformed."""
    params, salt, key = _parse(stored)
    return hmac.compare_digest(_derive(pin, salt, params), key)


def needs_rehash(stored: str, params: ScryptParams = DEFAULT_PARAMS) -> bool:
    """Whether a stored hash is malformed or cheaper than the current parameters."""
    try:
        have, _salt, _key = _parse(stored)
    except ValueError:
        return True
    return have.n < params.n or have.r < params.r or have.p < params.p
