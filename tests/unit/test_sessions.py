"""Parent sessions (tokens kept as SHA-256, expiry, revocation, CSRF) and the rate limiter."""

from __future__ import annotations

import hashlib
import threading

import pytest

from agent.security import api_sessions
from agent.security.api_sessions import SESSION_SECONDS, RateLimiter, Sessions


class FakeClock:
    """A monotonic clock moved by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """A hand-moved clock."""
    return FakeClock()


@pytest.fixture
def sessions(clock: FakeClock) -> Sessions:
    """Sessions on the fake clock."""
    return Sessions(clock=clock)


def test_session_lifetime_is_15_minutes() -> None:
    """The product's session lifetime."""
    assert SESSION_SECONDS == 15 * 60


def test_issue_gives_distinct_random_tokens(sessions: Sessions, clock: FakeClock) -> None:
    """Each session has its own long token and CSRF token, and an expiry 15 minutes ahead."""
    issued = [sessions.issue() for _ in range(50)]
    tokens = {s.token for s in issued} | {s.csrf for s in issued}
    assert len(tokens) == 100
    assert all(len(s.token) >= 40 and len(s.csrf) >= 30 for s in issued)
    assert {s.expires for s in issued} == {clock.now + SESSION_SECONDS}


def test_check_returns_the_csrf_token_of_a_valid_session(sessions: Sessions) -> None:
    """A fresh token checks out and yields its own CSRF token."""
    one, two = sessions.issue(), sessions.issue()
    assert sessions.check(one.token) == one.csrf
    assert sessions.check(two.token) == two.csrf


@pytest.mark.parametrize("token", [None, "", "nope", "x" * 43])
def test_check_refuses_unknown_tokens(sessions: Sessions, token: str | None) -> None:
    """Missing, empty or never-issued tokens are not sessions."""
    sessions.issue()
    assert sessions.check(token) is None


def test_only_the_hash_of_a_token_is_kept(sessions: Sessions) -> None:
    """The token itself is not stored; its SHA-256 is."""
    session = sessions.issue()
    kept = sessions._by_hash
    assert list(kept) == [hashlib.sha256(session.token.encode()).hexdigest()]
    assert session.token not in repr(vars(sessions))
    assert sessions.check(hashlib.sha256(session.token.encode()).hexdigest()) is None


@pytest.mark.parametrize(
    ("after", "valid"),
    [(0, True), (SESSION_SECONDS - 0.001, True), (SESSION_SECONDS, False), (10**6, False)],
)
def test_sessions_expire(sessions: Sessions, clock: FakeClock, after: float, valid: bool) -> None:
    """A token is good for exactly its lifetime."""
    session = sessions.issue()
    clock.now += after
    assert (sessions.check(session.token) is not None) is valid
    assert sessions.csrf_ok(session.token, session.csrf) is valid


def test_an_expired_session_stays_expired(sessions: Sessions, clock: FakeClock) -> None:
    """Expired sessions are dropped, so turning the clock back does not revive them."""
    session = sessions.issue()
    clock.now += SESSION_SECONDS
    assert sessions.check(session.token) is None
    clock.now -= SESSION_SECONDS
    assert sessions.check(session.token) is None


def test_lifetime_can_be_chosen(clock: FakeClock) -> None:
    """A shorter lifetime is honoured."""
    short = Sessions(clock=clock, lifetime=5)
    session = short.issue()
    clock.now += 4.9
    assert short.check(session.token)
    clock.now += 0.1
    assert not short.check(session.token)


def test_revoke_ends_one_session(sessions: Sessions) -> None:
    """Revoking a token ends it and leaves others alone; unknown or no token is harmless."""
    one, two = sessions.issue(), sessions.issue()
    sessions.revoke(one.token)
    sessions.revoke(None)
    sessions.revoke("never-issued")
    assert sessions.check(one.token) is None
    assert sessions.check(two.token) == two.csrf


def test_revoke_all_ends_every_session(sessions: Sessions) -> None:
    """After a PIN change no earlier session works; new ones do."""
    issued = [sessions.issue() for _ in range(3)]
    sessions.revoke_all()
    assert [sessions.check(s.token) for s in issued] == [None, None, None]
    fresh = sessions.issue()
    assert sessions.check(fresh.token) == fresh.csrf


def test_csrf_ok_needs_the_sessions_own_csrf_token(sessions: Sessions) -> None:
    """Right pair: yes; wrong, missing or another session's CSRF token, or no cookie: no."""
    one, two = sessions.issue(), sessions.issue()
    cases = [
        ((one.token, one.csrf), True),
        ((one.token, two.csrf), False),
        ((one.token, None), False),
        ((one.token, ""), False),
        ((one.token, one.csrf[:-1]), False),
        ((None, one.csrf), False),
        (("forged", one.csrf), False),
    ]
    assert [sessions.csrf_ok(*args) for args, _ in cases] == [want for _, want in cases]


def test_csrf_compare_is_constant_time(sessions: Sessions, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSRF token is compared with hmac.compare_digest, not ==."""
    calls: list[tuple[str, str]] = []
    real = api_sessions.hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(api_sessions.hmac, "compare_digest", spy)
    session = sessions.issue()
    assert sessions.csrf_ok(session.token, "guess") is False
    assert sessions.csrf_ok(session.token, session.csrf) is True
    assert calls == [(session.csrf, "guess"), (session.csrf, session.csrf)]


def test_sessions_are_thread_safe(sessions: Sessions) -> None:
    """Issuing and checking from many threads loses no session."""
    found: list[bool] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(50):
            s = sessions.issue()
            ok = sessions.check(s.token) == s.csrf
            with lock:
                found.append(ok)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(found) == 400 and all(found)


# -- RateLimiter ----------------------------------------------------------------------------


def test_rate_limiter_allows_count_per_window(clock: FakeClock) -> None:
    """Three in ten minutes, then no until the first one is ten minutes old."""
    limiter = RateLimiter(3, 600, clock=clock)
    timeline = [(0, True), (1, True), (2, True), (3, False), (599.9, False), (600, True)]
    got = []
    for at, _want in timeline:
        clock.now = 1000.0 + at
        got.append(limiter.allow("an"))
    assert got == [want for _, want in timeline]


def test_rate_limiter_window_slides(clock: FakeClock) -> None:
    """Each hit leaves the window on its own; refused tries are not counted."""
    limiter = RateLimiter(2, 10, clock=clock)
    start = clock.now
    steps = [(0, True), (5, True), (6, False), (9.9, False), (10, True), (14.9, False), (15, True)]
    got = []
    for at, _want in steps:
        clock.now = start + at
        got.append(limiter.allow("k"))
    assert got == [want for _, want in steps]


def test_rate_limiter_keys_are_separate(clock: FakeClock) -> None:
    """One child's requests do not use up another's."""
    limiter = RateLimiter(1, 60, clock=clock)
    assert [limiter.allow(k) for k in ("an", "binh", "an", "binh")] == [True, True, False, False]


def test_rate_limiter_is_exact_under_threads(clock: FakeClock) -> None:
    """Concurrent hits never let more than `count` through."""
    limiter = RateLimiter(5, 60, clock=clock)
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def hit() -> None:
        barrier.wait(5)
        ok = limiter.allow("same")
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == [False] * 15 + [True] * 5
