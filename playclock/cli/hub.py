"""playclock hub: set up (`hub init`) and serve (`hub serve`) the family hub."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from agent.exit_codes import ExitCode
from agent.i18n import _
from playclock.cli.common import Subcommands, error

__all__ = ["cmd_hub_init", "cmd_hub_serve", "register"]

SMTP_PASSWORD_ENV = "PLAYCLOCK_SMTP_PASSWORD"


def cmd_hub_serve(args: argparse.Namespace) -> int:
    """Run the family hub in the foreground."""
    from sync.hub import serve

    return int(serve(args.db, args.listen, ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key,
                     access_log=args.access_log, config_path=args.hub_config))


def _ask(prompt: str, given: str | None) -> str | None:
    if given is not None or not sys.stdin.isatty():
        return given
    answer = input(prompt).strip()
    return answer or None


def _password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty() or not args.email:
        return None
    first = getpass.getpass(_("Password for {email} (at least 8 characters): ").format(
        email=args.email))
    if getpass.getpass(_("The same password again: ")) != first:
        error(_("the two passwords differ"))
        raise SystemExit(ExitCode.USAGE)
    return first


def cmd_hub_init(args: argparse.Namespace) -> int:
    """Create the hub's database, VAPID keys and hub.toml, and the first family if asked."""
    from sync.hub.config import SmtpSettings
    from sync.hub.setup import InitRequest, init_hub

    args.family = _ask(_("Family name (empty: none yet): "), args.family)
    if args.family:
        args.email = _ask(_("First parent's e-mail: "), args.email)
    password = _password(args) if args.family and args.email else None
    if args.family and args.email and not password:
        error(_("a password is needed for the first parent: --password-stdin, or run this "
                "in a terminal"))
        return ExitCode.USAGE
    smtp = None
    if args.smtp_host:
        smtp = SmtpSettings(host=args.smtp_host, port=args.smtp_port,
                            security=args.smtp_security,
                            sender=args.smtp_from or SmtpSettings.sender,
                            username=args.smtp_user,
                            password=os.environ.get(SMTP_PASSWORD_ENV) or None)
    try:
        made = init_hub(InitRequest(
            data_dir=Path(args.data_dir) if args.data_dir else None, db_url=args.db,
            listen=args.listen, public_url=args.public_url, family_name=args.family,
            parent_email=args.email, parent_password=password, parent_name=args.parent_name,
            smtp=smtp, push_subject=args.push_subject))
    except ValueError as exc:
        error(str(exc))
        return ExitCode.USAGE
    except OSError as exc:
        error(_("cannot set up the hub: {why}").format(why=exc))
        return ExitCode.FAIL
    print(_("Hub settings: {path}").format(path=made.config_path))
    print(_("Web Push keys: {path}").format(path=made.push_key_path) + (
        "" if made.created_keys else " " + _("(kept)")))
    if made.family_id is not None:
        print(_("Family {id} is ready; its parent logs in with {email}.").format(
            id=made.family_id, email=(args.email or "").lower()))
    print(_("Start it with 'playclock hub serve', then open {url} on a parent's phone.").format(
        url=made.app_url))
    return ExitCode.OK


def register(sub: Subcommands) -> None:
    """`hub init`, `hub serve`."""
    hub = sub.group("hub", _("the self-hostable family hub"))
    init = hub.command("init", cmd_hub_init,
                       _("create the hub's database, keys, settings and first family"))
    init.add_argument("--db", metavar="URL",
                      help=_("sqlite:///PATH (default: in the data dir) or postgresql://..."))
    init.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:7380")
    init.add_argument("--public-url", metavar="URL",
                      help=_("the address parents open, e.g. https://hub.example.vn"))
    init.add_argument("--family", metavar="NAME", help=_("the first family's name"))
    init.add_argument("--email", metavar="EMAIL", help=_("the first parent's e-mail"))
    init.add_argument("--parent-name", metavar="NAME")
    init.add_argument("--password-stdin", action="store_true",
                      help=_("read the first parent's password from one line on stdin"))
    init.add_argument("--smtp-host", metavar="HOST", help=_("send e-mail notifications here"))
    init.add_argument("--smtp-port", metavar="PORT", type=int, default=587)
    init.add_argument("--smtp-security", choices=("starttls", "tls", "none"),
                      default="starttls")
    init.add_argument("--smtp-user", metavar="USER",
                      help=_("SMTP login (its password from ${env})").format(
                          env=SMTP_PASSWORD_ENV))
    init.add_argument("--smtp-from", metavar="ADDRESS")
    init.add_argument("--push-subject", metavar="mailto:ADDRESS",
                      default="mailto:admin@localhost",
                      help=_("the contact Web Push services see"))
    serve = hub.command("serve", cmd_hub_serve, _("serve the family hub"))
    serve.add_argument("--db", metavar="URL")
    serve.add_argument("--listen", metavar="HOST:PORT",
                       help=_("default: hub.toml's, else 127.0.0.1:7380"))
    serve.add_argument("--config", dest="hub_config", metavar="FILE", type=Path,
                       help=_("hub.toml (default: the one in the data dir)"))
    serve.add_argument("--tls-cert", metavar="FILE")
    serve.add_argument("--tls-key", metavar="FILE")
    serve.add_argument("--access-log", action="store_true")
