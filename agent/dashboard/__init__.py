"""The dashboard: server-rendered pages on the local API's address, for the family."""

from __future__ import annotations

from starlette.applications import Starlette

from agent.api.context import ApiContext
from agent.dashboard import history, pages, parent, rules_page
from agent.dashboard.web import Web

__all__ = ["mount"]


def mount(app: Starlette, ctx: ApiContext) -> None:
    """Serve the dashboard's pages on the agent's API app."""
    web = Web(ctx)
    for module in (pages, parent, rules_page, history):
        module.routes.mount(app, web)
    app.router.routes.extend(pages.other_routes())
