"""Rendering: chart geometry, the terminal table, the self-contained page and the Monday job."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from agent.ledger.memory import MemoryLedger
from agent.reports import build_report, render_html, render_text, write_weekly
from agent.reports.charts import Slice, compact, compare_chart, day_chart
from rules.config import load_text
from rules.model import Config
from rules.presets import example_toml

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MON = dt.date(2026, 11, 23)


def ledger_with_use() -> MemoryLedger:
    ledger = MemoryLedger()
    for i, minutes in enumerate((30, 75, 0, 200, 45, 130, 61)):
        d = MON + dt.timedelta(days=i)
        if minutes:
            ledger.add_usage(
                {
                    (d, "An", "app", "minecraft"): minutes * 60,
                    (d, "An", "category", "games"): minutes * 60,
                    (d, "An", "app", "chrome"): 600,
                    (d, "An", "category", "browsers"): 600,
                    (d, "An", "total", "total"): minutes * 60 + 600,
                }
            )
    return ledger


def config() -> Config:
    return load_text(example_toml().replace('timezone = "auto"', 'timezone = "Asia/Ho_Chi_Minh"'))


def test_compact_durations() -> None:
    """H:MM, minutes rounded down."""
    assert [compact(s) for s in (0, 59, 60, 3599, 3600, 36000 + 300)] == [
        "0:00",
        "0:00",
        "0:01",
        "0:59",
        "1:00",
        "10:05",
    ]


def test_day_chart_geometry() -> None:
    """Bars stack from the axis in proportion; the limit is a step line over days with limits."""
    slices = [Slice("games", "Games", [3600, 1800, 0]), Slice("other", "Other", [1800, 0, 0])]
    chart = day_chart(slices, [5400, 1800, 0], [3600, 3600, None], ["Mon", "Tue", "Wed"])
    first, second, third = chart.bars
    assert first.y + first.h == chart.bottom  # the first slice sits on the axis
    assert abs(second.y + second.h - first.y) < 0.01  # the next one on top of it
    assert abs(first.h - 2 * second.h) < 0.02 and abs(third.h - second.h) < 0.02
    assert chart.limit_path.startswith("M") and chart.limit_path.count("M") == 1
    assert [t.text for t in chart.totals] == ["1:30", "0:30"]  # no "0:00" over an empty day
    assert chart.ticks[0].text == "0:00" and chart.ticks[-1].text == "2:00"
    limit_y = float(chart.limit_path.split()[0].split(",")[1])
    assert abs(first.y - limit_y) < 0.01  # the games bar of 1 h reaches the 1 h limit
    assert [title for _c, title in chart.legend] == ["Games", "Other"]
    assert day_chart(slices, [0, 0, 0], [None] * 3, ["a", "b", "c"]).limit_path == ""


def test_compare_chart_widths() -> None:
    """Bars are in proportion to the larger of the two weeks."""
    chart = compare_chart([("total", "Total", 7200, 3600), ("games", "Games", 0, 1800)], "L", "T")
    total, games = chart.rows
    assert abs(total.current.w - 2 * total.previous.w) < 0.02
    assert games.current.w == 1.0  # zero still shows a sliver
    assert chart.height > 2 * 40


def test_text_table_columns_line_up() -> None:
    """Each child's table rows have the same width, in both languages."""
    report = build_report(ledger_with_use(), config(), (2026, 48), "An", HCM)
    for lang in ("en", "vi"):
        text = render_text(report, lang)
        lines = text.splitlines()
        head = next(
            i
            for i, line in enumerate(lines)
            if line.strip().startswith(("App or category", "Ứng dụng hoặc nhóm"))
        )
        table = []
        for line in lines[head + 1 :]:
            if line.strip().startswith("▲"):
                break  # the legend under the table
            table.append(line)
        rows = [line for line in table if re.search(r"\d+:\d\d", line) and "/" not in line]
        assert len(rows) == 5  # total, games, minecraft, browsers, chrome
        assert len({len(line.rstrip()) for line in rows}) == 1, rows
        assert "3:30▲" in text  # Thursday's 200 + 10 minutes against 150
        assert text.rstrip().endswith("24/7)")


def test_html_is_self_contained_and_accessible() -> None:
    """No scripts, links or remote assets; charts have a title and a description."""
    report = build_report(ledger_with_use(), config(), (2026, 48), None, HCM)
    page = render_html(report, "en")
    assert page.startswith("<!doctype html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"(src|href)=\"(?!#)", page)
    assert "url(" not in page and "@import" not in page
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    assert len(svgs) == 2  # An's two charts; Bình and Chi used nothing
    for svg in svgs:
        ids = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()  # type: ignore[union-attr]
        assert f'<title id="{ids[0]}">' in svg and f'<desc id="{ids[1]}">' in svg
    assert page.count("<caption>") >= 3 * 3  # usage, limits and comparison for each child
    assert "@media print" in page and "size: A4" in page and "break-before: page" in page


def test_html_escapes_what_people_typed() -> None:
    """A child's message and a name from the rules are text, never markup."""
    from agent.ledger.store import Event

    ledger = MemoryLedger()
    ledger.add_event(
        Event(
            "request",
            dt.datetime(2026, 11, 24, 18, tzinfo=HCM),
            MON,
            "An",
            None,
            {"id": 1, "minutes": 5, "message": "<b>pls</b>"},
            "child",
        )
    )
    page = render_html(build_report(ledger, config(), (2026, 48), None, HCM), "en")
    assert "<b>pls</b>" not in page and "&lt;b&gt;pls&lt;/b&gt;" in page


def test_write_weekly_writes_last_weeks_html_and_json(tmp_path: Path) -> None:
    """On Monday 30 Nov, week 48 goes to <data>/reports/2026-W48.html and .json, replaced whole."""
    today = dt.date(2026, 11, 30)
    paths = write_weekly(ledger_with_use(), config(), tmp_path, today, HCM, lang="vi")
    assert [p.name for p in paths] == ["2026-W48.html", "2026-W48.json"]
    doc = json.loads(paths[1].read_text(encoding="utf-8"))
    assert doc["week"] == "2026-W48"
    an = next(c for c in doc["children"] if c["name"] == "An")
    assert an["week_seconds"] == (30 + 75 + 200 + 45 + 130 + 61) * 60 + 6 * 600
    page = paths[0].read_text(encoding="utf-8")
    assert '<html lang="vi">' in page and "23/11/2026" in page
    again = write_weekly(MemoryLedger(), config(), tmp_path, today, HCM)
    assert again == paths
    assert json.loads(paths[1].read_text(encoding="utf-8"))["children"][0]["week_seconds"] == 0
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "2026-W48.html",
        "2026-W48.json",
    ]
