"""The hub's FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sync.hub import routes_accounts, routes_devices, routes_family
from sync.hub.core import HUB_VERSION, Hub, HubSettings
from sync.hub.db import Database
from sync.hub.errors import BodySizeLimit, install_error_handlers
from sync.hub.store import purge_expired
from sync.hub.uploads import FastUploads
from sync.hub.web.mount import error_page, is_web_path, mount_web

__all__ = ["create_app"]

log = logging.getLogger(__name__)
_PURGE_EVERY_SECONDS = 3600

_DESCRIPTION = """\
The PlayClock family hub: devices upload daily usage **summaries** for the children they
have consent for, parents read days, weeks and reports summed across devices and send
commands (bonus time, limit changes, answers to requests) that devices pull and acknowledge.

* Parent endpoints take `Authorization: Bearer <token from POST /v1/login>`.
* Device endpoints (`/v1/devices/me/...`) take `Authorization: Bearer <device_token>`.
* Errors: `{"error": code, "message": text, "fields": [{"field", "message"}]}`.
* A child's time across devices is the **sum** of each device's summary: use on two PCs at
  the same moment counts twice (summaries cannot be united).

The full contract, with examples, is in `sync/hub/API.md`.
"""


def create_app(db_url: str, settings: HubSettings | None = None) -> FastAPI:
    """A hub app on this database URL; creates missing tables before returning."""
    settings = settings or HubSettings()
    db = Database(db_url)
    db.create_schema()
    hub = Hub(db, settings)

    def purge() -> None:
        with db.begin() as session:
            purge_expired(session, hub.now())

    async def check_silent_devices() -> None:
        while True:
            await asyncio.sleep(settings.check_every)
            try:
                await asyncio.to_thread(hub.notifier.check_silent, hub.now())
            except Exception:  # the next check retries
                log.exception("checking for devices that stopped reporting failed")

    async def purge_hourly() -> None:
        while True:
            try:
                await asyncio.to_thread(purge)
            except Exception:  # a failed clean-up must not stop the hub; the next one retries
                log.exception("purging expired rows failed")
            await asyncio.sleep(_PURGE_EVERY_SECONDS)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(purge_hourly()),
                 asyncio.create_task(check_silent_devices())]
        yield
        for task in tasks:
            task.cancel()
        await asyncio.to_thread(hub.notifier.join, 5.0)
        db.dispose()

    app = FastAPI(title="PlayClock family hub", version=HUB_VERSION, description=_DESCRIPTION,
                  lifespan=lifespan)
    app.state.hub = hub
    install_error_handlers(app, error_page, is_web_path)
    app.add_middleware(FastUploads, hub=hub)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)  # outermost
    # Device routes first: `/v1/devices/me` must win over the parent's `/v1/devices/{id}`.
    for module in (routes_devices, routes_accounts, routes_family):
        app.include_router(module.router)
    mount_web(app)
    return app
