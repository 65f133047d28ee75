"""Password KDF, bearer tokens, pairing codes and DB-backed rate limiting for the hub."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from sync.hub.db import rate_limit_hit
from sync.hub.models import RateLimit

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "DEVICE_TOKEN_PREFIX",
    "SESSION_TOKEN_PREFIX",
    "Limit",
    "RateLimiter",
    "ScryptParams",
    "digest",
    "hash_password",
    "new_pairing_code",
    "new_token",
    "normalize_code",
    "verify_password",
]

SESSION_TOKEN_PREFIX = "pcs_"
DEVICE_TOKEN_PREFIX = "pcd_"
# Crockford base32: no I, L, O, U, so a code read aloud or typed from a screen survives.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
_CODE_FIXUPS = str.maketrans({"O": "0", "I": "1", "L": "1"})


@dataclass(frozen=True)
class ScryptParams:
    """Cost parameters of hashlib.scrypt; stored next to every hash."""

    n: int = 2**15
    r: int = 8
    p: int = 1
    dklen: int = 32

    @property
    def maxmem(self) -> int:
        """Memory bound handed to OpenSSL: what these parameters need, plus slack."""
        return 128 * self.r * self.n * self.p + 128 * self.r * 2 + 1024 * 1024


def _scrypt(password: str, salt: bytes, params: ScryptParams) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        dklen=params.dklen,
        maxmem=params.maxmem,
    )


def hash_password(password: str, params: ScryptParams | None = None) -> str:
    """Hash a password as `scrypt$n=..,r=..,p=..$salt$hash` (base64, no padding)."""
    params = params or ScryptParams()
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, params)
    return f"scrypt$n={params.n},r={params.r},p={params.p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """True when the password matches the stored hash; False for any malformed hash."""
    try:
        scheme, param_text, salt_text, key_text = stored.split("$")
        fields = dict(item.split("=", 1) for item in param_text.split(","))
        key = _unb64(key_text)
        params = ScryptParams(int(fields["n"]), int(fields["r"]), int(fields["p"]), len(key))
        salt = _unb64(salt_text)
    except (ValueError, KeyError):
        return False
    if scheme != "scrypt" or params.n > 2**20 or params.r > 32 or params.p > 16:
        return False
    candidate = _scrypt(password, salt, params)
    return hmac.compare_digest(candidate, key)


def new_token(prefix: str) -> str:
    """A fresh bearer token: prefix plus 256 random bits."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 hex of a token or code: the only form the database ever holds."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_pairing_code() -> str:
    """A random 8-character pairing code (40 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """Canonical form of a typed code: upper case, no spaces or dashes, O->0, I/L->1."""
    return text.strip().upper().replace("-", "").replace(" ", "").translate(_CODE_FIXUPS)


@dataclass(frozen=True)
class Limit:
    """At most `attempts` counted events per `window` for one key."""

    attempts: int
    window: timedelta


class RateLimiter:
    """Fixed-window attempt counters in the `rate_limits` table, shared by every hub process."""

    def __init__(self, prefix: str, limit: Limit) -> None:
        self.prefix = prefix
        self.limit = limit

    def key(self, *parts: str) -> str:
        """The row key for these parts (IP, account ...), bounded in length."""
        return f"{self.prefix}:{digest(chr(31).join(parts))}"

    def attempt(self, session: Session, key: str, now: datetime) -> int | None:
        """Count an attempt; None when allowed, else the seconds to wait (for Retry-After).

        Counting before the check is one atomic upsert, so parallel attempts cannot all
        slip through while a slow password check runs.
        """
        count, window_start = rate_limit_hit(session, key, now, self.limit.window)
        if count <= self.limit.attempts:
            return None
        left = (window_start + self.limit.window - now).total_seconds()
        return max(1, math.ceil(left))

    def refund(self, session: Session, key: str) -> None:
        """Uncount one attempt (it succeeded and must not count as a failure)."""
        session.execute(
            update(RateLimit)
            .where(RateLimit.key == key, RateLimit.count > 0)
            .values(count=RateLimit.count - 1)
        )

    def reset(self, session: Session, key: str) -> None:
        """Forget the key (after a successful login)."""
        session.execute(delete(RateLimit).where(RateLimit.key == key))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
