"""A client for the agent's local API (the CLI and the tray use it)."""

from __future__ import annotations

from typing import Any

import requests

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


class AgentClient:
    """Calls to /api/v1 with short timeouts; a session token once logged in."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.token: str | None = None
        self._http = requests.Session()
        self._http.trust_env = False  # never send loopback calls through a proxy

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
        try:
            resp = self._http.request(
                method,
                f"{self.url}/api/v1{path}",
                headers=headers,
                timeout=timeout or self.timeout,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise AgentUnavailable(
                _("the PlayClock agent is not running at {url}").format(url=self.url)
            ) from exc
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail", resp.text)
            except ValueError:
                detail = resp.text
            retry = resp.headers.get("Retry-After")
            raise ApiRefused(
                resp.status_code, str(detail), int(retry) if retry and retry.isdigit() else None
            )
        return resp.json() if resp.content else None

    def status(self) -> dict[str, Any]:
        """The status document."""
        return dict(self._call("GET", "/status"))

    def events(self, after: int, wait: float = 0) -> dict[str, Any]:
        """New events after an id (long polling when `wait` > 0)."""
        return dict(
            self._call(
                "GET", "/events", params={"after": after, "wait": wait}, timeout=wait + self.timeout
            )
        )

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
