"""Parent sessions: short-lived tokens given for a right PIN, each with its CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["SESSION_SECONDS", "RateLimiter", "Session", "Sessions"]

SESSION_SECONDS = 15 * 60


@dataclass(frozen=True)
class Session:
    """A parent session: the token is shown once; only its hash is kept."""

    token: str
    csrf: str
    expires: float


class Sessions:
    """Issued tokens by SHA-256, expiring after SESSION_SECONDS."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, lifetime: float = SESSION_SECONDS
    ) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._by_hash: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def issue(self) -> Session:
        """A new session token and CSRF token."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        expires = self._clock() + self._lifetime
        with self._lock:
            self._by_hash[self._hash(token)] = (csrf, expires)
        return Session(token, csrf, expires)

    def check(self, token: str | None) -> str | None:
        """The session's CSRF token when the token is valid and fresh, else None."""
        if not token:
            return None
        now = self._clock()
        with self._lock:
            for key in [k for k, (_, exp) in self._by_hash.items() if exp <= now]:
                del self._by_hash[key]
            found = self._by_hash.get(self._hash(token))
        return found[0] if found else None

    def csrf_ok(self, token: str | None, csrf: str | None) -> bool:
        """Whether a cookie session's CSRF token matches (constant time)."""
        expected = self.check(token)
        return bool(expected and csrf and hmac.compare_digest(expected, csrf))

    def revoke(self, token: str | None) -> None:
        """End a session."""
        if token:
            with self._lock:
                self._by_hash.pop(self._hash(token), None)

    def revoke_all(self) -> None:
        """End every session (after a PIN change)."""
        with self._lock:
            self._by_hash.clear()


class RateLimiter:
    """At most `count` events per `per` seconds for each key (a sliding window).

    At most `max_keys` keys are remembered: past that, keys whose window is over are forgotten,
    then the oldest, so that a flood of new keys cannot grow the table without end.
    """

    def __init__(
        self,
        count: int,
        per: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 1024,
    ) -> None:
        self._count, self._per, self._clock = count, per, clock
        self._max_keys = max_keys
        self._hits: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record a hit; False when the key is over its rate."""
        now = self._clock()
        with self._lock:
            hits = [t for t in self._hits.get(key, []) if t > now - self._per]
            if len(hits) >= self._count:
                self._hits[key] = hits
                return False
            hits.append(now)
            self._hits.pop(key, None)  # re-inserted last: the dict stays oldest first
            self._hits[key] = hits
            if len(self._hits) > self._max_keys:
                self._forget(now)
            return True

    def _forget(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if hits[-1] <= now - self._per]:
            del self._hits[key]
        while len(self._hits) > self._max_keys:
            del self._hits[next(iter(self._hits))]

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._hits)
