"""Bounds, privacy and consent rules of the hub's request bodies."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from sync.hub import schemas, schemas_commands
from sync.hub.fields import MAX_APPS, IsoWeek, child_key
from sync.hub.schemas import ConsentIn, DaySummaryIn
from sync.hub.schemas_commands import GrantIn

CID = str(uuid.uuid4())


def _summary(**fields: Any) -> DaySummaryIn:
    return DaySummaryIn.model_validate({"revision": 1, "consent_id": CID,
                                        "total_seconds": 60, **fields})


def _consent(**fields: Any) -> ConsentIn:
    return ConsentIn.model_validate({
        "consent_id": CID, "child": "An", "child_birth_year": 2014, "parent_name": "Mẹ",
        "parent_consented_at": "2026-01-02T09:00:00+07:00", "child_consented": True,
        "child_consented_at": "2026-01-02T09:05:00+07:00", "shares": ["total"], **fields})


def _field_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    names.update(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(model.model_json_schema())
    return names


def test_no_upload_schema_has_a_place_for_titles_urls_command_lines_or_paths() -> None:
    uploads = (schemas.DaySummaryIn, schemas_commands.ChildRequestIn, schemas.PairIn,
               schemas.ConsentIn)
    forbidden = ("title", "url", "cmd", "command", "path", "exe", "window", "process")
    for model in uploads:
        for name in _field_names(model):
            assert not any(word in name.lower() for word in forbidden), (model, name)


@pytest.mark.parametrize("extra", ["window_title", "url", "cmdline", "exe_path"])
def test_unknown_fields_are_refused(extra: str) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        _summary(**{extra: "x"})


@pytest.mark.parametrize("key", ["C:/Games/mc.exe", "/usr/bin/mc", "Minecraft - World 1",
                                 "https://x.test", "", "a" * 65, "-dash-first"])
def test_app_keys_cannot_carry_paths_titles_or_urls(key: str) -> None:
    with pytest.raises(ValidationError):
        _summary(apps={key: 1})


def test_bounds_of_a_summary() -> None:
    assert _summary(total_seconds=86_400).total_seconds == 86_400
    assert len(_summary(apps={f"a{i}": 1 for i in range(MAX_APPS)}).apps) == MAX_APPS
    for bad in ({"total_seconds": 86_401}, {"total_seconds": True}, {"revision": -1},
                {"apps": {f"a{i}": 1 for i in range(MAX_APPS + 1)}},
                {"categories": {"games": -5}}, {"counts": {"closes": 100_001}},
                {"consent_id": "not-a-uuid"}):
        with pytest.raises(ValidationError):
            _summary(**bad)


def test_child_consent_is_needed_from_seven_or_when_age_is_unknown() -> None:
    assert _consent(child_birth_year=2020, child_consented=False,
                    child_consented_at=None).child_consented is False  # 6 in 2026
    for fields in ({"child_birth_year": 2019}, {"child_birth_year": None}):
        with pytest.raises(ValidationError, match="must consent too"):
            _consent(child_consented=False, child_consented_at=None, **fields)
    with pytest.raises(ValidationError, match="must consent too"):
        _consent(child_consented=True, child_consented_at=None)


def test_consent_shares_must_include_total_once() -> None:
    assert _consent(shares=["total", "apps"]).shares == ["total", "apps"]
    for shares in ([], ["apps"], ["total", "total"], ["total", "titles"]):
        with pytest.raises(ValidationError):
            _consent(shares=shares)
    with pytest.raises(ValidationError, match="timezone"):
        _consent(parent_consented_at="2026-01-02T09:00:00")


def test_names_are_normalized_and_matched_case_insensitively() -> None:
    decomposed = "Bi\u0300nh"
    consent = _consent(child=f"  {decomposed} ")
    assert consent.child == "Bình"
    assert child_key("BÌNH") == child_key(decomposed) == "bình"
    for bad in ("", "   ", "a/b", "tab\there", "x" * 65):
        with pytest.raises(ValidationError):
            _consent(child=bad)


def test_iso_day_and_week_validation() -> None:
    grant = GrantIn.model_validate({"type": "grant", "child": "An", "target": "games",
                                    "minutes": 5, "day": "2026-02-28"})
    assert grant.day == date(2026, 2, 28)
    for day in ("2026-02-30", "2026-2-3", "20260203", 20260203):
        with pytest.raises(ValidationError):
            GrantIn.model_validate({"type": "grant", "child": "An", "target": "games",
                                    "minutes": 5, "day": day})


@pytest.mark.parametrize(("week", "ok"), [("2026-W53", True), ("2025-W53", False),
                                          ("2026-W00", False), ("2026-w01", False)])
def test_iso_weeks(week: str, ok: bool) -> None:
    class Holder(BaseModel):
        week: IsoWeek

    if ok:
        assert Holder(week=week).week == week
    else:
        with pytest.raises(ValidationError, match=r"ISO week|not a week"):
            Holder(week=week)
