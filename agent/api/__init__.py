"""PlayClock: agent/api."""

import sys

__all__: list[str] = []

# FastAPI imports pydantic.v1 (1.7 MiB, issue 15) only to ask whether each route's types are
# pydantic.v1 models; none of the agent's is, and an ImportError answers "no" without loading
# it. Set before any route is declared (the routes' modules are in this package).
if "pydantic.v1" not in sys.modules:
    sys.modules["pydantic.v1"] = None  # type: ignore[assignment]
