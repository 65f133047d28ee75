"""Linux: a systemd system unit for the agent, XDG autostart for the tray, /etc and /var/lib."""

from __future__ import annotations

from pathlib import PurePosixPath

from agent.i18n import _
from installer.base import Command, FileSpec, InstallOptions, Plan, agent_dirs
from installer.content import (
    KEYRING_BACKEND,
    desktop_exec,
    fill,
    starter_rules,
    systemd_exec,
    template,
)
from installer.posix import PosixInstaller

__all__ = [
    "CONFIG_DIR",
    "DATA_DIR",
    "KEYRINGRC",
    "MANIFEST",
    "SECRETS_DIR",
    "TRAY_DESKTOP",
    "UNIT",
    "UNIT_NAME",
    "LinuxInstaller",
]

P = PurePosixPath
UNIT_NAME = "playclock-agent.service"
UNIT = P("etc/systemd/system", UNIT_NAME)
TRAY_DESKTOP = P("etc/xdg/autostart/playclock-tray.desktop")
CONFIG_DIR = P("etc/playclock")
DATA_DIR = P("var/lib/playclock")
SECRETS_DIR = DATA_DIR / "secrets"
MANIFEST = DATA_DIR / "install-manifest.json"
# Also read by `sudo playclock pin ...`, which does not run inside the unit's environment.
KEYRINGRC = P("root/.config/python_keyring/keyringrc.cfg")


def _abs(rel: PurePosixPath) -> str:
    return str(P("/") / rel)


class LinuxInstaller(PosixInstaller):
    """The Linux face."""

    name = "linux"

    def unit_text(self, opts: InstallOptions) -> str:
        """The systemd unit that runs `playclock agent` as root."""
        return fill(template("playclock-agent.service"), {
            "EXEC": systemd_exec([*opts.program, "agent"]),
            "KEYRING_BACKEND": KEYRING_BACKEND,
            "CONFIG": _abs(CONFIG_DIR / "rules.toml"),
            "CONFIG_DIR": _abs(CONFIG_DIR),
            "DATA_DIR": _abs(DATA_DIR),
            "STATE_DIRECTORY": DATA_DIR.relative_to("var/lib").as_posix(),
        })

    def desktop_text(self, opts: InstallOptions) -> str:
        """The XDG autostart entry that starts the tray in every user's session."""
        return fill(template("playclock-tray.desktop"),
                    {"EXEC": desktop_exec([*opts.tray, "tray"])})

    def plan(self, opts: InstallOptions) -> Plan:
        """Files, directories and systemctl commands of a Linux install."""
        return Plan(
            os_name=self.name, action="install", anchor=P("/"), manifest=MANIFEST,
            dirs=(
                *agent_dirs(CONFIG_DIR, DATA_DIR, SECRETS_DIR, ("root", "root")),
            ),
            files=(
                FileSpec(UNIT, self.unit_text(opts).encode()),
                FileSpec(TRAY_DESKTOP, self.desktop_text(opts).encode()),
                FileSpec(CONFIG_DIR / "rules.toml", starter_rules().encode(), keep_existing=True),
                FileSpec(KEYRINGRC, fill(template("keyringrc.cfg"),
                                         {"BACKEND": KEYRING_BACKEND}).encode()),
            ),
            commands=(
                Command(("systemctl", "daemon-reload"), _("load the new unit file")),
                Command(("systemctl", "enable", UNIT_NAME), _("start the agent at every boot")),
                Command(("systemctl", "restart", UNIT_NAME), _("start (or restart) the agent now")),
            ),
            notes=(_("The tray starts at each user's next login."),),
        )

    def uninstall_plan(self, opts: InstallOptions, purge: bool) -> Plan:
        """Stop and disable the unit, then remove the installed files."""
        install = self.plan(opts)
        return Plan(
            os_name=self.name, action="uninstall", anchor=P("/"), manifest=MANIFEST,
            dirs=install.dirs, purge=purge,
            commands=(
                Command(("systemctl", "disable", "--now", UNIT_NAME),
                        _("stop the agent and stop starting it at boot"),
                        when="before", check=False),
                Command(("systemctl", "daemon-reload"), _("forget the removed unit file"),
                        check=False),
            ),
        )
