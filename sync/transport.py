"""HTTP to the hub: a requests session with urllib3 retries, timeouts, TLS always verified."""

from __future__ import annotations

import ssl
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, SSLError
from urllib3.response import BaseHTTPResponse
from urllib3.util import Retry

from agent.i18n import _
from agent.platform.peer import is_loopback

__all__ = [
    "DEFAULT_TIMEOUT",
    "RETRY_METHODS",
    "HubConnection",
    "HubError",
    "HubRetry",
    "HubUnavailable",
    "Unauthorized",
    "check_url",
    "hub_retry",
    "new_session",
    "pairing_session",
    "path_part",
    "shown_url",
]

DEFAULT_TIMEOUT = (5.0, 15.0)  # (connect, read) seconds
RETRY_METHODS = frozenset({"GET", "PUT", "POST", "DELETE"})
RETRY_STATUSES = (500, 502, 503, 504)


class HubError(Exception):
    """The hub answered with an error: its HTTP status, stable code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class HubUnavailable(HubError):
    """The hub could not be reached, timed out, or kept failing (5xx, 429) after retries."""


class Unauthorized(HubError):
    """The device token is wrong or revoked: this device is no longer paired."""


def _cert_failure(error: BaseException) -> bool:
    """Whether a TLS error is a failed certificate check (anywhere in its chain)."""
    seen: BaseException | None = error
    for _depth in range(6):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError) or any(
            isinstance(a, ssl.SSLCertVerificationError) for a in seen.args
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class HubRetry(Retry):
    """urllib3's Retry, except that a certificate that fails verification is not retried."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> HubRetry:
        """The next state, or MaxRetryError at once for a TLS failure (retrying cannot help)."""
        if isinstance(error, SSLError) and _cert_failure(error):
            raise MaxRetryError(_pool, url or "", error) from error  # type: ignore[arg-type]
        return super().increment(method, url, response, error, _pool, _stacktrace)


def hub_retry(
    total: int = 5, backoff_factor: float = 0.5, backoff_jitter: float = 0.5
) -> Retry:
    """Retries for every call: a full-day PUT with a revision, acks and requests are idempotent."""
    return HubRetry(
        total=total,
        backoff_factor=backoff_factor,
        backoff_jitter=backoff_jitter,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=RETRY_METHODS,
        raise_on_status=False,  # the last 5xx response comes back, with the hub's error code
        redirect=0,
    )


def new_session(retry: Retry | None = None) -> requests.Session:
    """A session whose adapter retries with exponential backoff and jitter."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry or hub_retry())
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def pairing_session() -> requests.Session:
    """Pairing uses the code up: retry only when the request never reached the hub."""
    return new_session(
        HubRetry(total=3, connect=3, read=0, status=0, other=0, redirect=0, backoff_factor=0.5,
              backoff_jitter=0.5, allowed_methods=RETRY_METHODS, raise_on_status=False)
    )




def check_url(url: str) -> str:
    """The hub's base URL; ValueError unless https (or http to this computer only)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(_("the hub address must start with https://, e.g. https://hub.example.vn"))
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(_("the hub address must not hold a user name, password, query or #"))
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        raise ValueError(
            _("the hub address must use https:// (http:// only for a hub on this computer)")
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def shown_url(url: str | None) -> str | None:
    """A URL safe to show: without any user name or password."""
    if not url:
        return None
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def path_part(value: str) -> str:
    """A child's name (or any value) percent-encoded as one URL path segment."""
    return quote(value, safe="")


def _error_of(resp: requests.Response) -> tuple[str, str]:
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return str(body.get("error") or f"http_{resp.status_code}"), str(body.get("message", ""))
    return f"http_{resp.status_code}", resp.reason or ""


class HubConnection:
    """Calls to one hub with one token: every call verified, timed out and retried."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        *,
        token: str | None = None,
        ca_bundle: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.session = session
        self.token = token
        self.verify: str | bool = ca_bundle or True  # never False
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"HubConnection({shown_url(self.base)!r})"  # never the token

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> requests.Response:
        """One call; the 2xx response, else HubUnavailable, Unauthorized or HubError."""
        headers = {"Accept": "application/json", "User-Agent": "PlayClock-agent/0.1"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            resp = self.session.request(
                method,
                self.base + path,
                json=json,
                params=params,
                headers=headers,
                timeout=self.timeout,
                verify=self.verify,
                allow_redirects=False,
            )
        except requests.exceptions.SSLError as exc:
            raise HubUnavailable(0, "tls_error", str(exc)) from exc
        except requests.RequestException as exc:
            raise HubUnavailable(0, "hub_unreachable", type(exc).__name__) from exc
        if resp.status_code < 300:
            return resp
        code, message = _error_of(resp)
        if resp.status_code == 401:
            raise Unauthorized(401, code, message)
        if resp.status_code >= 500 or resp.status_code in (408, 429):
            raise HubUnavailable(resp.status_code, code, message)
        raise HubError(resp.status_code, code, message)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call and its JSON body (None when empty)."""
        resp = self.call(method, path, **kwargs)
        try:
            return resp.json() if resp.content else None
        except ValueError as exc:
            raise HubUnavailable(resp.status_code, "bad_response", str(exc)) from exc
