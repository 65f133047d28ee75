"""The generated service, autostart and config files: each parses and says the right thing."""

from __future__ import annotations

import configparser
import plistlib
import shlex
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath

import pytest

from installer import HOST_OS, OS_NAMES, InstallOptions, describe, for_os
from installer.base import FileSpec, Plan
from installer.content import (
    KEYRING_BACKEND,
    desktop_exec,
    fill,
    starter_rules,
    systemd_exec,
    windows_args,
)
from installer.linux import LinuxInstaller
from installer.macos import MacInstaller
from installer.windows import WindowsInstaller

PROGRAM = ("/opt/play clock/bin/playclock",)  # a space, so every format has to quote
OPTS = InstallOptions(PROGRAM)
TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def file_of(plan: Plan, suffix: str) -> FileSpec:
    matches = [f for f in plan.files if f.path.name.endswith(suffix)]
    assert len(matches) == 1, [str(f.path) for f in plan.files]
    return matches[0]


# -- choosing a face ------------------------------------------------------------------


def test_for_os_gives_one_face_per_os_and_the_host_by_default() -> None:
    assert isinstance(for_os("linux"), LinuxInstaller)
    assert isinstance(for_os("windows"), WindowsInstaller)
    assert isinstance(for_os("macos"), MacInstaller)
    assert for_os().name == HOST_OS
    assert {for_os(n).name for n in OS_NAMES} == set(OS_NAMES)
    with pytest.raises(ValueError, match="unknown OS"):
        for_os("beos")


# -- Linux ----------------------------------------------------------------------------


def unit_sections(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


def test_linux_unit_runs_the_agent_as_root_restarting_always() -> None:
    text = LinuxInstaller().unit_text(OPTS)
    unit = unit_sections(text)
    service = unit["Service"]
    assert shlex.split(service["ExecStart"]) == [*PROGRAM, "agent"]
    assert service["Restart"] == "always"
    assert service["RestartSec"] == "2"
    assert "User" not in service  # root
    assert unit["Unit"]["After"] == "network.target"
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_linux_unit_hardening_keeps_signalling_and_reading_proc() -> None:
    text = LinuxInstaller().unit_text(OPTS)
    service = unit_sections(text)["Service"]
    caps = set(service["CapabilityBoundingSet"].split())
    assert {"CAP_KILL", "CAP_SYS_PTRACE"} <= caps
    assert not caps & {"CAP_SYS_ADMIN", "CAP_SETUID", "CAP_DAC_OVERRIDE", "CAP_CHOWN"}
    assert service["ProtectSystem"] == "strict"
    assert service["StateDirectory"] == "playclock"
    assert service["StateDirectoryMode"] == "0700"
    # Rules saved from the API or dashboard (rules.toml.bak, then rules.toml) are writable.
    assert service["ReadWritePaths"] == "/etc/playclock"
    assert int(service["LimitNOFILE"]) >= 65536
    assert service["ProtectHome"] == "read-only"
    assert service["NoNewPrivileges"] == "yes"
    assert service["PrivateTmp"] == "yes"
    assert "ProtectProc" not in service and "ProcSubset" not in service
    lines = [ln for ln in text.splitlines() if ln.startswith("Environment=")]
    assert f"Environment=PYTHON_KEYRING_BACKEND={KEYRING_BACKEND}" in lines
    assert "Environment=PLAYCLOCK_CONFIG=/etc/playclock/rules.toml" in lines
    assert "Environment=PLAYCLOCK_DATA_DIR=/var/lib/playclock" in lines


def test_linux_autostart_entry_starts_the_tray() -> None:
    text = LinuxInstaller().desktop_text(OPTS)
    entry = unit_sections(text)["Desktop Entry"]
    assert entry["Type"] == "Application"
    # Desktop Exec quoting: string escapes first, then shell-like quoting.
    assert shlex.split(entry["Exec"].replace("\\\\", "\\")) == [*PROGRAM, "tray"]
    assert entry["Terminal"] == "false"


def test_linux_plan_paths_modes_and_keyring() -> None:
    plan = LinuxInstaller().plan(OPTS)
    files = {str(f.path): f for f in plan.files}
    assert set(files) == {
        "etc/systemd/system/playclock-agent.service",
        "etc/xdg/autostart/playclock-tray.desktop",
        "etc/playclock/rules.toml",
        "root/.config/python_keyring/keyringrc.cfg",
    }
    assert all((f.mode, f.owner, f.group) == (0o644, "root", "root") for f in files.values())
    assert files["etc/playclock/rules.toml"].keep_existing
    dirs = {str(d.path): d for d in plan.dirs}
    assert dirs["etc/playclock"].mode == 0o755 and not dirs["etc/playclock"].data
    assert dirs["var/lib/playclock"].mode == 0o700 and dirs["var/lib/playclock"].data
    assert dirs["var/lib/playclock/secrets"].mode == 0o700
    assert str(plan.manifest) == "var/lib/playclock/install-manifest.json"
    rc = configparser.ConfigParser()
    rc.read_string(files["root/.config/python_keyring/keyringrc.cfg"].content.decode())
    assert rc["backend"]["default-keyring"] == KEYRING_BACKEND


def test_linux_commands_enable_the_unit_after_install_and_stop_it_before_uninstall() -> None:
    face = LinuxInstaller()
    install = face.plan(OPTS)
    assert [c.argv for c in install.after()] == [
        ("systemctl", "daemon-reload"),
        ("systemctl", "enable", "playclock-agent.service"),
        ("systemctl", "restart", "playclock-agent.service"),
    ]
    uninstall = face.uninstall_plan(OPTS, purge=False)
    assert [c.argv for c in uninstall.before()] == [
        ("systemctl", "disable", "--now", "playclock-agent.service")]
    assert not uninstall.files


# -- macOS ----------------------------------------------------------------------------


def test_macos_daemon_plist_runs_the_agent_as_root_kept_alive() -> None:
    plan = MacInstaller().plan(OPTS)
    spec = file_of(plan, "org.playclock.agent.plist")
    assert spec.path == PurePosixPath("Library/LaunchDaemons/org.playclock.agent.plist")
    assert (spec.mode, spec.owner, spec.group) == (0o644, "root", "wheel")
    plist = plistlib.loads(spec.content)
    assert plist["Label"] == "org.playclock.agent"
    assert plist["ProgramArguments"] == [*PROGRAM, "agent"]
    assert plist["UserName"] == "root"
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] is True
    assert plist["EnvironmentVariables"]["PYTHON_KEYRING_BACKEND"] == KEYRING_BACKEND


def test_macos_agent_plist_starts_the_tray_in_each_gui_session() -> None:
    plan = MacInstaller().plan(OPTS)
    spec = file_of(plan, "org.playclock.tray.plist")
    assert spec.path == PurePosixPath("Library/LaunchAgents/org.playclock.tray.plist")
    plist = plistlib.loads(spec.content)
    assert plist["Label"] == "org.playclock.tray"
    assert plist["ProgramArguments"] == [*PROGRAM, "tray"]
    assert plist["RunAtLoad"] is True
    assert plist["LimitLoadToSessionType"] == "Aqua"
    assert "UserName" not in plist


def test_macos_plist_escapes_xml_in_paths() -> None:
    odd = InstallOptions(("/Users/a&b/<bin>/playclock",))
    plist = plistlib.loads(MacInstaller().agent_plist(odd).encode())
    assert plist["ProgramArguments"][0] == "/Users/a&b/<bin>/playclock"


# -- Windows --------------------------------------------------------------------------


def task_of(opts: InstallOptions) -> ET.Element:
    spec = file_of(WindowsInstaller("C:").plan(opts), "playclock-agent-task.xml")
    assert spec.content.startswith(b"\xff\xfe")  # UTF-16 with a BOM, as schtasks wants
    return ET.fromstring(spec.content)


def test_windows_task_runs_as_system_at_startup_and_restarts() -> None:
    task = task_of(InstallOptions(("C:\\Program Files\\PlayClock\\playclock.exe",)))
    assert task.tag == f"{{{TASK_NS['t']}}}Task"
    principal = task.find("t:Principals/t:Principal", TASK_NS)
    assert principal is not None
    assert principal.findtext("t:UserId", namespaces=TASK_NS) == "S-1-5-18"
    assert principal.findtext("t:RunLevel", namespaces=TASK_NS) == "HighestAvailable"
    triggers = task.find("t:Triggers", TASK_NS)
    assert triggers is not None and [t.tag.split("}")[1] for t in triggers] == ["BootTrigger"]
    settings = task.find("t:Settings", TASK_NS)
    assert settings is not None
    assert settings.findtext("t:RestartOnFailure/t:Interval", namespaces=TASK_NS) == "PT1M"
    assert int(settings.findtext("t:RestartOnFailure/t:Count", namespaces=TASK_NS) or 0) >= 100
    assert settings.findtext("t:ExecutionTimeLimit", namespaces=TASK_NS) == "PT0S"
    assert settings.findtext("t:DisallowStartIfOnBatteries", namespaces=TASK_NS) == "false"
    assert settings.findtext("t:StopIfGoingOnBatteries", namespaces=TASK_NS) == "false"
    exe = task.find("t:Actions/t:Exec", TASK_NS)
    assert exe is not None
    assert exe.findtext("t:Command", namespaces=TASK_NS) == (
        "C:\\Program Files\\PlayClock\\playclock.exe")
    assert exe.findtext("t:Arguments", namespaces=TASK_NS) == "agent"


def test_windows_task_for_python_module_fallback_passes_module_arguments() -> None:
    task = task_of(InstallOptions(("C:\\Python 3.11\\python.exe", "-m", "playclock")))
    assert task.findtext("t:Actions/t:Exec/t:Command", namespaces=TASK_NS) == (
        "C:\\Python 3.11\\python.exe")
    assert task.findtext("t:Actions/t:Exec/t:Arguments", namespaces=TASK_NS) == "-m playclock agent"


def test_windows_commands_lock_down_programdata_and_register_task_and_tray() -> None:
    opts = InstallOptions(("C:\\PC\\playclock.exe",), ("C:\\PC\\pythonw.exe", "-m", "playclock"))
    plan = WindowsInstaller("D:").plan(opts)
    argvs = [c.argv for c in plan.after()]
    data_acl = next(a for a in argvs if a[:2] == ("icacls", "D:\\ProgramData\\PlayClock\\data"))
    assert "/inheritance:r" in data_acl
    assert not any("S-1-5-32-545" in part for part in data_acl)  # no access for Users
    top_acl = next(a for a in argvs if a[0] == "icacls" and "/grant:r" in a
                   and a[1] == "D:\\ProgramData\\PlayClock")
    assert "*S-1-5-32-545:(OI)(CI)RX" in top_acl  # Users: read and execute only
    assert any(a[:3] == ("icacls", "D:\\ProgramData\\PlayClock", "/setowner") for a in argvs)
    create = next(a for a in argvs if a[:2] == ("schtasks", "/Create"))
    xml_path = create[create.index("/XML") + 1]
    assert xml_path == "D:\\ProgramData\\PlayClock\\playclock-agent-task.xml"
    reg = next(a for a in argvs if a[:2] == ("reg", "add"))
    assert reg[2] == "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"
    assert reg[reg.index("/d") + 1] == "C:\\PC\\pythonw.exe -m playclock tray"
    # icacls comes after the files exist and before the agent starts.
    assert argvs.index(data_acl) < argvs.index(create)
    removal = [c.argv[:2] for c in WindowsInstaller().uninstall_plan(opts, False).before()]
    assert ("schtasks", "/Delete") in removal and ("reg", "delete") in removal


# -- shared ---------------------------------------------------------------------------


def test_starter_rules_is_valid_toml_with_an_editable_child() -> None:
    text = starter_rules()
    rules = tomllib.loads(text)
    assert rules["version"] == 1
    assert rules["child"] == [{
        "name": "Child", "accounts": ["child"],
        "limits": rules["child"][0]["limits"],
    }]
    assert rules["child"][0]["limits"]["total"]["daily"] > 0
    assert "EDIT THIS FILE" in text


@pytest.mark.parametrize("name", OS_NAMES)
def test_every_face_installs_starter_rules_that_are_never_clobbered(name: str) -> None:
    plan = for_os(name).plan(OPTS)
    rules = file_of(plan, "rules.toml")
    assert rules.keep_existing and rules.content.decode() == starter_rules()
    assert [d for d in plan.dirs if d.data], "a data directory that only --purge removes"


@pytest.mark.parametrize("name", OS_NAMES)
def test_describe_lists_every_file_directory_and_command(name: str) -> None:
    face = for_os(name)
    plan = face.plan(OPTS)
    text = describe(plan)
    for f in plan.files:
        assert str(plan.anchor.joinpath(*f.path.parts)) in text
    for d in plan.dirs:
        assert str(plan.anchor.joinpath(*d.path.parts)) in text
    assert str(plan.anchor.joinpath(*plan.manifest.parts)) in text
    for c in plan.commands:
        assert c.argv[0] in text and c.why in text
    assert len(text.splitlines()) >= 2 + len(plan.files) + len(plan.dirs) + len(plan.commands)


def test_fill_rejects_a_missing_value() -> None:
    assert fill("a=@A@ b=@B@", {"A": "1", "B": "2"}) == "a=1 b=2"
    with pytest.raises(KeyError, match="B"):
        fill("a=@A@ b=@B@", {"A": "1"})


def test_quoting_helpers_escape_what_each_format_treats_specially() -> None:
    assert systemd_exec(["/usr/bin/playclock", "agent"]) == "/usr/bin/playclock agent"
    assert systemd_exec(["/a b/p%c$x", "agent"]) == '"/a b/p%%c$$x" agent'
    assert desktop_exec(["/usr/bin/playclock", "tray"]) == "/usr/bin/playclock tray"
    assert desktop_exec(["/a b/x$y", "tray"]) == '"/a b/x\\\\$y" tray'
    assert windows_args(["-m", "playclock", "a b"]) == '-m playclock "a b"'


def test_a_program_other_accounts_cannot_reach_is_found(tmp_path: Path) -> None:
    """The family test: a venv made with root's own Python (/root is 0700) could not be run by
    the child, so the child's tray never started; install warns about it."""
    from installer.posix import closed_to_others

    home = tmp_path / "home"
    python = home / "bin" / "python3"
    python.parent.mkdir(parents=True)
    python.write_text("")
    python.chmod(0o755)
    link = tmp_path / "venv-python"
    link.symlink_to(python)
    for p in (tmp_path, home, python.parent):
        p.chmod(0o755)
    assert closed_to_others(link) is None or closed_to_others(link) in tmp_path.parents
    home.chmod(0o700)
    assert closed_to_others(link) == home
    home.chmod(0o755)
