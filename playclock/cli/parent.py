"""The parent's commands: the PIN (set, verify, reset), and grant and pause through the agent."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import sys
from collections.abc import Callable
from typing import Any

from agent.api_client import AgentClient, AgentUnavailable, ApiRefused, base_url
from agent.exit_codes import ExitCode
from agent.i18n import _
from agent.i18n.limit_text import capped_note, grant_note
from agent.i18n.titles import limit_title
from agent.ledger.sqlite import SqliteLedger
from agent.ledger.store import Event
from agent.platform import paths
from agent.platform.listener import impostor
from agent.security.pin.errors import LockedOut, PinError
from agent.security.pin.lockout import FileLockoutStore
from agent.security.pin.manager import PinManager, keyring_store
from agent.security.secret_store import SecretStoreError
from playclock.cli.common import Handler, Subcommands, error, load_source, report_issues

__all__ = [
    "cmd_grant",
    "cmd_pause",
    "cmd_pin_reset",
    "cmd_pin_set",
    "cmd_pin_verify",
    "pins_for",
    "read_pin_change",
    "read_secret",
    "register",
]


# -- PIN ----------------------------------------------------------------------------------


def read_secret(prompt: str, *, confirm: bool = False) -> str:
    """A PIN from the terminal (not echoed), or one line of stdin when it is not a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass(_("Again: ")) != value:
        raise ValueError(_("the two PINs differ"))
    return value


def pins_for(args: argparse.Namespace) -> PinManager:
    """The PIN manager the commands use, logging its tries into the ledger."""
    data = paths.data_dir(args.data_dir)
    # First: with no keyring, its one message and nothing written.
    store = keyring_store(data_dir=data)
    data.mkdir(parents=True, exist_ok=True)
    ledger = SqliteLedger(data / "ledger.sqlite")

    def log(event: str, fields: dict[str, Any]) -> None:
        ledger.add_event(Event(event, dt.datetime.now(dt.UTC), detail=fields, actor="cli"))

    return PinManager(store, FileLockoutStore(data / "pin-lockout.json"), log=log)


def _pin_errors(func: Handler) -> Handler:
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except (PinError, SecretStoreError, ValueError) as exc:
            error(str(exc))
            return ExitCode.LOCKED if isinstance(exc, LockedOut) else ExitCode.FAIL

    return wrapped


class PinInputError(ValueError):
    """The PINs on stdin are not what `pin set` expects."""


def stdin_form(is_set: bool) -> str:
    """What `pin set` expects on stdin, with an example."""
    if is_set:
        return _(
            "A PIN is already set: give the current PIN, then the new PIN twice, one per line "
            "(printf '%s\\n' CURRENT NEW NEW | playclock pin set)."
        )
    return _(
        "Give the new PIN, once or twice, one per line "
        "(printf '%s\\n' NEW NEW | playclock pin set)."
    )


def read_pin_change(is_set: bool) -> tuple[str | None, str]:
    """(current PIN or None, new PIN): from the terminal, or from stdin's lines.

    On stdin: CURRENT, NEW, NEW when a PIN is set; NEW (and NEW again) when none is.
    """
    if sys.stdin.isatty():
        old = read_secret(_("Current PIN: ")) if is_set else None
        return old, read_secret(_("New PIN: "), confirm=True)
    lines = [line.rstrip("\r\n") for line in sys.stdin.readlines()]
    while lines and not lines[-1]:
        lines.pop()
    if is_set:
        if len(lines) != 3 or not all(lines):
            raise PinInputError(stdin_form(True))
        old, new, again = lines
    else:
        if len(lines) not in (1, 2) or not lines[0]:
            raise PinInputError(stdin_form(False))
        old, new, again = None, lines[0], lines[-1]
    if new != again:
        raise PinInputError(_("the two PINs differ") + ". " + stdin_form(is_set))
    return old, new


@_pin_errors
def cmd_pin_set(args: argparse.Namespace) -> int:
    """Set the PIN; changing it needs the current one first."""
    pins = pins_for(args)
    try:
        old, new = read_pin_change(pins.is_set())
    except PinInputError as exc:
        error(str(exc))
        return ExitCode.USAGE
    try:
        pins.set_pin(new, old)
    finally:
        pins.flush()  # a try refused while locked out is logged before this process ends
    print(_("PIN saved."))
    return ExitCode.OK


@_pin_errors
def cmd_pin_verify(args: argparse.Namespace) -> int:
    """Check a PIN: 0 right, 1 wrong, 3 locked out."""
    pins = pins_for(args)
    try:
        result = pins.verify(read_secret(_("PIN: ")))
    finally:
        pins.flush()  # a try refused while locked out is logged before this process ends
    if result.status.value == "locked":
        error(
            _("locked out for {seconds} s after too many wrong PINs").format(
                seconds=int(result.seconds_left) + 1
            )
        )
    elif result.status.value == "wrong":
        error(_("wrong PIN"))
    return int(result.status.exit_code)


@_pin_errors
def cmd_pin_reset(args: argparse.Namespace) -> int:
    """Forget the PIN (root or Administrator only); a new one can then be set."""
    pins_for(args).admin_reset()
    print(_("PIN removed. Set a new one with 'playclock pin set'."))
    return ExitCode.OK


# -- parent actions through the agent -----------------------------------------------------


def _client_and_child(args: argparse.Namespace) -> tuple[AgentClient, str] | int:
    source = load_source(args)
    if source.config is None:
        return report_issues(source)
    names = [c.name for c in source.config.children]
    child = args.child or (names[0] if len(names) == 1 else None)
    if child is None:
        error(_("name the child with --child ({names})").format(names=", ".join(names)))
        return ExitCode.USAGE
    client = AgentClient(base_url(source.config.settings.listen))
    problem = impostor(client.url, agent_is_root=paths.agent_is_root(source.path))
    if problem:  # never send the PIN to a program of the child's that took the address
        error(problem)
        return ExitCode.FAIL
    return client, child


def _parent_call(
    args: argparse.Namespace, call: Callable[[AgentClient, str, str], object]
) -> int:
    got = _client_and_child(args)
    if isinstance(got, int):
        return got
    client, child = got
    try:
        call(client, child, read_secret(_("Parent PIN: ")))
    except AgentUnavailable as exc:
        error(str(exc))
        return ExitCode.FAIL
    except ApiRefused as exc:
        error(str(exc))
        if exc.status == 423:
            return ExitCode.LOCKED
        return ExitCode.USAGE if exc.status in (400, 422) else ExitCode.FAIL
    return ExitCode.OK


def _grant_target(child: dict[str, Any] | None, target: str) -> str:
    """What a grant went to, as people read it ("Trò chơi", not "games")."""
    if target == "*":
        return _("every limit")
    row = next((r for r in (child or {}).get("limits", []) if r["id"] == target), None)
    return limit_title(row["kind"], row["id"], row["title"]) if row else target


def cmd_grant(args: argparse.Namespace) -> int:
    """Bonus minutes for today, through the agent."""
    target = "*" if args.target == "all" else args.target

    def call(client: AgentClient, child: str, pin: str) -> None:
        answer = client.grant(child, target, args.minutes, pin=pin)
        granted = answer.get("granted") if isinstance(answer, dict) else None
        found, note = None, None
        with contextlib.suppress(AgentUnavailable, ApiRefused):
            doc = client.status()
            found = next((c for c in doc["children"] if c["name"] == child), None)
            # Another limit may keep the time from being usable: say so.
            note = found and (
                capped_note(found, target, dt.date.fromisoformat(doc["day"]))
                or grant_note(found, granted)
            )
        print(
            _("{child}: {minutes} min added to {target} for today.").format(
                child=child, minutes=args.minutes, target=_grant_target(found, target)
            )
        )
        if note:
            print(note)

    return _parent_call(args, call)


def cmd_pause(args: argparse.Namespace) -> int:
    """Pause or resume limits for today, through the agent."""
    paused = args.command == "pause"

    def call(client: AgentClient, child: str, pin: str) -> None:
        client.pause(child, paused, pin=pin)
        print(
            (
                _("{child}: limits paused for today.") if paused else _("{child}: limits resumed.")
            ).format(child=child)
        )

    return _parent_call(args, call)


def register(sub: Subcommands) -> None:
    """`pin set|verify|reset`, `grant`, `pause` and `resume`."""
    pin = sub.group("pin", _("set, check or reset the parent PIN"))
    pin.command("set", cmd_pin_set, _("set or change the PIN"))
    pin.command("verify", cmd_pin_verify, _("check a PIN: exit 0 right, 1 wrong, 3 locked out"))
    pin.command("reset", cmd_pin_reset, _("forget the PIN (administrator only)"))
    grant = sub.command("grant", cmd_grant, _("bonus time for today (asks for the PIN)"))
    grant.add_argument("target", help=_('an app, a category, "total", "screen", or "all"'))
    grant.add_argument("minutes", type=int)
    grant.add_argument("--child")
    for name, helptext in (
        ("pause", _("pause limits for the rest of today (asks for the PIN)")),
        ("resume", _("resume paused limits (asks for the PIN)")),
    ):
        sub.command(name, cmd_pause, helptext).add_argument("--child")
