"""Every tray string has a Vietnamese translation in tray/vi_strings.txt, with the right terms."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tray.notify import REMINDER_EN, REMINDER_VI

TRAY = Path(__file__).resolve().parents[2] / "tray"


def source_strings() -> set[str]:
    found = {REMINDER_EN}  # translated through a constant, so not a literal in _()
    for path in TRAY.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def table() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for number, line in enumerate(
        (TRAY / "vi_strings.txt").read_text(encoding="utf-8").splitlines(), 1
    ):
        assert line.count("\t") == 1, f"line {number}: expected English<TAB>Vietnamese"
        english, vietnamese = line.split("\t")
        assert english not in pairs, f"line {number}: {english!r} twice"
        assert vietnamese.strip(), f"line {number}: no translation"
        pairs[english] = vietnamese
    return pairs


def test_every_string_is_translated_and_nothing_else() -> None:
    strings, vi = source_strings(), table()
    assert strings - vi.keys() == set(), "missing from vi_strings.txt"
    assert vi.keys() - strings == set(), "stale in vi_strings.txt"


def test_placeholders_survive_translation() -> None:
    for english, vietnamese in table().items():
        assert set(re.findall(r"\{\w+\}", english)) == set(re.findall(r"\{\w+\}", vietnamese)), (
            english
        )


@pytest.mark.parametrize(
    ("english", "term"),
    [
        ("Parent PIN", "Mã PIN phụ huynh"),
        ("Ask for more time…", "Xin thêm thời gian"),
        ("Weekly report", "Báo cáo hằng tuần"),
        ("{child} — time left today", "Thời gian còn lại"),
        ("{title} — blocked until {until}", "bị chặn"),
        ("More time", "Thời gian thưởng"),
        ("Set a daily limit", "giới hạn hằng ngày"),
    ],
)
def test_the_glossary_terms_are_used(english: str, term: str) -> None:
    assert term.casefold() in table()[english].casefold()


def test_the_health_reminder_is_the_decrees_wording() -> None:
    assert table()[REMINDER_EN] == REMINDER_VI
    assert REMINDER_VI == "Chơi quá 180 phút một ngày sẽ ảnh hưởng xấu đến sức khỏe"
