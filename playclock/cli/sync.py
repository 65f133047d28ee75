"""`playclock sync pair|consent|now|status|withdraw` and `playclock hub serve`."""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import sys
from pathlib import Path
from typing import Any

import requests

from agent.api_client import base_url
from agent.exit_codes import ExitCode
from agent.i18n import _
from agent.ledger.sqlite import SqliteLedger
from agent.platform import paths
from agent.platform.timezone import resolve_timezone
from agent.security.secret_store import open_store
from playclock.cli.common import Subcommands, error, load_source, report_issues
from sync.agent_job import NOW_PATH, LazySecrets
from sync.client import SyncClient, SyncReport
from sync.consent_flow import (
    NothingToWithdraw,
    NotPaired,
    child_consent,
    find_child,
    is_paired,
    record_consent,
    shared_text,
    waiting_text,
    withdraw_child,
    withdrawals_waiting,
)
from sync.consent_records import (
    MESSAGES,
    SHARES_ALL,
    ChildInfo,
    ConsentMissing,
    make_consents,
    needs_child_consent,
    share_labels,
)
from sync.error_messages import error_text
from sync.pairing import AlreadyPaired, Secrets, pair, withdraw
from sync.state import TOKEN_NAME, SyncStore
from sync.status_info import sync_info
from sync.transport import HubError, check_url, new_session, pairing_session

__all__ = [
    "cmd_consent",
    "cmd_now",
    "cmd_pair",
    "cmd_status",
    "cmd_withdraw",
    "open_secrets",
    "print_report",
    "register",
]

# The HTTP sessions used (tests swap in quicker retries).
session_factory = new_session
pairing_session_factory = pairing_session


def open_secrets(data_dir: Path | None = None) -> Secrets:
    """The OS keyring, opened when first used (a root file keyring in the data directory)."""
    return LazySecrets(lambda: open_store(data_dir=data_dir))


def _data(args: argparse.Namespace) -> Path:
    """The data directory the command works on."""
    return paths.data_dir(args.data_dir)


def _ledger(args: argparse.Namespace) -> SqliteLedger:
    data = paths.data_dir(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    return SqliteLedger(data / "ledger.sqlite")


def _what_is_shared() -> str:
    lines = [_("Sharing sends these summaries, per child and day, to the family hub:")]
    lines += [f"  - {label}" for label in share_labels(SHARES_ALL)]
    lines.append(_("Only when asked for in particular, and agreed by the parent and by the "
                   "child from 7:"))
    lines += [f"  - {label}" for label in share_labels([MESSAGES])]
    lines.append(_("Nothing else leaves this computer: no window titles, web addresses, "
                   "command lines or file paths."))
    return "\n".join(lines)


def _ask_messages(kid: ChildInfo, now: dt.datetime, child_agrees: bool) -> tuple[bool, bool]:
    """(the parent's yes, the child's yes) to sharing the words of the child's requests."""
    parent = _yes(_("Share the words of {child}'s requests for more time too? [y/N] ").format(
        child=kid.name))
    if not parent or not needs_child_consent(kid.birth_year, now) or not child_agrees:
        return parent, False
    return parent, _yes(_("Does {child} agree to share the words of their requests too? "
                          "[y/N] ").format(child=kid.name))


def _words_not_shared(kids: list[ChildInfo], wanted: set[str], shares: dict[str, list[str]]
                      ) -> None:
    """Tell who the parent wanted the words of but did not agree (so they stay here)."""
    for kid in kids:
        if kid.name.casefold() in wanted and MESSAGES not in shares.get(kid.name, []):
            print(_("The words of {child}'s requests stay on this computer: {child} did not "
                    "agree to share them.").format(child=kid.name))


def _yes(prompt: str) -> bool:
    try:
        return input(prompt).strip().casefold() in ("y", "yes", "c", "có", "co")
    except EOFError:
        return False


def cmd_pair(args: argparse.Namespace) -> int:
    """Record consent (the parent's, and each child's from 7), then pair and turn sync on."""
    try:
        url = check_url(args.url)
    except ValueError as exc:
        error(str(exc))
        return ExitCode.USAGE
    ca_bundle = getattr(args, "ca_bundle", None)
    if ca_bundle and not Path(ca_bundle).is_file():
        error(_("no CA bundle file at {path}").format(path=ca_bundle))
        return ExitCode.USAGE
    source = load_source(args)
    if source.config is None:
        return report_issues(source)
    kids = [ChildInfo(c.name, c.birth_year) for c in source.config.children]
    if not kids:
        error(_("the rules name no child, so there is nothing to share"))
        return ExitCode.USAGE
    tty = sys.stdin.isatty()
    now = dt.datetime.now().astimezone()
    parent = (args.parent_name or "").strip()
    agreed = list(args.child_consent or [])
    words = list(getattr(args, "share_messages", None) or [])
    child_words = list(getattr(args, "child_shares_messages", None) or [])
    if tty:
        print(_what_is_shared())
        if not parent:
            parent = input(_("Name of the parent or guardian who agrees: ")).strip()
        for kid in kids:
            asked = {a.casefold() for a in agreed}
            question = _("Does {child} agree to share this? [y/N] ").format(child=kid.name)
            needed = needs_child_consent(kid.birth_year, now) and kid.name.casefold() not in asked
            if needed and _yes(question):
                agreed.append(kid.name)
            agrees = kid.name.casefold() in {a.casefold() for a in agreed}
            asked_words = kid.name.casefold() in {w.casefold() for w in words}
            if not asked_words and (agrees or not needs_child_consent(kid.birth_year, now)):
                yes_parent, yes_child = _ask_messages(kid, now, agrees)
                words += [kid.name] if yes_parent else []
                child_words += [kid.name] if yes_child else []
    if not parent:
        error(_("a parent's or guardian's consent is needed: give --parent-name NAME"))
        return ExitCode.USAGE
    try:
        consents = make_consents(kids, parent, agreed, now, messages=words,
                                 child_messages=child_words)
    except ConsentMissing as exc:
        error(str(exc))
        return ExitCode.USAGE
    _words_not_shared(kids, {w.casefold() for w in words},
                      {c.child: c.shares for c in consents.values()})
    secrets = open_secrets(_data(args))
    try:
        secrets.get(TOKEN_NAME)  # open the keyring now: pair only when the token can be kept
    except Exception as exc:
        error(str(exc))
        return ExitCode.FAIL
    ledger = _ledger(args)
    try:
        result = pair(SyncStore(ledger), ledger, secrets, url, args.code, consents,
                      device_name=(socket.gethostname() or "PlayClock")[:100],
                      ca_bundle=ca_bundle, session_factory=pairing_session_factory)
    except AlreadyPaired as exc:
        error(str(exc))
        return ExitCode.FAIL
    except HubError as exc:
        error(_("pairing failed: {why}").format(why=str(exc) or error_text(exc.code)))
        return ExitCode.FAIL
    except Exception as exc:  # the keyring (SecretStoreError) and the like
        error(_("pairing failed: {why}").format(why=exc))
        return ExitCode.FAIL
    finally:
        ledger.close()
    print(_("Paired with {url} as device {device}. Shared: {children}.").format(
        url=url, device=result.device_id, children=", ".join(result.children)))
    print(_("Summaries are sent every 5 minutes while the agent runs; "
            "'playclock sync now' sends them at once."))
    return ExitCode.OK


def print_report(report: dict[str, Any]) -> None:
    """A run's report for people."""
    if report.get("skipped") == "disabled" and not report.get("error"):
        print(_("Sync is off: nothing was sent."))
        return
    if report.get("skipped") == "no_consent":
        print(_("No child is shared under a valid consent: nothing was sent."))
    sent = report.get("sent") or []
    print(_("Sent {n} day summaries; {m} were already up to date.").format(
        n=len(sent), m=report.get("unchanged", 0)))
    for child, day in sent:
        print(f"  {child} {day}")
    if report.get("applied") or report.get("rejected"):
        print(_("Parent commands: {applied} applied, {rejected} refused.").format(
            applied=len(report.get("applied") or []), rejected=len(report.get("rejected") or [])))
    if report.get("forwarded"):
        print(_("Requests for more time sent to the parents: {n}.").format(
            n=len(report["forwarded"])))
    pending = report.get("pending") or []
    if pending:
        print(_("Still to send: {days}.").format(days=", ".join(f"{c} {d}" for c, d in pending)))
    for note in report.get("notes") or []:
        if note.startswith("child_consent_needed:"):
            print(_("{child} is 7 or older now and must agree too; until then nothing about "
                    "{child} is sent.").format(child=note.split(":", 1)[1]))
    if report.get("error"):
        error(error_text(report["error"]))


def _ask_agent(source: Any) -> dict[str, Any] | None:
    """The running agent's own sync run (it applies commands at once), or None."""

    session = requests.Session()
    session.trust_env = False  # loopback: never through a proxy
    try:
        resp = session.post(base_url(source.config.settings.listen) + NOW_PATH,
                            timeout=(3.0, 300.0))
    except requests.RequestException:
        return None
    finally:
        session.close()
    if resp.status_code != 200:
        return None  # an agent without sync wired in: run here instead
    body: dict[str, Any] = resp.json()
    return body


def cmd_now(args: argparse.Namespace) -> int:
    """Sync once: through the running agent, else here (commands then wait for the agent)."""
    source = load_source(args)
    if source.config is None:
        return report_issues(source)
    done = _ask_agent(source)
    if done is None:
        ledger = _ledger(args)
        try:
            tz = resolve_timezone(source.config.settings.timezone)
            secrets = open_secrets(_data(args))
            client = SyncClient(SyncStore(ledger), ledger, secrets, None, session_factory,
                                lambda: dt.datetime.now(tz),
                                day_starts=source.config.settings.day_starts)
            report: SyncReport = client.run_once()
        finally:
            ledger.close()
        done = report.as_json()
    print_report(done)
    if done.get("skipped") == "disabled" and not done.get("error"):
        return ExitCode.FAIL
    return ExitCode.OK if done.get("ok") else ExitCode.FAIL


def cmd_status(args: argparse.Namespace) -> int:
    """Whether sync is on, with whose consent, what it shares and when it last sent."""
    ledger = _ledger(args)
    try:
        info = sync_info(ledger)
        waiting = withdrawals_waiting(ledger)
    finally:
        ledger.close()
    if not info["enabled"]:
        print(_("Sync: off. Usage stays on this computer."))
        if info["withdraw_pending"]:
            print(_("Consent was withdrawn; the hub has not yet confirmed deleting the data "
                    "(asked again at every run)."))
        if info["last_error"]:
            print(error_text(info["last_error"]))
        return ExitCode.OK
    print(_("Sync: on, with {hub}.").format(hub=info["hub"]))
    for c in info["consents"]:
        line = (
            _("{child}: shared since {when}, with the consent of {parent} and of {child} "
              "({child_when}).")
            if c["child_consented"]
            else _("{child}: shared since {when}, with the consent of {parent}.")
        )
        print(line.format(child=c["child"], when=c["parent_consented_at"],
                          parent=c["parent_name"], child_when=c["child_consented_at"]))
        for label in share_labels(info["shares"].get(c["child"], [])):
            print(f"  - {label}")
    print(_("Nothing else leaves this computer: no window titles, web addresses, "
            "command lines or file paths."))
    print(_("Last sent: {when}").format(when=info["last_sent"] or _("never")))
    if info["pending_days"]:
        print(_("Waiting to be sent: {days}").format(days=", ".join(info["pending_days"])))
    for child in waiting:
        print(_("Consent for {child} was withdrawn; the hub has not yet confirmed deleting the "
                "data (asked again at every run).").format(child=child))
    if info["last_error"]:
        print(_("Last problem: {what}").format(what=error_text(info["last_error"])))
    return ExitCode.OK


def _not_paired() -> int:
    error(_("this computer is not paired with a hub: run 'playclock sync pair' first"))
    return ExitCode.USAGE


def _record_child(args: argparse.Namespace, store: SyncStore, ledger: SqliteLedger) -> int:
    if not is_paired(store.load()):
        return _not_paired()
    source = load_source(args)
    if source.config is None:
        return report_issues(source)
    kid = find_child(source.config.children, args.child)
    if kid is None:
        error(_("no child named {names} in the rules").format(names=args.child))
        return ExitCode.USAGE
    now = dt.datetime.now(resolve_timezone(source.config.settings.timezone))  # as the agent
    parent = (args.parent_name or "").strip()
    agrees = bool(args.child_agrees)
    words = bool(getattr(args, "share_messages", False))
    child_words = bool(getattr(args, "child_shares_messages", False))
    if sys.stdin.isatty():
        print(_what_is_shared())
        if not parent:
            parent = input(_("Name of the parent or guardian who agrees: ")).strip()
        if not agrees and needs_child_consent(kid.birth_year, now):
            agrees = _yes(_("Does {child} agree to share this? [y/N] ").format(child=kid.name))
        if not words and (agrees or not needs_child_consent(kid.birth_year, now)):
            words, child_words = _ask_messages(kid, now, agrees)
    if not parent:
        error(_("a parent's or guardian's consent is needed: give --parent-name NAME"))
        return ExitCode.USAGE
    try:
        consent = child_consent(kid, parent, agrees, now, messages=words,
                                child_messages=child_words)
    except ConsentMissing:
        error(_("{child} must agree too (children aged 7 or more, or of unknown age): ask them, "
               "then give --child-agrees. Nothing was shared.").format(child=kid.name))
        return ExitCode.USAGE
    try:
        failure = record_consent(store, ledger, open_secrets(_data(args)), consent,
                               session_factory=session_factory)
    except NotPaired:
        return _not_paired()
    except HubError as exc:
        error(_("the hub refused the consent for {child}: {why}; nothing was changed").format(
            child=kid.name, why=str(exc) or error_text(exc.code)))
        return ExitCode.FAIL
    _words_not_shared([kid], {kid.name.casefold()} if words else set(),
                      {consent.child: consent.shares})
    if failure is not None:
        error(waiting_text(kid.name, failure, withdrawing=False))
        return ExitCode.FAIL
    print(shared_text(consent))
    return ExitCode.OK


def _withdraw_child(args: argparse.Namespace, store: SyncStore, ledger: SqliteLedger) -> int:
    try:
        failure = withdraw_child(store, ledger, open_secrets(_data(args)), args.child,
                               session_factory=session_factory)
    except NotPaired:
        return _not_paired()
    except NothingToWithdraw:
        config = load_source(args).config
        if find_child(config.children if config else (), args.child) is None:
            error(_("no child named {names} in the rules").format(names=args.child))
            return ExitCode.USAGE
        print(_("{child} is not shared; there is nothing to withdraw.").format(child=args.child))
        return ExitCode.OK
    if failure is not None:
        error(waiting_text(args.child, failure, withdrawing=True))
        return ExitCode.FAIL
    print(_("Consent for {child} withdrawn: nothing more about {child} is sent, and the hub "
            "deleted what this computer sent about {child}.").format(child=args.child))
    return ExitCode.OK


def cmd_consent(args: argparse.Namespace) -> int:
    """Record one child's consent (the parent's, the child's from 7), or withdraw it."""
    ledger = _ledger(args)
    try:
        run = _withdraw_child if args.withdraw else _record_child
        return run(args, SyncStore(ledger), ledger)
    finally:
        ledger.close()


def cmd_withdraw(args: argparse.Namespace) -> int:
    """Withdraw consent: sync stops at once and the hub deletes this computer's data."""
    ledger = _ledger(args)
    try:
        store = SyncStore(ledger)
        state = store.load()
        if not (state.enabled or state.withdraw_pending or state.active_consents()):
            print(_("Sync is not on; there is nothing to withdraw."))
            return ExitCode.OK
        try:
            failure = withdraw(store, ledger, open_secrets(_data(args)), actor="cli",
                             session_factory=session_factory)
        except Exception as exc:  # the keyring could not be opened
            error(_("sync is off, but the hub could not be asked to delete the data yet: "
                   "{why}").format(why=exc))
            return ExitCode.FAIL
    finally:
        ledger.close()
    if failure is None:
        print(_("Consent withdrawn: sync is off and the hub deleted everything this computer "
                "sent."))
        return ExitCode.OK
    if failure == "no_token":
        error(_("sync is off; the hub's key for this computer is missing, so a parent must "
               "remove this computer on the hub to delete its data"))
        return ExitCode.FAIL
    error(_("sync is off; the hub could not be reached ({why}), so the deletion will be asked "
           "for again until the hub confirms it").format(why=error_text(failure)))
    return ExitCode.FAIL


def register(sub: Subcommands) -> None:
    """`sync pair|consent|now|status|withdraw`."""
    sync = sub.group("sync", _("family-account sync (off until a parent turns it on)"))
    pair = sync.command("pair", cmd_pair, _("pair this computer with a family hub"))
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
    pair.add_argument(
        "--share-messages",
        action="append",
        default=[],
        metavar="NAME",
        help=_("the parent agrees to share the words of this child's requests for more time "
               "(off unless given; repeat for each)"),
    )
    pair.add_argument(
        "--child-shares-messages",
        action="append",
        default=[],
        metavar="NAME",
        help=_("a child 7 or older who agreed to share the words of their requests too"),
    )
    pair.add_argument("--ca-bundle", metavar="FILE")
    consent = sync.command(
        "consent", cmd_consent, _("record one child's consent to sync, or withdraw it")
    )
    consent.add_argument("child", metavar="CHILD")
    consent.add_argument("--parent-name", help=_("who gives consent"))
    consent.add_argument(
        "--child-agrees",
        action="store_true",
        help=_("the child agreed too (needed from age 7)"),
    )
    consent.add_argument(
        "--share-messages",
        action="store_true",
        help=_("the parent agrees to share the words of the child's requests for more time "
               "(off unless given: recording the consent again without it withdraws it and "
               "deletes them on the hub)"),
    )
    consent.add_argument(
        "--child-shares-messages",
        action="store_true",
        help=_("the child agreed to share the words of their requests too (needed from 7)"),
    )
    consent.add_argument(
        "--withdraw",
        action="store_true",
        help=_("withdraw this child's consent: stop sending, delete their data on the hub"),
    )
    sync.command("now", cmd_now, _("send and fetch now"))
    sync.command("status", cmd_status, _("what is shared and when it was last sent"))
    sync.command("withdraw", cmd_withdraw, _("withdraw consent: stop sync, delete the hub's data"))
