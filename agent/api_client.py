"""A client for the agent's local API (the CLI and the tray use it).

It speaks HTTP/1.1 to loopback with the standard library's http.client: no `requests` (and
with it urllib3 and charset detection), which was a third of the tray's memory (issue 15).
"""

from __future__ import annotations

import http.client
import json
import select
import threading
from typing import Any
from urllib.parse import urlencode, urlsplit

from agent.i18n import _

__all__ = ["AgentClient", "AgentUnavailable", "ApiRefused", "base_url"]


class AgentUnavailable(ConnectionError):
    """No agent answers at that address."""


class ApiRefused(RuntimeError):
    """The agent answered with an error (wrong PIN, locked out, bad input)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def base_url(listen: str) -> str:
    """http://HOST:PORT for a `settings.listen` value."""
    host, _sep, port = listen.rpartition(":")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address such as ::1 (the config accepts it bare)
    return f"http://{host}:{port}"


class _Response:
    """Status, headers (lower-case names) and body of one answer."""

    def __init__(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Connection:
    """One keep-alive HTTP/1.1 connection to the agent (the standard library's http.client)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.valid = parts.scheme == "http" and bool(parts.hostname)
        self.host = parts.hostname or ""
        try:
            self.port = parts.port or 80
        except ValueError:
            self.port, self.valid = 0, False
        self.conn: http.client.HTTPConnection | None = None
        self.lock = threading.Lock()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> _Response:
        if not self.valid:
            raise ConnectionError("not an http://HOST:PORT address")
        with self.lock:
            if self._closed_by_agent():
                # The agent ends idle keep-alive connections after a few seconds: a POST sent
                # on one fails (and is not sent again), so start a new one first.
                self.close()
            reused = self.conn is not None
            try:
                return self._exchange(method, target, headers, body, timeout)
            except (ConnectionError, http.client.BadStatusLine):
                self.close()
                if not reused or method != "GET":
                    raise
            except BaseException:
                self.close()
                raise
            # The agent had closed the idle keep-alive connection: once more on a new one.
            try:
                return self._exchange(method, target, headers, body, timeout)
            except BaseException:
                self.close()
                raise

    def _closed_by_agent(self) -> bool:
        """Whether the idle connection was closed by the agent (readable while idle: EOF)."""
        sock = self.conn.sock if self.conn is not None else None
        if sock is None:
            return False
        try:
            readable, _w, _x = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def _exchange(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> _Response:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        else:
            self.conn.timeout = timeout
            if self.conn.sock is not None:
                self.conn.sock.settimeout(timeout)
        self.conn.request(
            method, target, body=body or b"", headers={"Accept": "application/json", **headers}
        )
        answer = self.conn.getresponse()
        content = answer.read()
        fields = {name.lower(): value for name, value in answer.getheaders()}
        if answer.will_close:
            self.close()
        return _Response(answer.status, fields, content)


class AgentClient:
    """Calls to /api/v1 with short timeouts; a session token once logged in."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.token: str | None = None
        self._http = _Connection(self.url)

    def _call(
        self,
        method: str,
        path: str,
        *,
        pin: str | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        headers: dict[str, str] = {}
        if pin is not None:
            headers["X-PlayClock-PIN"] = pin
        elif self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        target = f"/api/v1{path}"
        params = kwargs.get("params")
        if params:
            target += "?" + urlencode(params)
        body = None
        if "json" in kwargs:
            body = json.dumps(kwargs["json"]).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            resp = self._http.request(method, target, headers, body, timeout or self.timeout)
        except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timed out
            raise AgentUnavailable(
                _("the PlayClock agent is not running at {url}").format(url=self.url)
            ) from exc
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail", resp.text)
            except ValueError:
                detail = resp.text
            retry = resp.headers.get("retry-after")
            raise ApiRefused(
                resp.status_code, str(detail), int(retry) if retry and retry.isdigit() else None
            )
        return resp.json() if resp.content else None

    def status(self) -> dict[str, Any]:
        """The status document."""
        return dict(self._call("GET", "/status"))

    def events(self, after: int, wait: float = 0, run: str | None = None) -> dict[str, Any]:
        """New events after an id (long polling when `wait` > 0); `run`: the agent's run the
        id came from (a restarted agent then answers with all of its events)."""
        params: dict[str, Any] = {"after": after, "wait": wait}
        if run is not None:
            params["run"] = run
        return dict(self._call("GET", "/events", params=params, timeout=wait + self.timeout))

    def login(self, pin: str) -> None:
        """Trade the PIN for a 15-minute session token."""
        self.token = self._call("POST", "/session", json={"pin": pin})["token"]

    def logout(self) -> None:
        """End the session."""
        if self.token:
            self._call("DELETE", "/session")
            self.token = None

    def grant(self, child: str, target: str, minutes: int, pin: str | None = None) -> Any:
        """Bonus minutes for today."""
        return self._call(
            "POST", "/grants", pin=pin, json={"child": child, "target": target, "minutes": minutes}
        )

    def pause(self, child: str, paused: bool, pin: str | None = None) -> Any:
        """Pause or resume a child's limits for today."""
        return self._call("POST", "/pause", pin=pin, json={"child": child, "paused": paused})

    def set_limit(
        self,
        child: str,
        key: str,
        daily: int | None,
        allowed: list[str] | None = None,
        pin: str | None = None,
    ) -> Any:
        """Set a child's daily limit (and windows) for an app, a category or the total."""
        return self._call(
            "PUT",
            f"/children/{child}/limits/{key}",
            pin=pin,
            json={"daily": daily, "allowed": allowed or []},
        )

    def report_idle(self, idle_seconds: float) -> None:
        """Tell the agent how long this account has had no input (the tray does, every 5 s)."""
        self._call("POST", "/idle", json={"idle_seconds": round(idle_seconds, 1)})

    def ask(self, child: str, minutes: int, message: str = "") -> Any:
        """A child asks for more time."""
        return self._call(
            "POST", "/requests", json={"child": child, "minutes": minutes, "message": message}
        )

    def requests(self, state: str = "pending") -> list[dict[str, Any]]:
        """Requests for more time."""
        return list(self._call("GET", "/requests", params={"state": state})["requests"])

    def answer(
        self, request_id: int, approve: bool, minutes: int | None = None, pin: str | None = None
    ) -> Any:
        """Approve or deny a request."""
        return self._call(
            "POST",
            f"/requests/{request_id}/answer",
            pin=pin,
            json={"approve": approve, "minutes": minutes},
        )
