"""Property-based fuzzing of the live local API from its own OpenAPI document.

Schemathesis builds hypothesis strategies from /api/v1/openapi.json; every generated request
goes over real HTTP to a real agent. Properties: no 5xx ever; without the PIN, a parent
operation is refused (401/403/422) and changes nothing (status, ledger, rules, PIN hash).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error

from playclock.compose import Runtime
from tests.support.apiserver import CHANGE_KINDS, Api, running_agent, snapshot

EXAMPLES = 30
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
BOTH = (POSITIVE, NEGATIVE)

# (method, path, parent operation?, generation modes); negative mode needs something typed.
OPERATIONS: list[tuple[str, str, bool, tuple[GenerationMode, ...]]] = [
    ("GET", "/api/v1/health", False, (POSITIVE,)),
    ("GET", "/api/v1/status", False, (POSITIVE,)),
    ("GET", "/api/v1/events", False, BOTH),
    ("GET", "/api/v1/log", False, BOTH),
    ("GET", "/api/v1/requests", False, BOTH),
    ("POST", "/api/v1/requests", False, BOTH),
    ("GET", "/api/v1/session", False, (POSITIVE,)),
    ("POST", "/api/v1/session", False, BOTH),
    ("DELETE", "/api/v1/session", False, (POSITIVE,)),
    ("POST", "/api/v1/grants", True, BOTH),
    ("POST", "/api/v1/pause", True, BOTH),
    ("PUT", "/api/v1/children/{child}/limits/{key}", True, BOTH),
    ("DELETE", "/api/v1/children/{child}/limits/{key}", True, (POSITIVE,)),
    ("POST", "/api/v1/requests/{request_id}/answer", True, BOTH),
    ("POST", "/api/v1/reload", True, (POSITIVE,)),
    ("PUT", "/api/v1/pin", True, BOTH),
]
RUNS = [(m, p, parent, mode) for m, p, parent, modes in OPERATIONS for mode in modes]
PARENT_RUNS = [(m, p, mode) for m, p, parent, mode in RUNS if parent]
BODY_PARSE_ERROR = "There was an error parsing the body"


def _id(method: str, path: str, mode: GenerationMode) -> str:
    return f"{method} {path.removeprefix('/api/v1')} {mode.value}"


@pytest.fixture(scope="module")
def anonymous(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Runtime, schemathesis.BaseSchema]]:
    """An agent fuzzed without any credentials, and its schema loaded from the live URL."""
    with (
        pytest.MonkeyPatch.context() as mp,
        running_agent(tmp_path_factory.mktemp("fuzz-anonymous"), mp) as (runtime, url),
    ):
        yield runtime, schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")


@pytest.fixture(scope="module")
def parent(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Runtime, schemathesis.BaseSchema, str]]:
    """An agent fuzzed with a parent session token (the token is kept by the test)."""
    with (
        pytest.MonkeyPatch.context() as mp,
        running_agent(tmp_path_factory.mktemp("fuzz-parent"), mp) as (runtime, url),
    ):
        token = str(Api(url).login()["token"])
        yield runtime, schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json"), token


def _strategies(
    schema: schemathesis.BaseSchema, method: str, path: str, mode: GenerationMode, **fixed: Any
) -> st.SearchStrategy[Case]:
    """Cases for one operation; also some aimed at the real child and limit, not just noise."""
    operation = schema[path][method]
    if path.endswith("/events"):
        fixed["query"] = {"wait": 0}  # no 30 s long polls
    options = [operation.as_strategy(mode, **fixed)]
    if "{child}" in path:
        options.append(operation.as_strategy(mode, path_parameters={"child": "An"}, **fixed))
        options.append(
            operation.as_strategy(mode, path_parameters={"child": "An", "key": "games"}, **fixed)
        )
    return st.one_of(options)


def _run(strategy: st.SearchStrategy[Case], check: Callable[[Case], None]) -> None:
    """Run `check` on EXAMPLES generated cases."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def prop(case: Case) -> None:
        check(case)

    prop()


def _call(case: Case) -> Any:
    response = case.call(timeout=15)
    case.validate_response(response, checks=[not_a_server_error])
    return response


@pytest.mark.parametrize(
    ("method", "path", "is_parent", "mode"), RUNS, ids=[_id(m, p, g) for m, p, _x, g in RUNS]
)
def test_fuzz_without_credentials(
    method: str,
    path: str,
    is_parent: bool,
    mode: GenerationMode,
    anonymous: tuple[Runtime, schemathesis.BaseSchema],
) -> None:
    """Any request without the PIN: never a 5xx; a parent operation is refused, changes nothing."""
    runtime, schema = anonymous
    statuses: set[int] = set()

    def check(case: Case) -> None:
        before = snapshot(runtime) if is_parent else None
        response = _call(case)
        statuses.add(response.status_code)
        if not is_parent:
            return
        refused = response.status_code in (401, 403, 413, 422) or (
            response.status_code == 400 and response.json().get("detail") == BODY_PARSE_ERROR
        )
        assert refused, f"{case.method} {case.formatted_path}: {response.status_code}"
        assert snapshot(runtime) == before

    _run(_strategies(schema, method, path, mode), check)
    assert statuses and max(statuses) < 500
    if is_parent and mode is POSITIVE:
        assert statuses == {401}, statuses  # valid requests reach the PIN check and stop there


def test_fuzz_left_no_parent_change_behind(
    anonymous: tuple[Runtime, schemathesis.BaseSchema],
) -> None:
    """After the whole anonymous run, the ledger holds no change a parent could make."""
    runtime, _schema = anonymous
    changes = [e.kind for e in runtime.ledger.events() if e.kind in CHANGE_KINDS]
    assert changes == ["pin.set"]  # the fixture's own PIN


@pytest.mark.parametrize(
    ("method", "path", "mode"), PARENT_RUNS, ids=[_id(m, p, g) for m, p, g in PARENT_RUNS]
)
def test_fuzz_as_parent(
    method: str,
    path: str,
    mode: GenerationMode,
    parent: tuple[Runtime, schemathesis.BaseSchema, str],
) -> None:
    """Any request with a valid parent session: never a 5xx, whatever the body or path."""
    runtime, schema, token = parent
    statuses: set[int] = set()

    def check(case: Case) -> None:
        statuses.add(_call(case).status_code)

    auth = {"headers": {"Authorization": f"Bearer {token}"}}
    _run(_strategies(schema, method, path, mode, **auth), check)
    assert statuses and max(statuses) < 500
    assert runtime.agent.status()["agent"]["running"] is True
