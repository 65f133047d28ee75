"""Windows: a SYSTEM task for the agent, the HKLM Run key for the tray, ProgramData ACLs."""

from __future__ import annotations

import ctypes
import os
from pathlib import PurePosixPath, PureWindowsPath

from agent.i18n import _
from installer.base import Command, FileSpec, Installer, InstallOptions, Plan, agent_dirs
from installer.content import fill, starter_rules, template, windows_args, xml_escape

__all__ = [
    "CONFIG_DIR",
    "DATA_DIR",
    "MANIFEST",
    "RUN_KEY",
    "RUN_VALUE",
    "TASK_NAME",
    "TASK_XML",
    "WindowsInstaller",
]

P = PurePosixPath
TASK_NAME = "\\PlayClock\\Agent"
CONFIG_DIR = P("ProgramData/PlayClock")
DATA_DIR = CONFIG_DIR / "data"
SECRETS_DIR = DATA_DIR / "secrets"
MANIFEST = DATA_DIR / "install-manifest.json"
TASK_XML = CONFIG_DIR / "playclock-agent-task.xml"
RUN_KEY = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"
RUN_VALUE = "PlayClockTray"
OWNER = ("SYSTEM", "Administrators")
# Well-known SIDs, because account names are translated (a Vietnamese Windows has no
# "Administrators" group by that name).
SYSTEM, ADMINS, USERS = "*S-1-5-18", "*S-1-5-32-544", "*S-1-5-32-545"


class WindowsInstaller(Installer):
    """The Windows face."""

    name = "windows"
    sets_owners = False  # ACLs come from the icacls commands instead

    def __init__(self, system_drive: str | None = None) -> None:
        drive = system_drive or os.environ.get("SYSTEMDRIVE") or "C:"
        self.anchor = PureWindowsPath(drive + "\\")

    def path(self, rel: PurePosixPath) -> str:
        """The Windows path of a file relative to the system drive."""
        return str(self.anchor.joinpath(*rel.parts))

    def task_xml(self, opts: InstallOptions) -> bytes:
        """The Task Scheduler definition, UTF-16 as schtasks expects."""
        text = fill(template("playclock-agent-task.xml"), {
            "TASK_NAME": xml_escape(TASK_NAME),
            "COMMAND": xml_escape(opts.program[0]),
            "ARGUMENTS": xml_escape(windows_args([*opts.program[1:], "agent"])),
        })
        return text.replace("\n", "\r\n").encode("utf-16")

    def acl_commands(self) -> tuple[Command, ...]:
        """icacls commands: Administrators own everything, users may only read the config."""
        top, data = self.path(CONFIG_DIR), self.path(DATA_DIR)
        full = "(OI)(CI)F"
        return (
            # A child may have created the folder first (ProgramData lets users create
            # folders) and would then own it and could rewrite its ACL: take it back.
            Command(("icacls", top, "/setowner", ADMINS, "/T", "/C", "/Q"),
                    _("make Administrators the owner of everything")),
            Command(("icacls", top, "/reset", "/T", "/C", "/Q"),
                    _("drop any permissions added by hand")),
            Command(("icacls", top, "/inheritance:r", "/grant:r", f"{SYSTEM}:{full}",
                     f"{ADMINS}:{full}", f"{USERS}:(OI)(CI)RX", "/Q"),
                    _("standard users may read the config but not change it")),
            Command(("icacls", data, "/inheritance:r", "/grant:r", f"{SYSTEM}:{full}",
                     f"{ADMINS}:{full}", "/Q"),
                    _("only SYSTEM and Administrators may open the data")),
        )

    def plan(self, opts: InstallOptions) -> Plan:
        """Files, ACLs, the scheduled task and the Run key of a Windows install."""
        o, g = OWNER
        tray = windows_args([*opts.tray, "tray"])
        return Plan(
            os_name=self.name, action="install", anchor=self.anchor, manifest=MANIFEST,
            manifest_owner=OWNER,
            dirs=(
                *agent_dirs(CONFIG_DIR, DATA_DIR, SECRETS_DIR, OWNER),
            ),
            files=(
                FileSpec(CONFIG_DIR / "rules.toml", starter_rules().encode(), 0o644, o, g,
                         keep_existing=True),
                FileSpec(TASK_XML, self.task_xml(opts), 0o644, o, g),
            ),
            commands=(
                *self.acl_commands(),
                Command(("schtasks", "/Create", "/TN", TASK_NAME, "/XML", self.path(TASK_XML),
                         "/F"),
                        _("run the agent as SYSTEM at start-up, restarted on failure")),
                Command(("reg", "add", RUN_KEY, "/v", RUN_VALUE, "/t", "REG_SZ", "/d", tray, "/f"),
                        _("start the tray for every user at logon")),
                Command(("schtasks", "/End", "/TN", TASK_NAME), _("stop an agent already running"),
                        check=False),
                Command(("schtasks", "/Run", "/TN", TASK_NAME), _("start the agent now")),
            ),
            notes=(_("The tray starts at each user's next logon."),),
        )

    def uninstall_plan(self, opts: InstallOptions, purge: bool) -> Plan:
        """Stop and delete the task and the Run key, then remove the installed files."""
        return Plan(
            os_name=self.name, action="uninstall", anchor=self.anchor, manifest=MANIFEST,
            manifest_owner=OWNER, dirs=self.plan(opts).dirs, purge=purge,
            commands=(
                Command(("schtasks", "/End", "/TN", TASK_NAME), _("stop the agent"),
                        when="before", check=False),
                Command(("schtasks", "/Delete", "/TN", TASK_NAME, "/F"),
                        _("stop starting the agent at start-up"), when="before", check=False),
                Command(("reg", "delete", RUN_KEY, "/v", RUN_VALUE, "/f"),
                        _("stop starting the tray at logon"), when="before", check=False),
            ),
        )

    def is_admin(self) -> bool:
        """Whether this process runs elevated."""
        windll = getattr(ctypes, "windll", None)
        return bool(windll is not None and windll.shell32.IsUserAnAdmin())
