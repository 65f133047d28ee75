"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import PostgresCluster, UnavailableError, shared_cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """The shared throwaway cluster, or a skip saying why PostgreSQL is unavailable."""
    try:
        cluster = shared_cluster()
    except UnavailableError as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield cluster
