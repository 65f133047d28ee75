"""Matching processes to apps and children: names, paths, command lines and accounts."""

from __future__ import annotations

import pytest

from rules.match import Matcher, normalize_account, normalize_name
from rules.model import ProcessInfo
from tests.support.fakes import cfg, proc

CONFIG = cfg(
    r"""
    catalog = ["roblox", "minecraft", "minecraft-bedrock", "steam-games", "chrome"]

    [apps.tetris]
    category = "games"
    names = ["Tetris.exe", "tetris"]
    paths = ['C:\Games\Tetris\*', '*/opt/tetris/*']

    [apps.supertuxkart]
    category = "games"
    names = ["supertuxkart"]

    [apps.scratch]
    category = "creative"
    cmdline = ['scratch-gui', '--app=https://scratch\.mit\.edu']

    [apps.homework]
    category = "education"
    names = ["tetris"]

    [apps.calc]
    category = "education"
    names = ["gnome-calculator"]

    [[child]]
    name = "An"
    accounts = ["an"]
    always_allowed = ["calc"]

    [[child]]
    name = "Bình"
    accounts = ["Binh", "binh-school"]
    """
)
MATCHER = Matcher(CONFIG)

WIN_ROBLOX = (
    "C:\\Users\\an\\AppData\\Local\\Roblox\\Versions\\version-1a2b\\RobloxPlayerBeta.exe"
)
MAC_ROBLOX = "/Applications/Roblox.app/Contents/MacOS/"
SOBER = "org.vinegarhq.Sober"
STEAM_GAME = "D:\\SteamLibrary\\steamapps\\common\\Half-Life 2\\hl2.exe"
MC_CLASSPATH = "C:\\Users\\an\\AppData\\Roaming\\.minecraft\\libraries\\x.jar"


@pytest.mark.parametrize(
    ("process", "expected"),
    [
        (proc(1, "Minecraft.EXE", "an"), {"minecraft"}),
        (proc(1, "minecraft", "an"), {"minecraft"}),
        (proc(1, "MINECRAFTLAUNCHER.exe", "an"), {"minecraft"}),
        (proc(1, "minecraftlauncher.ExE", "an"), {"minecraft"}),
        (proc(1, "minecraft.exe.bak", "an"), set()),
        (proc(1, "minecraft2", "an"), set()),
        (
            proc(1, "minecraft-launc", "an", exe="/usr/bin/minecraft-launcher"),
            {"minecraft"},
        ),
        (
            proc(1, "supertuxkart-bi", "an", exe="/usr/games/supertuxkart"),
            {"supertuxkart"},
        ),
        (
            proc(1, "supertuxkart-bi", "an", cmdline=("/usr/games/supertuxkart", "--no-start")),
            {"supertuxkart"},
        ),
        (proc(1, "supertuxkart-bi", "an"), set()),
        (proc(1, "RobloxPlayerBeta.exe", "an", exe=WIN_ROBLOX), {"roblox"}),
        (proc(1, "renamed.exe", "an", exe=WIN_ROBLOX), {"roblox"}),
        (
            proc(1, "RobloxPlayer", "an", exe=MAC_ROBLOX + "RobloxPlayer"),
            {"roblox"},
        ),
        (
            proc(1, "Roblox", "an", exe=MAC_ROBLOX + "Roblox"),
            {"roblox"},
        ),
        (
            proc(1, "bwrap", "an", cmdline=("bwrap", "--", "flatpak", "run", SOBER)),
            {"roblox"},
        ),
        (
            proc(1, "javaw.exe", "an", exe="C:\\Program Files\\Java\\bin\\javaw.exe", cmdline=(
                "javaw.exe", "-Xmx2G", "-cp", MC_CLASSPATH, "net.minecraft.client.main.Main",
                "--username", "an",
            )),
            {"minecraft"},
        ),
        (
            proc(1, "java", "an", exe="/usr/lib/jvm/java-21/bin/java", cmdline=(
                "/usr/lib/jvm/java-21/bin/java", "-cp", "client.jar",
                "net.minecraft.client.main.Main", "--gameDir", "/home/an/.minecraft",
            )),
            {"minecraft"},
        ),
        (
            proc(1, "java", "an", exe="/usr/lib/jvm/java-21/bin/java", cmdline=(
                "java", "-jar", "other.jar",
            )),
            set(),
        ),
        (proc(1, "java", "an", exe="/usr/bin/java"), set()),
        (proc(1, "Minecraft.Windows.exe", "an"), {"minecraft-bedrock"}),
        (
            proc(1, "hl2.exe", "an", exe=STEAM_GAME),
            {"steam-games"},
        ),
        (proc(1, "game.exe", "an", exe="C:\\GAMES\\TETRIS\\bin\\game.exe"), {"tetris"}),
        (proc(1, "game.exe", "an", exe="c:/games/tetris/game.exe"), {"tetris"}),
        (proc(1, "game", "an", exe="/opt/tetris/bin/game"), {"tetris"}),
        (proc(1, "game.exe", "an", exe="D:\\Games\\Tetris\\game.exe"), set()),
        (proc(1, "game.exe", "an", exe="C:\\Games\\Tetrisx\\game.exe"), set()),
        (
            proc(1, "electron", "an", cmdline=("electron", "/usr/lib/scratch-gui/app.asar")),
            {"scratch"},
        ),
        (
            proc(1, "chrome", "an", cmdline=("chrome", "--APP=https://SCRATCH.mit.edu/projects")),
            {"scratch", "chrome"},
        ),
        (proc(1, "electron", "an", cmdline=("electron", "--app=https://scratchXmitXedu")), set()),
        (proc(1, "Tetris.exe", "an"), {"tetris", "homework"}),
        (proc(1, "explorer.exe", "an", exe="C:\\Windows\\explorer.exe"), set()),
    ],
    ids=[
        "name-upper-exe",
        "name-plain",
        "launcher-upper",
        "launcher-mixed-exe",
        "no-partial-suffix",
        "no-prefix-match",
        "linux-truncated-via-exe",
        "own-app-truncated-via-exe",
        "truncated-via-argv0",
        "truncated-alone-unknown",
        "roblox-windows",
        "process-name-differs-exe-basename-matches",
        "roblox-macos",
        "roblox-macos-by-path",
        "roblox-sober-cmdline",
        "minecraft-java-windows",
        "minecraft-java-linux",
        "plain-java-jar-not-minecraft",
        "java-alone-not-minecraft",
        "bedrock-not-java",
        "steam-library-backslashes",
        "glob-with-backslashes-case-insensitive",
        "glob-forward-slashes",
        "glob-linux",
        "glob-other-drive",
        "glob-other-folder",
        "cmdline-regex",
        "cmdline-case-insensitive-two-apps",
        "cmdline-regex-escaped-dot",
        "one-process-two-apps",
        "nothing",
    ],
)
def test_apps_of(process: ProcessInfo, expected: set[str]) -> None:
    """A process belongs to every app whose names, paths or cmdline patterns match."""
    assert MATCHER.apps_of(process) == expected


@pytest.mark.parametrize(
    ("user", "child"),
    [
        ("an", "An"),
        ("AN", "An"),
        ("DOMAIN\\an", "An"),
        ("PC-AN\\An", "An"),
        ("domain/an", "An"),
        ("binh", "Bình"),
        ("SCHOOL\\Binh-School", "Bình"),
        ("bob", None),
        ("", None),
        ("an\\bob", None),
        ("anna", None),
    ],
    ids=repr,
)
def test_child_of(user: str, child: str | None) -> None:
    """Accounts compare case-insensitively without a Windows domain prefix."""
    assert MATCHER.child_of(user) == child


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Minecraft.EXE", "minecraft"),
        ("C:\\Games\\Tetris.exe", "tetris"),
        ("/usr/bin/steam", "steam"),
        (" steam ", "steam"),
        ("exe", "exe"),
        (".exe", ""),
    ],
    ids=repr,
)
def test_normalize_name(raw: str, name: str) -> None:
    """Names fold case, drop a directory and one trailing .exe."""
    assert normalize_name(raw) == name


def test_normalize_account() -> None:
    """A domain prefix and case are dropped."""
    assert normalize_account("CORP\\Bình") == "bình"
    assert normalize_account("an") == "an"


def test_running_groups_by_child_and_app() -> None:
    """Child -> app -> sorted pids; unknown accounts are ignored; one app counts once."""
    processes = [
        *(proc(100 + i, "chrome", "an") for i in reversed(range(30))),
        proc(7, "Minecraft.exe", "DOMAIN\\an"),
        proc(8, "Tetris.exe", "an"),
        proc(9, "RobloxPlayerBeta.exe", "binh"),
        proc(10, "RobloxPlayerBeta.exe", "bob"),
        proc(11, "RobloxPlayerBeta.exe", ""),
        proc(12, "explorer.exe", "an"),
    ]
    assert MATCHER.running(processes) == {
        "An": {
            "chrome": tuple(range(100, 130)),
            "minecraft": (7,),
            "tetris": (8,),
            "homework": (8,),
        },
        "Bình": {"roblox": (9,)},
    }


def test_running_leaves_out_always_allowed_apps() -> None:
    """An always-allowed app is not running for its child, but is for another child."""
    processes = [proc(1, "gnome-calculator", "an"), proc(2, "gnome-calculator", "binh")]
    assert MATCHER.running(processes) == {"Bình": {"calc": (2,)}}


def test_running_with_nothing_matched() -> None:
    """No tracked app: nothing runs (no empty child entries)."""
    assert MATCHER.running([proc(1, "bash", "an"), proc(2, "sshd", "root")]) == {}
    assert MATCHER.running([]) == {}


def test_app_without_category_and_catalog_override() -> None:
    """An [apps.ID] table with a catalogue id replaces the catalogue's patterns."""
    config = cfg(
        """
        catalog = ["roblox"]
        [apps.roblox]
        names = ["my-roblox"]
        [[child]]
        name = "An"
        accounts = ["an"]
        """
    )
    matcher = Matcher(config)
    assert matcher.apps_of(proc(1, "my-roblox", "an")) == {"roblox"}
    assert matcher.apps_of(proc(2, "RobloxPlayerBeta.exe", "an")) == frozenset()


# -- what a loader or interpreter runs, jars, content identities (issue 12) ---------------------

PY = "/usr/bin/python3.11"
LD = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"


@pytest.mark.parametrize(
    ("process", "expected"),
    [
        (proc(1, "python3", "an", PY, ("python3", "supertuxkart.py")), {"supertuxkart"}),
        (proc(2, "supertuxkart.p", "an", PY, ("/usr/bin/python3", "./supertuxkart.py")),
         {"supertuxkart"}),
        (proc(3, "ld-linux-x86-64", "an", LD, (LD, "./supertuxkart", "--fast")), {"supertuxkart"}),
        (proc(4, "bash", "an", "/usr/bin/bash", ("bash", "supertuxkart.sh")), {"supertuxkart"}),
        (proc(5, "java", "an", "/usr/lib/jvm/bin/java", ("java", "-jar", "supertuxkart.jar")),
         {"supertuxkart"}),
        (proc(6, "python3", "an", PY, ("python3", "-c", "import supertuxkart")), set()),
        (proc(7, "bash", "an", "/usr/bin/bash", ("bash", "-c", "supertuxkart")), set()),
    ],
    ids=repr,
)  # fmt: skip
def test_the_program_a_loader_or_interpreter_runs(process: ProcessInfo, expected: set[str]) -> None:
    """The script, jar or program an interpreter or the loader runs is matched like an exe."""
    assert MATCHER.apps_of(process) == expected


def test_files_a_process_runs_or_holds_are_matched_by_name_and_path() -> None:
    """Jars a JVM holds open (the probe's `files`) match `paths` globs and names."""
    java = ProcessInfo(
        1, "java", "/usr/bin/java", ("java", "@mc.args"), "an",
        files=("/home/an/.minecraft/versions/1.20.1/1.20.1.jar",),  # no class in sight
    )  # fmt: skip
    assert "minecraft" in MATCHER.apps_of(java)
    tetris = ProcessInfo(2, "python3", PY, ("python3", "x"), "an", files=("/opt/tetris/main.py",))
    assert MATCHER.apps_of(tetris) == {"tetris"}


def test_a_known_content_identity_names_the_app_under_any_name() -> None:
    """A digest remembered as an app makes any process with that executable the app."""
    digest = "ab" * 32
    matcher = Matcher(CONFIG, {digest: "supertuxkart", "cd" * 32: "no-such-app"})
    copy = ProcessInfo(1, "notes", "/home/an/notes", ("notes",), "an", exe_digest=digest)
    assert matcher.apps_of(copy) == {"supertuxkart"}
    assert matcher.apps_of(ProcessInfo(2, "x", "/x", (), "an", exe_digest="cd" * 32)) == set()
    assert MATCHER.apps_of(copy) == set()  # without the identity: unknown


def test_identity_apps_only_by_the_executable_itself() -> None:
    """Only an app matched by its own executable's name or path may have its content
    remembered; never an interpreter's or the loader's, nor by the command line."""
    exe = proc(1, "supertuxkart", "an", "/usr/games/supertuxkart", ("supertuxkart",))
    assert MATCHER.identity_apps(exe) == {"supertuxkart"}
    script = proc(2, "python3", "an", PY, ("python3", "supertuxkart.py"))
    assert MATCHER.apps_of(script) == {"supertuxkart"}
    assert MATCHER.identity_apps(script) == frozenset()
    by_cmdline = proc(3, "electron", "an", "/opt/e/electron", ("electron", "scratch-gui"))
    assert MATCHER.apps_of(by_cmdline) == {"scratch"}
    assert MATCHER.identity_apps(by_cmdline) == frozenset()
