"""One language rule for every command: PLAYCLOCK_LANG, the rules' locale, the OS (item 12)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.agentproc import playclock_argv
from tests.support.hubserver import free_port

RULES = """\
version = 1
[settings]
locale = "{locale}"
listen = "127.0.0.1:{port}"

[[child]]
name = "An"
accounts = ["an-playclock-test"]

[child.limits.total]
daily = 60
"""


def playclock(tmp_path: Path, locale: str, *args: str, lang: str | None = None) -> str:
    rules = tmp_path / f"rules-{locale}.toml"
    rules.write_text(RULES.format(locale=locale, port=free_port()), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAYCLOCK_")}
    env.update(LANGUAGE="en", LC_ALL="C.UTF-8")
    if lang:
        env["PLAYCLOCK_LANG"] = lang
    argv = [*playclock_argv(), "--config", str(rules), "--data-dir", str(tmp_path / "d"), *args]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def test_status_follows_the_rules_locale_like_the_report(tmp_path: Path) -> None:
    vi = playclock(tmp_path, "vi", "status")
    assert "dịch vụ không chạy" in vi and "Tổng thời gian sử dụng" in vi, vi
    report = playclock(tmp_path, "vi", "report", "--format", "text")
    assert "Tổng thời gian sử dụng" in report or "Báo cáo" in report, report
    en = playclock(tmp_path, "en", "status")
    assert "agent not running" in en and "Total screen time" in en


def test_playclock_lang_still_wins_and_help_is_translated(tmp_path: Path) -> None:
    assert "agent not running" in playclock(tmp_path, "vi", "status", lang="en")
    assert "Total screen time" in playclock(tmp_path, "vi", "status", lang="en")
    usage = playclock(tmp_path, "vi", "--help")
    assert "Mã thoát: 0 thành công" in usage, usage


ARGPARSE_ENGLISH = (
    "usage:",
    "options:",
    "positional arguments",
    "show this help message and exit",
    "error:",
    "the following arguments are required",
    "invalid choice",
    "invalid int value",
    "unrecognized arguments",
)


def test_argparse_speaks_vietnamese_too(tmp_path: Path) -> None:
    """`LANG=vi_VN.UTF-8 playclock --help` and bad commands: none of argparse's English."""
    rules = tmp_path / "rules.toml"  # no locale of its own: the OS decides
    rules.write_text(RULES.replace('locale = "{locale}"\n', "").format(port=free_port()))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PLAYCLOCK_", "LC_")) and k != "LANGUAGE"
    }
    env["LANG"] = "vi_VN.UTF-8"
    base = [*playclock_argv(), "--config", str(rules), "--data-dir", str(tmp_path / "d")]
    for args, code in (
        (["--help"], 0),
        (["grant", "--help"], 0),
        (["rules", "--help"], 0),
        (["frob"], 2),
        (["grant"], 2),
        (["grant", "total", "ten"], 2),
        (["status", "--bogus"], 2),
    ):
        done = subprocess.run(
            [*base, *args], env=env, capture_output=True, text=True, timeout=60
        )
        out = done.stdout + done.stderr
        assert done.returncode == code, out
        assert "cách dùng: playclock" in out, out
        english = [w for w in ARGPARSE_ENGLISH if w in out]
        assert not english, f"{args}: {english}\n{out}"
    help_text = subprocess.run(
        [*base, "status", "--help"], env=env, capture_output=True, text=True, timeout=60
    ).stdout
    assert "tùy chọn:" in help_text and "hiện trợ giúp này rồi thoát" in help_text, help_text
    bad = subprocess.run([*base, "frob"], env=env, capture_output=True, text=True, timeout=60)
    assert "lựa chọn không hợp lệ: 'frob'" in bad.stderr, bad.stderr


def test_rules_check_speaks_the_language_of_the_file_it_checks(tmp_path: Path) -> None:
    """`rules check FILE`: FILE's `settings.locale` is "the rules" of the one language rule."""
    english = tmp_path / "rules-en.toml"  # what --config names: English
    english.write_text(RULES.format(locale="en", port=free_port()), encoding="utf-8")
    draft = tmp_path / "draft.toml"
    draft.write_text(
        RULES.format(locale="vi", port=free_port()).replace("= 60", "= 60\ndaily_x = 5"),
        encoding="utf-8",
    )
    good = tmp_path / "good.toml"
    good.write_text(RULES.format(locale="vi", port=free_port()), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAYCLOCK_")}
    env.update(LANGUAGE="en", LC_ALL="C.UTF-8")

    def check(path: Path, lang: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = [*playclock_argv(), "--config", str(english), "rules", "check", str(path)]
        extra = {"PLAYCLOCK_LANG": lang} if lang else {}
        return subprocess.run(
            argv, env={**env, **extra}, capture_output=True, text=True, timeout=60
        )

    broken = check(draft)
    assert broken.returncode == 2
    assert "daily_x" in broken.stderr and "unknown" not in broken.stderr, broken.stderr
    assert "daily_x: tên trường không xác định" in broken.stderr, broken.stderr
    fine = check(good)
    assert fine.returncode == 0 and ": OK:" not in fine.stdout, fine.stdout
    assert "trẻ" in fine.stdout, fine.stdout
    # $PLAYCLOCK_LANG still wins over the file.
    assert "unknown" in check(draft, lang="en").stderr.casefold()
    assert ": OK:" in check(good, lang="en").stdout
