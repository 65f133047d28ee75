"""Fixtures shared by the integration tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agentproc import unique_game_name
from tests.support.postgres import PostgresCluster, UnavailableError, shared_cluster
from tests.support.tricks import Account, Started, Tricks, kid_account


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """The shared throwaway cluster, or a skip saying why PostgreSQL is unavailable."""
    try:
        cluster = shared_cluster()
    except UnavailableError as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield cluster


@pytest.fixture(scope="session")
def kid() -> Account:
    """The child's own second, standard account (created once, with a /etc/subuid range)."""
    return kid_account()


@pytest.fixture
def tricks() -> Iterator[Tricks]:
    """A fresh directory of tricks around a game with a name unique to this run."""
    root = Path(tempfile.mkdtemp(prefix="playclock-tricks-"))
    yield Tricks(root, game=unique_game_name())
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def started() -> Iterator[list[Started]]:
    """Processes to kill at the end of the test, whatever happened."""
    out: list[Started] = []
    yield out
    for s in out:
        s.stop()
