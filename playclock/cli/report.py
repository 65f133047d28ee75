"""`playclock report`: the week's report for the terminal or a file."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import unicodedata
from pathlib import Path

from agent.exit_codes import ExitCode
from agent.i18n import LANGUAGES, _, resolve
from agent.ledger.memory import MemoryLedger
from agent.ledger.sqlite import SqliteLedger
from agent.ledger.store import Ledger, LedgerError
from agent.platform import paths
from agent.platform.timezone import resolve_timezone
from agent.reports.build import UnknownChild, build_report
from agent.reports.iso_weeks import last_complete_week, parse_week, week_of
from agent.reports.model import Report
from agent.reports.render_html import render_html
from agent.reports.render_tabular import render_csv, render_json
from agent.reports.render_text import render_text
from playclock.cli.common import Subcommands, error, load_source
from rules.model import Config
from rules.timeutil import day_of

__all__ = ["cmd_report", "pick_language", "register", "render"]





def pick_language(flag: str | None, config: Config) -> str:
    """--lang, then $PLAYCLOCK_LANG, then the rules' locale, then the OS."""
    if flag in LANGUAGES:
        return str(flag)
    env = os.environ.get("PLAYCLOCK_LANG")
    return resolve(env) if env else resolve(config.settings.locale)


def render(report: Report, fmt: str, lang: str) -> str:
    """The report in a format: "html", "csv", "json" or "text"."""
    if fmt == "html":
        return render_html(report, lang)
    if fmt == "csv":
        return render_csv(report)
    if fmt == "json":
        return render_json(report)
    return render_text(report, lang)


def _open_ledger(data: Path) -> Ledger:
    db = data / "ledger.sqlite"
    try:
        db.stat()
    except FileNotFoundError:
        return MemoryLedger()  # nothing recorded yet
    except OSError as exc:
        raise LedgerError(_unreadable(db, exc)) from None
    if not os.access(db, os.R_OK):
        raise LedgerError(_unreadable(db, PermissionError(13, os.strerror(13))))
    return SqliteLedger(db)


def _data_dir(args: argparse.Namespace) -> Path:
    """The data directory; the installed agent's even when this account cannot read it."""
    data = paths.data_dir(args.data_dir)
    system = Path("/var/lib/playclock")
    explicit = args.data_dir or os.environ.get("PLAYCLOCK_DATA_DIR")
    if not explicit and data != system and system.is_dir() and paths.system_config() is not None:
        return system  # not the user's empty folder: the report would show only zeros
    return data


def _unreadable(db: Path, exc: OSError) -> str:
    return _(
        "cannot read the ledger {path} ({error}): the installed agent's data is readable by "
        "root only; run it as an administrator, such as 'sudo playclock report'"
    ).format(path=db, error=exc.strerror or exc)


def cmd_report(args: argparse.Namespace) -> int:
    """Print or write the weekly report; exit 2 for a bad week or an unknown child."""
    source = load_source(args)
    config = source.config
    if config is None:
        for issue in source.error or []:
            print(issue.format(_), file=sys.stderr)
        return ExitCode.USAGE
    try:
        tz = resolve_timezone(config.settings.timezone)
    except ValueError:
        error(_("unknown time zone {tz!r} in the rules").format(tz=config.settings.timezone))
        return ExitCode.USAGE
    today = day_of(dt.datetime.now(tz), config.settings.day_starts)
    if not args.week:
        week = week_of(today)  # the week so far: its header says so
    elif args.week.strip().lower() == "last":
        week = last_complete_week(today)
    else:
        try:
            week = parse_week(args.week)
        except ValueError:
            error(_("bad week {week!r}: use YYYY-Www, such as 2026-W43").format(week=args.week))
            return ExitCode.USAGE
    if args.child:
        args.child = unicodedata.normalize("NFC", args.child)
    if args.child and config.child(args.child) is None:
        names = ", ".join(c.name for c in config.children)
        error(
            _("unknown child {name!r} (the rules name: {names})").format(
                name=args.child, names=names
            )
        )
        return ExitCode.USAGE
    try:
        ledger = _open_ledger(_data_dir(args))
    except LedgerError as exc:
        error(str(exc))
        return ExitCode.FAIL
    try:
        report = build_report(ledger, config, week, args.child, tz)
    except UnknownChild:  # the rules changed under us
        error(_("unknown child {name!r}").format(name=args.child))
        return ExitCode.USAGE
    finally:
        ledger.close()
    text = render(report, args.format, pick_language(getattr(args, "lang", None), config))
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            error(f"{args.out}: {exc.strerror or exc}")
            return ExitCode.FAIL
        print(_("Report written to {path}").format(path=args.out), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return ExitCode.OK


def register(sub: Subcommands) -> None:
    """`report`."""
    rep = sub.command("report", cmd_report, _("weekly usage report"))
    rep.add_argument(
        "--week",
        metavar="YYYY-Www|last",
        help=_("the week (default: this week so far; 'last': the last full week)"),
    )
    rep.add_argument("--child")
    rep.add_argument("--format", choices=("html", "csv", "json", "text"), default="text")
    rep.add_argument("--out", metavar="FILE")
    rep.add_argument("--lang", choices=("vi", "en"))
