"""The weekly report's CSV and HTML carry the same numbers as its JSON, cell by cell."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from typing import Any

import pytest

from agent.i18n.formatting import duration
from agent.reports import render_csv, render_html
from agent.reports.labels import language
from agent.reports.model import Report
from tests.integration.test_report_data import dataset, doc, report

__all__ = ["dataset", "doc", "report"]  # the data set's fixtures, shared


def csv_rows(report: Report) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(render_csv(report))))


def num(text: str) -> int | None:
    return None if text == "" else int(text)


def test_csv_has_every_number_of_the_json(report: Report, doc: dict[str, Any]) -> None:
    """Usage, week, day, event, gap and clock records carry the JSON's numbers, no more."""
    rows = csv_rows(report)
    usage = {(r["child"], r["kind"], r["id"], r["day"]): r for r in rows if r["record"] == "usage"}
    weeks = {(r["child"], r["kind"], r["id"]): r for r in rows if r["record"] == "week"}
    count = 0
    for child in doc["children"]:
        for row in child["usage"]:
            w = weeks[(child["name"], row["kind"], row["id"])]
            assert num(w["seconds"]) == row["week_seconds"]
            assert num(w["previous_seconds"]) == row["previous_week_seconds"]
            assert num(w["change_seconds"]) == row["change_seconds"]
            assert num(w["change_percent"]) == row["change_percent"]
            for cell in row["days"]:
                r = usage[(child["name"], row["kind"], row["id"], cell["day"])]
                count += 1
                assert num(r["seconds"]) == cell["used_seconds"]
                for col in ("limit_seconds", "bonus_seconds", "allowed_seconds", "over_seconds"):
                    assert num(r[col]) == cell[col], (child["name"], row["key"], cell["day"], col)
    assert count == len(usage) == 7 * sum(len(c["usage"]) for c in doc["children"])
    days = {(r["child"], r["day"]): r for r in rows if r["record"] == "day"}
    for child in doc["children"]:
        for d in child["days"]:
            r = days[(child["name"], d["day"])]
            assert num(r["seconds"]) == d["used_seconds"]
            assert num(r["allowed_seconds"]) == d["allowed_seconds"]
            assert num(r["bonus_seconds"]) == d["bonus_seconds"]
            assert r["status"] == d["status"]
            assert r["detail"].split() == d["limits_over"]
            events = {
                (e["kind"]): int(e["count"])
                for e in rows
                if e["record"] == "event" and (e["child"], e["day"]) == (child["name"], d["day"])
            }
            assert events == {k: n for k, n in d["events"].items() if n}
    gaps = [(r["day"], int(r["seconds"]), r["id"]) for r in rows if r["record"] == "gap"]
    assert gaps == [
        (d["day"], d["seconds"], g["cause"]) for g in doc["computer"]["gaps"] for d in g["days"]
    ]
    jumps = [(r["start"], int(r["seconds"])) for r in rows if r["record"] == "clock_jump"]
    assert jumps == [(j["ts"], j["seconds"]) for j in doc["computer"]["clock_jumps"]]
    agent = {r["kind"]: int(r["count"]) for r in rows if r["record"] == "agent"}
    assert agent == {"agent_start": 3, "agent_stop": 2}
    moments = [(r["child"], r["start"], r["kind"]) for r in rows if r["record"] == "moment"]
    assert moments == [
        (c["name"], m["ts"], m["kind"]) for c in doc["children"] for m in c["timeline"]
    ]


class Cells(HTMLParser):
    """The usage tables' data attributes and texts, per child section."""

    def __init__(self) -> None:
        super().__init__()
        self.child = ""
        self.key = ""
        self.cells: dict[tuple[str, str, str], dict[str, str]] = {}
        self.week: dict[tuple[str, str], int] = {}
        self.statuses: dict[tuple[str, str], str] = {}
        self._open: dict[str, str] | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section" and a.get("id", "").startswith("child-"):
            self.child = a["id"]
        elif tag == "tr" and "data-key" in a:
            self.key = a["data-key"]
        elif tag == "tr" and "data-status" in a:
            self.statuses[(self.child, a["data-day"])] = a["data-status"]
        elif tag == "td" and "data-day" in a and "data-seconds" in a and self.key:
            self._open = a | {"text": ""}
            self.cells[(self.child, self.key, a["data-day"])] = self._open
        elif tag == "td" and "data-week-seconds" in a:
            self.week[(self.child, self.key)] = int(a["data-week-seconds"])
        elif tag == "span" and self._open is not None:
            self._open = None  # the text before the marks and the allowed time
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._open = None
        elif tag == "tr":
            self.key = ""
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] += data
        if self._in_title and not self.title:
            self.title = data


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_html_agrees_with_json(report: Report, doc: dict[str, Any], lang: str) -> None:
    """Every usage cell of the HTML carries the JSON's seconds and allowed time, and shows them."""
    page = render_html(report, lang)
    parser = Cells()
    parser.feed(page)
    assert "2026-W43" in parser.title
    n = 0
    with language(lang):
        for i, child in enumerate(doc["children"], start=1):
            section = f"child-{i}"
            for row in child["usage"]:
                assert parser.week[(section, row["key"])] == row["week_seconds"]
                for cell in row["days"]:
                    got = parser.cells[(section, row["key"], cell["day"])]
                    assert int(got["data-seconds"]) == cell["used_seconds"]
                    allowed = got.get("data-allowed")
                    assert (int(allowed) if allowed else None) == cell["allowed_seconds"]
                    assert got["text"].strip() == duration(cell["used_seconds"])
                    assert ("over" in got.get("class", "")) == (
                        f"{row['key']}"
                        in next(d for d in child["days"] if d["day"] == cell["day"])["limits_over"]
                    )
                    n += 1
            for d in child["days"]:
                assert parser.statuses[(section, d["day"])] == d["status"]
    assert n == len(parser.cells) == 7 * sum(len(c["usage"]) for c in doc["children"])
    assert (
        "<script" not in page
        and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
        and "https://" not in page
    )
    assert "111" in page and "Tổng đài quốc gia bảo vệ trẻ em" in page


def test_html_vietnamese_dates(report: Report) -> None:
    """Vietnamese pages write dd/mm/yyyy and Thứ Hai … Chủ Nhật; the page's language is vi."""
    page = render_html(report, "vi")
    assert '<html lang="vi">' in page
    assert "19/10/2026" in page and "25/10/2026" in page
    assert "Thứ Hai" in page and "Chủ Nhật" in page
    english = render_html(report, "en")
    assert '<html lang="en">' in english and "19 Oct 2026" in english and "Monday" in english
