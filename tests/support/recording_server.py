"""A loopback HTTP proxy that records every request and can inject faults (tests only).

`RecordingServer(upstream)` forwards to the real hub (or, with no upstream, answers 503 to
everything: a sink that proves whether anything was sent at all). Faults apply to the next
`count` requests whose "METHOD /path" contains `match`:

- `fail(count, status)`: answer `status` (500 by default) without forwarding;
- `hold(count, forward=False)`: answer nothing until the client gives up (a timeout); with
  `forward=True` the hub gets the request first, so only the answer is lost;
- `lose(count, status)`: forward, then answer `status` instead of the hub's answer;
- `drop(count)`: close the connection at once, without an answer.

`after_forward` (a callable taking the `Recorded` and the hub's status) runs after each
forwarded request, before the answer goes back: e.g. kill the hub mid-upload. When it returns
True the hub's answer is lost (the client gets 502 instead).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Fault", "Recorded", "RecordingServer"]

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection",
        "te", "trailer", "upgrade", "server", "date"}


@dataclass(frozen=True)
class Recorded:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def line(self) -> str:
        """ "METHOD /path?query"."""
        return f"{self.method} {self.path}"

    def json(self) -> Any:
        """The body as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    """A fault for the next `count` matching requests."""

    kind: str  # "status" | "hold" | "lose" | "drop"
    count: int
    match: str = ""
    status: int = 500
    forward: bool = False


class RecordingServer:
    """Records requests, forwards them to `upstream`, injects faults on demand."""

    def __init__(self, upstream: str | None = None, *, hold_seconds: float = 30.0) -> None:
        self.upstream = urlsplit(upstream) if upstream else None
        self.hold_seconds = hold_seconds
        self.after_forward: Callable[[Recorded, int], bool | None] | None = None
        self._records: list[Recorded] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[Recorded]:
        """Everything received so far, in order."""
        with self._lock:
            return list(self._records)

    def matching(self, text: str) -> list[Recorded]:
        """Received requests whose "METHOD /path" contains `text`."""
        return [r for r in self.requests if text in r.line]

    def clear(self) -> None:
        """Forget what was recorded."""
        with self._lock:
            self._records.clear()

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def fail(self, count: int, status: int = 500, match: str = "") -> None:
        """Answer `status` to the next `count` matching requests, without forwarding."""
        self._add(Fault("status", count, match, status))

    def hold(self, count: int, match: str = "", forward: bool = False) -> None:
        """Never answer the next `count` matching requests (the client times out)."""
        self._add(Fault("hold", count, match, forward=forward))

    def lose(self, count: int, status: int = 502, match: str = "") -> None:
        """Forward the next `count` matching requests, then answer `status` instead."""
        self._add(Fault("lose", count, match, status, forward=True))

    def drop(self, count: int, match: str = "") -> None:
        """Close the connection of the next `count` matching requests without an answer."""
        self._add(Fault("drop", count, match))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    def faults_left(self) -> int:
        """How many fault uses are still queued."""
        with self._lock:
            return sum(f.count for f in self._faults)

    def _take_fault(self, line: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.count > 0 and fault.match in line:
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _forward(self, rec: Recorded) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.upstream is None:
            body = json.dumps({"error": "no_upstream", "message": "recording sink"}).encode()
            return 503, [("Content-Type", "application/json")], body
        conn = http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1",
                                          self.upstream.port or 80, timeout=60)
        try:
            headers = {k: v for k, v in rec.headers.items() if k.lower() not in _HOP}
            headers["Connection"] = "close"
            conn.request(rec.method, rec.path, body=rec.body or None, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        except OSError:
            body = json.dumps({"error": "bad_gateway", "message": "upstream down"}).encode()
            return 502, [("Content-Type", "application/json")], body
        finally:
            conn.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = Recorded(self.command, self.path, dict(self.headers.items()), body)
                with owner._lock:
                    owner._records.append(rec)
                fault = owner._take_fault(rec.line)
                if fault is not None and fault.kind == "drop":
                    self.close_connection = True
                    return
                if fault is not None and fault.kind == "status":
                    self._send(fault.status, [("Content-Type", "application/json")],
                               json.dumps({"error": "injected", "message": "fault"}).encode())
                    return
                forwarded = fault is None or fault.forward
                status, headers, payload = owner._forward(rec) if forwarded else (0, [], b"")
                lost = False
                if forwarded and owner.after_forward is not None and owner.upstream is not None:
                    lost = bool(owner.after_forward(rec, status))
                if fault is not None and fault.kind == "hold":
                    owner._release.wait(owner.hold_seconds)
                    self.close_connection = True
                    return
                if lost or (fault is not None and fault.kind == "lose"):
                    status = fault.status if fault is not None and fault.kind == "lose" else 502
                    headers = [("Content-Type", "application/json")]
                    payload = json.dumps({"error": "injected", "message": "lost"}).encode()
                self._send(status, headers, payload)

            def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                try:
                    self.send_response(status)
                    for k, v in headers:
                        if k.lower() not in _HOP:
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up first

            do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _any

        return Handler

    def start(self) -> RecordingServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, releasing any held requests."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
