"""A client for the agent's local API (the CLI and the tray use it).

It speaks HTTP/1.1 to loopback over a plain socket: no `requests` (and with it urllib3 and
charset detection), which was a third of the tray's memory, nor http.client, which loads
OpenSSL (issue 15).
"""

from __future__ import annotations

import json
import re
import select
import socket
import threading
from typing import Any, BinaryIO
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
    """One keep-alive HTTP/1.1 connection to the agent, over a plain socket.

    Not http.client: it imports `ssl` (and with it OpenSSL, 4 MiB) and the `email` package
    for the tray, which speaks only to loopback (issue 15).
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.valid = parts.scheme == "http" and bool(parts.hostname)
        self.host = parts.hostname or ""
        self.netloc = parts.netloc
        try:
            self.port = parts.port or 80
        except ValueError:
            self.port, self.valid = 0, False
        self.sock: socket.socket | None = None
        self.reader: BinaryIO | None = None
        self.lock = threading.Lock()

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
        if self.sock is not None:
            self.sock.close()
        self.sock, self.reader = None, None

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
            reused = self.sock is not None
            try:
                return self._exchange(method, target, headers, body, timeout)
            except ConnectionError:
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
        sock = self.sock
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
        payload = body or b""
        fields = {
            "Host": self.netloc,
            "Accept": "application/json",
            "Content-Length": str(len(payload)),
            **headers,
        }
        if _UNSAFE.search(target) or any(_UNSAFE_VALUE.search(v) for v in fields.values()):
            raise ValueError("control characters in the request")
        head = f"{method} {target} HTTP/1.1\r\n".encode("ascii") + "".join(
            f"{name}: {value}\r\n" for name, value in fields.items()
        ).encode("latin-1")
        if self.sock is None:
            # An ASCII name as bytes: a str is IDNA-encoded first, which loads the IDNA
            # codec, stringprep and the Unicode database into the tray (issue 15).
            host = self.host.encode("ascii") if self.host.isascii() else self.host
            address = (host, self.port)  # bytes: getaddrinfo takes them (typeshed says str)
            self.sock = socket.create_connection(address, timeout=timeout)  # type: ignore[arg-type]
            self.reader = self.sock.makefile("rb")
        else:
            self.sock.settimeout(timeout)
        self.sock.sendall(head + b"\r\n" + payload)
        return self._answer(method)

    def _answer(self, method: str) -> _Response:
        reader = self.reader
        assert reader is not None
        line = reader.readline(_LINE)
        if not line:
            raise ConnectionResetError("the agent closed the connection")
        version, _sp, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise ValueError("not an HTTP answer")
        status = int(rest[:3])
        fields: dict[str, str] = {}
        while (line := reader.readline(_LINE)) not in (b"\r\n", b"\n"):
            if not line or len(fields) > _MAX_FIELDS:
                raise ConnectionResetError("the agent's answer ended early")
            name, _colon, value = line.decode("latin-1").partition(":")
            fields[name.strip().lower()] = value.strip()
        will_close = version == "HTTP/1.0" or fields.get("connection", "").lower() == "close"
        if method == "HEAD" or status in (204, 304) or status < 200:
            content = b""
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            content = _chunks(reader)
        elif "content-length" in fields:
            size = int(fields["content-length"])
            content = reader.read(size)
            if len(content) < size:
                raise ConnectionResetError("the agent's answer ended early")
        else:
            content, will_close = reader.read(), True
        if will_close:
            self.close()
        return _Response(status, fields, content)


_LINE = 65537  # the longest status or header line read
_MAX_FIELDS = 100
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")  # what http.client refused in a request target
_UNSAFE_VALUE = re.compile(r"[\r\n\x00]")  # a header value must not start another header


def _chunks(reader: BinaryIO) -> bytes:
    """A chunked body, whole."""
    parts: list[bytes] = []
    while True:
        size = int(reader.readline(_LINE).split(b";", 1)[0].strip() or b"x", 16)
        if size == 0:
            while reader.readline(_LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        chunk = reader.read(size + 2)
        if len(chunk) < size + 2:
            raise ConnectionResetError("the agent's answer ended early")
        parts.append(chunk[:size])


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
        except (OSError, ValueError) as exc:  # refused, timed out
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
