"""macOS: a LaunchDaemon for the agent (root) and a LaunchAgent for the tray (every user)."""

from __future__ import annotations

from pathlib import PurePosixPath

from agent.i18n import _
from installer.base import Command, FileSpec, InstallOptions, Plan, agent_dirs
from installer.content import (
    KEYRING_BACKEND,
    fill,
    plist_strings,
    starter_rules,
    template,
    xml_escape,
)
from installer.posix import PosixInstaller

__all__ = [
    "AGENT_LABEL",
    "AGENT_PLIST",
    "CONFIG_DIR",
    "DATA_DIR",
    "KEYRINGRC",
    "MANIFEST",
    "TRAY_LABEL",
    "TRAY_PLIST",
    "MacInstaller",
]

P = PurePosixPath
AGENT_LABEL = "org.playclock.agent"
TRAY_LABEL = "org.playclock.tray"
AGENT_PLIST = P("Library/LaunchDaemons", f"{AGENT_LABEL}.plist")
TRAY_PLIST = P("Library/LaunchAgents", f"{TRAY_LABEL}.plist")
CONFIG_DIR = P("Library/Application Support/PlayClock")
DATA_DIR = P("var/db/playclock")
SECRETS_DIR = DATA_DIR / "secrets"
MANIFEST = DATA_DIR / "install-manifest.json"
# keyring has no macOS rule of its own for its config file: it uses ~/.config like Linux.
KEYRINGRC = P("var/root/.config/python_keyring/keyringrc.cfg")
OWNER = ("root", "wheel")


def _abs(rel: PurePosixPath) -> str:
    return str(P("/") / rel)


class MacInstaller(PosixInstaller):
    """The macOS face."""

    name = "macos"

    def agent_plist(self, opts: InstallOptions) -> str:
        """The LaunchDaemon: `playclock agent` as root, started at boot and kept alive."""
        return fill(template(f"{AGENT_LABEL}.plist"), {
            "PROGRAM_ARGUMENTS": plist_strings([*opts.program, "agent"]),
            "KEYRING_BACKEND": xml_escape(KEYRING_BACKEND),
            "CONFIG": xml_escape(_abs(CONFIG_DIR / "rules.toml")),
            "DATA_DIR": xml_escape(_abs(DATA_DIR)),
            "LOG": xml_escape(_abs(DATA_DIR / "agent.log")),
        })

    def tray_plist(self, opts: InstallOptions) -> str:
        """The LaunchAgent: `playclock tray` in every graphical login session."""
        return fill(template(f"{TRAY_LABEL}.plist"),
                    {"PROGRAM_ARGUMENTS": plist_strings([*opts.tray, "tray"])})

    def plan(self, opts: InstallOptions) -> Plan:
        """Files, directories and launchctl commands of a macOS install."""
        o, g = OWNER
        return Plan(
            os_name=self.name, action="install", anchor=P("/"), manifest=MANIFEST,
            manifest_owner=OWNER,
            dirs=(
                *agent_dirs(CONFIG_DIR, DATA_DIR, SECRETS_DIR, OWNER),
            ),
            # launchd refuses plists that are not root:wheel and unwritable by others.
            files=(
                FileSpec(AGENT_PLIST, self.agent_plist(opts).encode(), 0o644, o, g),
                FileSpec(TRAY_PLIST, self.tray_plist(opts).encode(), 0o644, o, g),
                FileSpec(CONFIG_DIR / "rules.toml", starter_rules().encode(), 0o644, o, g,
                         keep_existing=True),
                FileSpec(KEYRINGRC, fill(template("keyringrc.cfg"),
                                         {"BACKEND": KEYRING_BACKEND}).encode(), 0o644, o, g),
            ),
            commands=(
                Command(("launchctl", "enable", f"system/{AGENT_LABEL}"),
                        _("allow the agent to start")),
                Command(("launchctl", "bootout", f"system/{AGENT_LABEL}"),
                        _("stop an agent already running"), check=False),
                Command(("launchctl", "bootstrap", "system", _abs(AGENT_PLIST)),
                        _("start the agent now and at every boot")),
            ),
            notes=(_("The tray starts at each user's next login."),),
        )

    def uninstall_plan(self, opts: InstallOptions, purge: bool) -> Plan:
        """Stop the daemon, then remove the installed files."""
        return Plan(
            os_name=self.name, action="uninstall", anchor=P("/"), manifest=MANIFEST,
            manifest_owner=OWNER, dirs=self.plan(opts).dirs, purge=purge,
            commands=(
                Command(("launchctl", "bootout", f"system/{AGENT_LABEL}"),
                        _("stop the agent"), when="before", check=False),
            ),
        )
