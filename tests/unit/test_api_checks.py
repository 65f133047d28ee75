"""The API's value checks take and refuse values as pydantic's lax mode did (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest

from agent.api.bodies import AnswerBody, GrantBody, IdleBody, LimitBody, PauseBody, PinChangeBody
from agent.api.checks import MISSING, Body, BodyT, Checks, Invalid
from agent.i18n import set_language
from rules.model import LimitSpec


@pytest.fixture(autouse=True)
def _english() -> None:
    """Messages in English, whatever another test chose."""
    set_language("en")


def _problems(kind: type[Body], raw: object) -> list[dict[str, Any]]:
    check = Checks()
    with pytest.raises(Invalid) as caught:
        check.done_with(check.body(kind, raw))
    return caught.value.problems


def _body(kind: type[BodyT], raw: object) -> BodyT:
    check = Checks()
    return check.done_with(check.body(kind, raw))


@pytest.mark.parametrize(
    ("sent", "taken"),
    [(5, 5), (5.0, 5), ("5", 5), (" 5 ", 5), ("5.0", 5), ("1_0", 10), (True, 1), (-1440, -1440)],
)
def test_integers_are_taken_as_pydantic_took_them(sent: object, taken: int) -> None:
    assert _body(GrantBody, {"child": "An", "minutes": sent}).minutes == taken


@pytest.mark.parametrize(
    ("sent", "kind", "words"),
    [
        (5.5, "int_from_float", "fractional part"),
        ("ten", "int_parsing", "unable to parse string as an integer"),
        ("1e3", "int_parsing", "unable to parse string as an integer"),
        ("0x10", "int_parsing", "unable to parse string as an integer"),
        (None, "int_type", "Input should be a valid integer"),
        (1e100, "int_parsing_size", "exceeded maximum size"),
        (1441, "less_than_equal", "less than or equal to 1440"),
        (2**70, "less_than_equal", "less than or equal to 1440"),
        (-1441, "greater_than_equal", "greater than or equal to -1440"),
    ],
)
def test_integers_are_refused_as_pydantic_refused_them(sent: object, kind: str, words: str) -> None:
    (problem,) = _problems(GrantBody, {"child": "An", "minutes": sent})
    assert problem["type"] == kind and problem["loc"] == ["body", "minutes"]
    assert words in problem["msg"] and problem["input"] == sent


@pytest.mark.parametrize(
    ("sent", "taken"),
    [(True, True), (0, False), (1.0, True), ("yes", True), ("off", False), ("TRUE", True)],
)
def test_booleans_are_taken_as_pydantic_took_them(sent: object, taken: bool) -> None:
    assert _body(PauseBody, {"child": "An", "paused": sent}).paused is taken


@pytest.mark.parametrize(
    ("sent", "kind"), [("maybe", "bool_parsing"), (2, "bool_parsing"), (0.5, "bool_type")]
)
def test_booleans_are_refused_as_pydantic_refused_them(sent: object, kind: str) -> None:
    (problem,) = _problems(PauseBody, {"child": "An", "paused": sent})
    assert problem["type"] == kind


def test_nan_and_infinity_are_above_any_upper_bound() -> None:
    for sent in ("nan", "inf"):
        (problem,) = _problems(IdleBody, {"idle_seconds": sent})
        assert problem["type"] == "less_than_equal"
        assert problem["msg"] == "Input should be less than or equal to 10000000"
        assert problem["ctx"] == {"le": 10_000_000.0}
    assert _body(IdleBody, {"idle_seconds": "5"}).idle_seconds == 5.0


def test_every_problem_is_named_in_field_order_and_unknown_fields_are_ignored() -> None:
    problems = _problems(GrantBody, {"child": "A" * 65, "target": "", "minutes": 9999, "x": 1})
    assert [p["loc"] for p in problems] == [
        ["body", "child"],
        ["body", "target"],
        ["body", "minutes"],
    ]
    assert problems[0]["msg"] == "String should have at most 64 characters"
    assert problems[1]["msg"] == "String should have at least 1 character"
    missing = _problems(GrantBody, {})
    assert [(p["type"], p["loc"], p["input"]) for p in missing] == [
        ("missing", ["body", "child"], {}),
        ("missing", ["body", "minutes"], {}),
    ]


@pytest.mark.parametrize(
    ("raw", "kind", "loc"),
    [
        (MISSING, "missing", ["body"]),
        ([], "model_attributes_type", ["body"]),
        (None, "model_attributes_type", ["body"]),
        ("text", "model_attributes_type", ["body"]),
    ],
)
def test_a_body_that_is_not_an_object_is_refused(raw: object, kind: str, loc: list[str]) -> None:
    (problem,) = _problems(AnswerBody, raw)
    assert (problem["type"], problem["loc"]) == (kind, loc)


def test_limit_bodies_keep_the_fields_not_sent() -> None:
    base = LimitSpec(key="games", daily=60, weekend=90)
    only_daily = _body(LimitBody, {"daily": 30})
    assert only_daily.spec("games", base) == LimitSpec(key="games", daily=30, weekend=90)
    cleared = _body(LimitBody, {"daily": None, "allowed": []})
    assert cleared.spec("games", base) == LimitSpec(key="games", daily=None, weekend=90)


@pytest.mark.parametrize(
    ("allowed", "kind", "loc"),
    [
        ("08:00-09:00", "list_type", ["body", "allowed"]),
        (None, "list_type", ["body", "allowed"]),
        ([5], "string_type", ["body", "allowed", 0]),
        (["08:00-09:00"] * 13, "too_long", ["body", "allowed"]),
        (["08:00-09:00", "bad"], "value_error", ["body", "allowed"]),
    ],
)
def test_windows_are_a_short_list_of_valid_windows(
    allowed: object, kind: str, loc: list[Any]
) -> None:
    (problem,) = _problems(LimitBody, {"allowed": allowed})
    assert (problem["type"], problem["loc"]) == (kind, loc)


def test_a_pin_change_may_leave_out_or_null_the_old_pin() -> None:
    assert _body(PinChangeBody, {"new": "12345"}).old is None
    assert _body(PinChangeBody, {"old": None, "new": "12345"}).old is None
    (problem,) = _problems(PinChangeBody, {"old": 5, "new": "12345"})
    assert problem["type"] == "string_type"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("2026-13-01", "date_from_datetime_parsing"),
        ("x", "date_from_datetime_parsing"),
        ("20260101", "date_from_datetime_inexact"),
        ("2026-01-01T08:00", "date_from_datetime_inexact"),
    ],
)
def test_days_are_refused_as_pydantic_refused_them(text: str, kind: str) -> None:
    check = Checks()
    assert check.query_day({"day": text}, "day") is None
    assert [(p["type"], p["loc"]) for p in check.problems] == [(kind, ["query", "day"])]


def test_query_values_and_their_defaults() -> None:
    check = Checks()
    query = {"after": "7", "wait": "1.5", "run": "abc"}
    assert check.query_int(query, "after", 0) == 7
    assert check.query_float(query, "wait", 0.0) == 1.5
    assert check.query_text(query, "run", None, 64) == "abc"
    assert check.query_int({}, "limit", 500) == 500
    assert check.query_day({"day": "2026-01-01T00:00"}, "day") is not None
    check.done()
    check.query_text({"run": "x" * 65}, "run", None, 64)
    assert [p["type"] for p in check.problems] == ["string_too_long"]
