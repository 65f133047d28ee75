"""The parents' web app served by the hub: server-rendered pages, installable as a PWA."""

from __future__ import annotations

from sync.hub.web.mount import mount_web

__all__ = ["mount_web"]
