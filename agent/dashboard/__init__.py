"""The dashboard: server-rendered pages on the local API's address, for the family."""

from __future__ import annotations

from fastapi import FastAPI

from agent.api.app import ApiContext
from agent.dashboard.history import add_history
from agent.dashboard.pages import add_pages
from agent.dashboard.parent import add_parent
from agent.dashboard.rules_page import add_rules
from agent.dashboard.web import Web

__all__ = ["add_routes"]


def add_routes(app: FastAPI, ctx: ApiContext) -> None:
    """Add the dashboard's pages to the agent's API app (an `ApiContext.extra_routes` entry)."""
    web = Web(ctx)
    add_pages(app, web)
    add_parent(app, web)
    add_rules(app, web)
    add_history(app, web)
