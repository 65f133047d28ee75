"""The `playclock` command line: parsing, then one function per command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from agent.exit_codes import ExitCode
from agent.i18n import _, resolve, set_language

__all__ = ["build_parser", "main"]



class _Parser(argparse.ArgumentParser):
    """argparse with the design's exit code 2 and one clear line on bad usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"playclock: {message}", file=sys.stderr)
        raise SystemExit(ExitCode.USAGE)


def _cmd(name: str) -> Callable[[argparse.Namespace], int]:
    """A command's function, imported when it runs (the tray or hub pull in heavy libraries)."""

    def call(args: argparse.Namespace) -> int:
        module, _sep, func = name.partition(":")
        mod = __import__(module, fromlist=[func])
        return int(getattr(mod, func)(args))

    return call


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    p = _Parser(
        prog="playclock",
        description=_("PlayClock: screen-time limits for children, kept on this computer."),
        epilog=_(
            "Exit codes: 0 ok, 1 a negative answer or a failure, 2 bad input. "
            "Help for children: call 111 (free, 24/7)."
        ),
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help=_("rules file (default: $PLAYCLOCK_CONFIG, else the usual places)"),
    )
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help=_("where the ledger lives (default: $PLAYCLOCK_DATA_DIR, else the usual place)"),
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)

    def add(name: str, target: str, help_text: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.set_defaults(func=_cmd(target))
        return sp

    add(
        "run",
        "playclock.cli.common:cmd_run",
        _("run the agent, and the tray when there is a display (the main job)"),
    )
    add("agent", "playclock.cli.common:cmd_agent", _("run the agent alone in the foreground"))
    tray = add("tray", "playclock.cli.tray:cmd_tray", _("run the tray icon alone"))
    tray.add_argument("--url", help=_("the agent's address (default: from the rules)"))
    st = add("status", "playclock.cli.common:cmd_status", _("today's usage, limits and time left"))
    st.add_argument("--json", action="store_true", help=_("print the status document"))

    rules = sub.add_parser("rules", help=_("check rules, list presets and the catalogue"))
    rsub = rules.add_subparsers(
        dest="rules_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    chk = rsub.add_parser("check", help=_("validate a rules file"))
    chk.add_argument("file", nargs="?")
    chk.set_defaults(func=_cmd("playclock.cli.common:cmd_rules_check"))
    rsub.add_parser("presets", help=_("list the built-in presets")).set_defaults(
        func=_cmd("playclock.cli.common:cmd_rules_presets")
    )
    pre = rsub.add_parser("preset", help=_("print a preset as a complete rules file"))
    pre.add_argument("name")
    pre.set_defaults(func=_cmd("playclock.cli.common:cmd_rules_preset"))
    rsub.add_parser("catalog", help=_("list the games and apps PlayClock knows")).set_defaults(
        func=_cmd("playclock.cli.common:cmd_rules_catalog")
    )
    rsub.add_parser("example", help=_("print the example rules file")).set_defaults(
        func=_cmd("playclock.cli.common:cmd_rules_example")
    )

    pin = sub.add_parser("pin", help=_("set, check or reset the parent PIN"))
    psub = pin.add_subparsers(
        dest="pin_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    psub.add_parser("set", help=_("set or change the PIN")).set_defaults(
        func=_cmd("playclock.cli.parent:cmd_pin_set")
    )
    psub.add_parser(
        "verify", help=_("check a PIN: exit 0 right, 1 wrong, 3 locked out")
    ).set_defaults(func=_cmd("playclock.cli.parent:cmd_pin_verify"))
    psub.add_parser("reset", help=_("forget the PIN (administrator only)")).set_defaults(
        func=_cmd("playclock.cli.parent:cmd_pin_reset")
    )

    grant = add(
        "grant", "playclock.cli.parent:cmd_grant", _("bonus time for today (asks for the PIN)")
    )
    grant.add_argument("target", help=_('an app, a category, "total", or "all"'))
    grant.add_argument("minutes", type=int)
    grant.add_argument("--child")
    for name, helptext in (
        ("pause", _("pause limits for the rest of today (asks for the PIN)")),
        ("resume", _("resume paused limits (asks for the PIN)")),
    ):
        sp = add(name, "playclock.cli.parent:cmd_pause", helptext)
        sp.add_argument("--child")

    rep = add("report", "playclock.cli.report:cmd_report", _("weekly usage report"))
    rep.add_argument("--week", metavar="YYYY-Www")
    rep.add_argument("--child")
    rep.add_argument("--format", choices=("html", "csv", "json", "text"), default="text")
    rep.add_argument("--out", metavar="FILE")
    rep.add_argument("--lang", choices=("vi", "en"))

    sync = sub.add_parser("sync", help=_("family-account sync (off until a parent turns it on)"))
    ssub = sync.add_subparsers(
        dest="sync_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    pair = ssub.add_parser("pair", help=_("pair this computer with a family hub"))
    pair.add_argument("url")
    pair.add_argument("code")
    pair.add_argument("--parent-name", help=_("who gives consent"))
    pair.add_argument(
        "--child-consent",
        action="append",
        default=[],
        metavar="NAME",
        help=_("a child 7 or older who agreed (repeat for each)"),
    )
    pair.add_argument("--ca-bundle", metavar="FILE")
    pair.set_defaults(func=_cmd("playclock.cli.sync:cmd_pair"))
    consent = ssub.add_parser(
        "consent", help=_("record one child's consent to sync, or withdraw it")
    )
    consent.add_argument("child", metavar="CHILD")
    consent.add_argument("--parent-name", help=_("who gives consent"))
    consent.add_argument(
        "--child-agrees",
        action="store_true",
        help=_("the child agreed too (needed from age 7)"),
    )
    consent.add_argument(
        "--withdraw",
        action="store_true",
        help=_("withdraw this child's consent: stop sending, delete their data on the hub"),
    )
    consent.set_defaults(func=_cmd("playclock.cli.sync:cmd_consent"))
    ssub.add_parser("now", help=_("send and fetch now")).set_defaults(func=_cmd("playclock.cli.sync:cmd_now"))
    ssub.add_parser("status", help=_("what is shared and when it was last sent")).set_defaults(
        func=_cmd("playclock.cli.sync:cmd_status")
    )
    ssub.add_parser(
        "withdraw", help=_("withdraw consent: stop sync, delete the hub's data")
    ).set_defaults(func=_cmd("playclock.cli.sync:cmd_withdraw"))

    hub = sub.add_parser("hub", help=_("the self-hostable family hub"))
    hsub = hub.add_subparsers(
        dest="hub_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    serve = hsub.add_parser("serve", help=_("serve the family hub"))
    serve.add_argument("--db", metavar="URL")
    serve.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:7380")
    serve.set_defaults(func=_cmd("playclock.cli.sync:cmd_hub_serve"))

    inst = add("install", "playclock.cli.install:cmd_install", _("install as a protected service"))
    inst.add_argument("--dry-run", action="store_true")
    inst.add_argument("--root", metavar="DIR")
    inst.add_argument("--os", choices=("linux", "windows", "macos"), dest="os_name")
    un = add("uninstall", "playclock.cli.install:cmd_uninstall", _("remove the service (asks for the PIN)"))
    un.add_argument("--dry-run", action="store_true")
    un.add_argument("--root", metavar="DIR")
    un.add_argument("--purge", action="store_true", help=_("also delete usage data"))
    un.add_argument("--os", choices=("linux", "windows", "macos"), dest="os_name")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `playclock` script."""
    set_language(resolve(os.environ.get("PLAYCLOCK_LANG")))
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return ExitCode.FAIL
    except BrokenPipeError:
        return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
