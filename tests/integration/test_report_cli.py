"""`playclock report` on the command line: formats, files, defaults and bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from agent.i18n.formatting import date_short
from agent.ledger.sqlite import SqliteLedger
from agent.reports.iso_weeks import format_week, last_complete_week, week_of
from playclock.cli import main
from rules.presets import example_toml
from rules.timeutil import day_of
from tests.integration.test_report_data import BERLIN, W43, dataset, doc, report, usage_records

__all__ = ["dataset", "doc", "report"]  # the data set's fixtures, shared


@pytest.fixture
def cli_env(
    dataset: tuple[SqliteLedger, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        example_toml().replace('timezone = "auto"', 'timezone = "Europe/Berlin"'), encoding="utf-8"
    )
    monkeypatch.delenv("PLAYCLOCK_LANG", raising=False)
    return ["--config", str(rules), "--data-dir", str(dataset[1].parent)]


def test_cli_json_matches_the_library(
    cli_env: list[str], doc: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """`playclock report --week 2026-W43 --format json` prints the same numbers."""
    assert main([*cli_env, "report", "--week", "2026-W43", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    got.pop("generated_at")
    want = dict(doc)
    want.pop("generated_at")
    assert got == want


def test_cli_writes_files_in_each_format(
    cli_env: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out writes the file; csv, html and text carry the week's numbers."""
    for fmt in ("csv", "html", "text", "json"):
        out = tmp_path / f"r.{fmt}"
        code = main(
            [
                *cli_env,
                "report",
                "--week",
                "2026-w43",
                "--child",
                "An",
                "--format",
                fmt,
                "--out",
                str(out),
                "--lang",
                "vi",
            ]
        )
        assert code == 0
        text = out.read_text(encoding="utf-8")
        assert "Bình" not in text, fmt
        assert "An" in text
    assert "record,child,day" in (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "Thứ Hai" in (tmp_path / "r.html").read_text(encoding="utf-8")
    text = (tmp_path / "r.text").read_text(encoding="utf-8")
    an_total = sum(usage_records("An", d).get(("total", "total"), 0) for d in W43) // 60
    assert f"{an_total // 60}:{an_total % 60:02d}" in text
    assert "111" in text


def test_cli_text_to_the_terminal_by_default(
    cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """No flags: this week so far (the header says so), every child, text on stdout.

    Issue 14, item 13: it used to be last week, which mid-week looked empty and wrong.
    """
    assert main([*cli_env, "report"]) == 0
    out = capsys.readouterr().out
    today = day_of(dt.datetime.now(BERLIN), 0)
    assert format_week(week_of(today)) in out.splitlines()[0]
    monday = today - dt.timedelta(days=today.weekday())
    sunday = monday + dt.timedelta(days=6)
    assert (
        f"Week {week_of(today)[1]} so far: {date_short(monday)} – {date_short(today)} "
        f"(the week ends on {date_short(sunday)})"
    ) in out
    for name in ("An", "Bình", "Chi"):
        assert f"\n{name}\n" in out


def test_cli_week_last_is_the_last_full_week(
    cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli_env, "report", "--week", "last"]) == 0
    out = capsys.readouterr().out
    today = day_of(dt.datetime.now(BERLIN), 0)
    assert format_week(last_complete_week(today)) in out.splitlines()[0]
    assert "so far" not in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--week", "2026-43"], "2026-43"),
        (["--week", "2026-W54"], "2026-W54"),
        (["--week", "2021-W53"], "2021-W53"),  # 2021 has 52 weeks
        (["--child", "Dũng"], "Dũng"),
    ],
)
def test_cli_bad_week_or_child_exits_2_with_one_line(
    cli_env: list[str], capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    """Bad input: exit 2, nothing on stdout, one clear line on stderr naming it."""
    assert main([*cli_env, "report", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("playclock: ")


def test_cli_without_a_ledger_reports_an_empty_week(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data directory with no ledger yet: an empty report, and no ledger file created."""
    monkeypatch.delenv("PLAYCLOCK_CONFIG", raising=False)
    data = tmp_path / "data"
    rules = tmp_path / "rules.toml"
    rules.write_text(example_toml(), encoding="utf-8")
    args = ["--config", str(rules), "--data-dir", str(data), "report", "--format", "json"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert all(c["week_seconds"] == 0 for c in doc["children"])
    assert not (data / "ledger.sqlite").exists()
