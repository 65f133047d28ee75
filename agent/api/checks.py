"""Checks of a request's values (types, bounds, lengths): every failure named, refused as 422.

The API was served by FastAPI and pydantic (issue 15 took them out of the agent): the values
are taken and refused as pydantic's lax mode took and refused them, with the same error
objects (`type`, `loc`, `msg`, `input`, `ctx`), so that callers see no change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from agent.i18n import _, ngettext

__all__ = [
    "MISSING",
    "Body",
    "BodyT",
    "Checks",
    "Field",
    "Flag",
    "Invalid",
    "Number",
    "Problem",
    "Text",
    "Texts",
    "Whole",
]

Problem = dict[str, Any]  # one error object, as JSON
Loc = tuple[str | int, ...]


class _Missing:
    """No value sent (a body field left out, an empty body)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


class Invalid(Exception):
    """The request's values were refused: answered 422 with every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


class _Refused(Exception):
    """One value refused (raised inside a field's check, turned into a problem)."""

    def __init__(self, kind: str, msg: str, ctx: dict[str, Any] | None = None) -> None:
        super().__init__(msg)
        self.kind, self.msg, self.ctx = kind, msg, ctx


def _problem(
    kind: str, loc: Loc, msg: str, value: object, ctx: dict[str, Any] | None = None
) -> Problem:
    out: Problem = {"type": kind, "loc": list(loc), "msg": msg, "input": value}
    if ctx is not None:
        out["ctx"] = ctx
    return out


def _shown(bound: float) -> str:
    """A bound as pydantic wrote it: 10000000, not 10000000.0."""
    return str(int(bound)) if isinstance(bound, float) and bound.is_integer() else str(bound)


def _bounded(value: float, ge: float | None, le: float | None) -> None:
    # The upper bound first, as pydantic: NaN fails every comparison, and is refused by it.
    if le is not None and not value <= le:
        raise _Refused(
            "less_than_equal",
            _("Input should be less than or equal to {bound}").format(bound=_shown(le)),
            {"le": le},
        )
    if ge is not None and not value >= ge:
        raise _Refused(
            "greater_than_equal",
            _("Input should be greater than or equal to {bound}").format(bound=_shown(ge)),
            {"ge": ge},
        )


_INT_TEXT = re.compile(r"^[+-]?\d+(?:_\d+)*(?:\.0*)?$")
_MAX_DIGITS = 4300  # Python's own limit on converting text to int


def _to_int(value: object) -> int:
    """An integer from JSON or a query string, as pydantic's lax mode took it."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > 2**63:
            raise _Refused(
                "int_parsing_size",
                _("Unable to parse input string as an integer, exceeded maximum size"),
            )
        if not value.is_integer():
            raise _Refused(
                "int_from_float",
                _("Input should be a valid integer, got a number with a fractional part"),
            )
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _INT_TEXT.match(text) and len(text) <= _MAX_DIGITS:
            return int(text.split(".")[0].replace("_", ""))
        raise _Refused(
            "int_parsing",
            _("Input should be a valid integer, unable to parse string as an integer"),
        )
    raise _Refused("int_type", _("Input should be a valid integer"))


def _to_float(value: object) -> float:
    """A number from JSON or a query string, as pydantic's lax mode took it."""
    if isinstance(value, int | float):  # bool too: True is 1.0
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
        raise _Refused(
            "float_parsing", _("Input should be a valid number, unable to parse string as a number")
        )
    raise _Refused("float_type", _("Input should be a valid number"))


_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def _to_bool(value: object) -> bool:
    """A boolean from JSON, as pydantic's lax mode took it (1, "yes", "off", ...)."""
    if isinstance(value, bool):
        return value
    unclear = _Refused(
        "bool_parsing", _("Input should be a valid boolean, unable to interpret input")
    )
    if isinstance(value, int):
        if value in (0, 1):
            return bool(value)
        raise unclear
    if isinstance(value, float) and value in (0.0, 1.0):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise unclear
    raise _Refused("bool_type", _("Input should be a valid boolean"))


def _to_text(value: object, min_length: int, max_length: int | None) -> str:
    if not isinstance(value, str):
        raise _Refused("string_type", _("Input should be a valid string"))
    if len(value) < min_length:
        raise _Refused(
            "string_too_short",
            ngettext(
                "String should have at least {n} character",
                "String should have at least {n} characters",
                min_length,
            ).format(n=min_length),
            {"min_length": min_length},
        )
    if max_length is not None and len(value) > max_length:
        raise _Refused(
            "string_too_long",
            ngettext(
                "String should have at most {n} character",
                "String should have at most {n} characters",
                max_length,
            ).format(n=max_length),
            {"max_length": max_length},
        )
    return value


@dataclass(frozen=True)
class Field(ABC):
    """One field of a body: its name, its default (MISSING: required) and whether null is taken."""

    name: str
    default: object = MISSING
    nullable: bool = False

    @abstractmethod
    def check(self, value: object, loc: Loc, problems: list[Problem]) -> object:
        """The value taken, or MISSING after adding why it was refused to `problems`."""


@dataclass(frozen=True)
class _Single(Field):
    """A field refused as a whole, with one reason, or taken converted."""

    def check(self, value: object, loc: Loc, problems: list[Problem]) -> object:
        if value is None and self.nullable:
            return None
        try:
            return self.take(value)
        except _Refused as exc:
            problems.append(_problem(exc.kind, loc, exc.msg, value, exc.ctx))
            return MISSING

    @abstractmethod
    def take(self, value: object) -> object:
        """The value converted and checked; _Refused when it is not taken."""


@dataclass(frozen=True, kw_only=True)
class Text(_Single):
    """A string of bounded length."""

    min_length: int = 0
    max_length: int | None = None

    def take(self, value: object) -> str:
        return _to_text(value, self.min_length, self.max_length)


@dataclass(frozen=True, kw_only=True)
class Number(_Single):
    """A number within bounds."""

    ge: float | None = None
    le: float | None = None

    def take(self, value: object) -> float:
        number = self.convert(value)
        _bounded(number, self.ge, self.le)
        return number

    def convert(self, value: object) -> float:
        """The value as this field's kind of number; _Refused when it is not one."""
        return _to_float(value)


@dataclass(frozen=True, kw_only=True)
class Whole(Number):
    """An integer within bounds."""

    def convert(self, value: object) -> int:
        return _to_int(value)


@dataclass(frozen=True)
class Flag(_Single):
    """A boolean."""

    def take(self, value: object) -> bool:
        return _to_bool(value)


@dataclass(frozen=True, kw_only=True)
class Texts(Field):
    """A list of strings, at most `max_items`, each accepted by `each` (a message when not)."""

    max_items: int = 0
    each: Callable[[str], str | None] = lambda _text: None

    def check(self, value: object, loc: Loc, problems: list[Problem]) -> object:
        if not isinstance(value, list):
            problems.append(_problem("list_type", loc, _("Input should be a valid list"), value))
            return MISSING
        before = len(problems)
        for index, item in enumerate(value):
            if not isinstance(item, str):
                msg = _("Input should be a valid string")
                problems.append(_problem("string_type", (*loc, index), msg, item))
        if len(problems) > before:
            return MISSING
        if len(value) > self.max_items:
            msg = _("List should have at most {n} items after validation, not {actual}").format(
                n=self.max_items, actual=len(value)
            )
            ctx = {"field_type": "List", "max_length": self.max_items, "actual_length": len(value)}
            problems.append(_problem("too_long", loc, msg, value, ctx))
            return MISSING
        for text in value:
            why = self.each(text)
            if why is not None:
                msg = _("Value error, {why}").format(why=why)
                problems.append(_problem("value_error", loc, msg, value, {"error": {}}))
                return MISSING
        return list(value)


class Body(Protocol):
    """A request body: a dataclass with its fields' checks in `FIELDS`."""

    FIELDS: ClassVar[tuple[Field, ...]]


BodyT = TypeVar("BodyT", bound=Body)


class Checks:
    """Collects every refused value of one request (path, query, body), to refuse them at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def path_int(self, params: Mapping[str, str], name: str, *, ge: int, le: int) -> int:
        """An integer path parameter within bounds (0 when refused)."""
        value = Whole(name, ge=ge, le=le).check(params.get(name), ("path", name), self.problems)
        return value if isinstance(value, int) else 0

    def _query(self, query: Mapping[str, str], field: Field) -> object:
        """A query parameter (the last one of that name), or its default when not sent."""
        if field.name not in query:
            return field.default
        value = field.check(query[field.name], ("query", field.name), self.problems)
        return field.default if value is MISSING else value

    def query_int(self, query: Mapping[str, str], name: str, default: int) -> int:
        """An integer query parameter, or `default`."""
        value = self._query(query, Whole(name, default))
        return value if isinstance(value, int) else default

    def query_float(self, query: Mapping[str, str], name: str, default: float) -> float:
        """A number query parameter, or `default`."""
        value = self._query(query, Number(name, default))
        return value if isinstance(value, float) else default

    def query_text(
        self, query: Mapping[str, str], name: str, default: str | None, max_length: int | None
    ) -> str | None:
        """A string query parameter of at most `max_length` characters, or `default`."""
        value = self._query(query, Text(name, default, max_length=max_length))
        return value if isinstance(value, str) else default

    def query_day(self, query: Mapping[str, str], name: str) -> dt.date | None:
        """A YYYY-MM-DD query parameter (a date-time at midnight is taken too), or None."""
        text = query.get(name)
        if text is None:
            return None
        day, why = _day(text)
        if day is None:
            kind = "date_from_datetime_parsing" if why else "date_from_datetime_inexact"
            msg = (
                _("Input should be a valid date or datetime, {error}").format(error=why)
                if why
                else _("Datetimes provided to dates should have zero time - e.g. be exact dates")
            )
            self.problems.append(
                _problem(kind, ("query", name), msg, text, {"error": why} if why else None)
            )
        return day

    def body(self, kind: type[BodyT], raw: object) -> BodyT | None:
        """The body as `kind`, or None with its problems added (raw: the JSON sent, or MISSING)."""
        if raw is MISSING:
            self.problems.append(_problem("missing", ("body",), _("Field required"), None))
            return None
        if not isinstance(raw, dict):
            msg = _("Input should be a valid dictionary or object to extract fields from")
            self.problems.append(_problem("model_attributes_type", ("body",), msg, raw))
            return None
        values: dict[str, Any] = {}  # each of its field's type, passed by name below
        before = len(self.problems)
        for field in kind.FIELDS:
            if field.name not in raw:
                if field.default is MISSING:
                    loc = ("body", field.name)
                    self.problems.append(_problem("missing", loc, _("Field required"), raw))
                continue
            values[field.name] = field.check(raw[field.name], ("body", field.name), self.problems)
        if len(self.problems) > before:
            return None
        if any(f.name == "sent" for f in dataclasses.fields(kind)):  # type: ignore[arg-type]
            values["sent"] = frozenset(values)
        return kind(**values)

    def done(self) -> None:
        """Raise Invalid when anything was refused."""
        if self.problems:
            raise Invalid(self.problems)

    def done_with(self, body: BodyT | None) -> BodyT:
        """The body, once nothing was refused (Invalid otherwise)."""
        self.done()
        if body is None:
            raise Invalid(self.problems)
        return body


_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)?$")
_MIDNIGHT_OR_LATER = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _day(text: str) -> tuple[dt.date | None, str]:
    """(the day, "") or (None, why not); (None, ""): a time other than midnight, or a number."""
    match = _DAY.match(text)
    if match is None:
        if text.isdigit() or _MIDNIGHT_OR_LATER.match(text):
            return None, ""
        if len(text) < 10:
            return None, _("input is too short")
        return None, _("invalid date separator, expected `-`")
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        return None, _("month value is outside expected range of 1-12")
    try:
        return dt.date(year, month, day), ""
    except ValueError:
        return None, _("day value is outside expected range")
