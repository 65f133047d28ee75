"""The self-hostable PlayClock family hub: `create_app(db_url)` and `serve(db_url, listen)`."""

from __future__ import annotations

from sync.hub.app import create_app
from sync.hub.core import HUB_VERSION, HubSettings
from sync.hub.serve import DEFAULT_LISTEN, serve

__all__ = ["DEFAULT_LISTEN", "HUB_VERSION", "HubSettings", "create_app", "serve"]
