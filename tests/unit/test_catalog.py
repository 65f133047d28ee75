"""The built-in catalogue: well-formed entries that match real programs and nothing generic."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

from rules.catalog import BUILTIN_CATEGORIES, CATALOG, PLATFORMS, CatalogEntry, catalog_ids, entry

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "presets.md"


def _norm(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].casefold()
    return base[:-4] if base.endswith(".exe") else base


def matching(name: str, exe: str = "", cmdline: tuple[str, ...] = ()) -> set[str]:
    """Catalogue ids whose patterns match a process, with the matcher's documented rules."""
    names = {_norm(name)} | ({_norm(exe)} if exe else set()) | (
        {_norm(cmdline[0])} if cmdline else set()
    )
    path = exe.replace("\\", "/").casefold()
    line = " ".join(cmdline)
    out = set()
    for app_id, e in CATALOG.items():
        by_name = bool(names & {_norm(n) for n in e.names})
        by_path = bool(path) and any(fnmatch.fnmatchcase(path, g.casefold()) for g in e.paths)
        by_cmdline = bool(line) and any(re.search(rx, line, re.IGNORECASE) for rx in e.cmdline)
        if by_name or by_path or by_cmdline:
            out.add(app_id)
    return out


def test_ids_are_slugs_and_listed_in_order() -> None:
    assert catalog_ids() == list(CATALOG)
    for app_id in CATALOG:
        assert SLUG.match(app_id), app_id


@pytest.mark.parametrize("app_id", list(CATALOG))
def test_entry_is_well_formed(app_id: str) -> None:
    e = entry(app_id)
    assert isinstance(e, CatalogEntry)
    assert e.title.strip() == e.title and e.title
    assert e.category in BUILTIN_CATEGORIES
    assert e.names or e.paths, "needs names or paths, not a command line alone"
    assert e.platforms and set(e.platforms) <= set(PLATFORMS)
    assert len(set(e.platforms)) == len(e.platforms)
    folded = [_norm(n) for n in e.names]
    assert len(folded) == len(set(folded)), "names repeat case-insensitively"
    for n in e.names:
        assert n == n.strip() and n and not n.casefold().endswith(".exe")
    for g in e.paths:
        assert "\\" not in g and g.count("*") >= 1
    for rx in e.cmdline:
        re.compile(rx, re.IGNORECASE)


def test_entry_unknown_lists_known_ids() -> None:
    with pytest.raises(KeyError, match="roblox"):
        entry("no-such-app")


def test_builtin_categories() -> None:
    assert BUILTIN_CATEGORIES == {
        "games": "Games",
        "browsers": "Web browsers",
        "video": "Video",
        "social": "Social media",
        "chat": "Chat",
        "creative": "Creative",
        "education": "Education",
        "other": "Other",
    }


GENERIC = [
    ("java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", ("java", "-jar", "/opt/tool.jar")),
    ("javaw.exe", "C:\\Program Files\\Java\\jre\\bin\\javaw.exe", ("javaw", "-jar", "x.jar")),
    ("python", "/usr/bin/python3.11", ("python3", "-m", "http.server")),
    ("python.exe", "C:\\Python311\\python.exe", ("python.exe", "main.py")),
    ("launcher", "/Applications/Other.app/Contents/MacOS/launcher", ()),
    ("launcher.exe", "D:\\Wuthering Waves\\launcher.exe", ()),
    ("browser.exe",
     "C:\\Users\\an\\AppData\\Local\\Yandex\\YandexBrowser\\Application\\browser.exe", ()),
    ("browser", "/usr/bin/browser", ()),
    ("explorer.exe", "C:\\Windows\\explorer.exe", ()),
    ("svchost.exe", "C:\\Windows\\System32\\svchost.exe", ("svchost.exe", "-k", "netsvcs")),
    ("msedgewebview2.exe",
     "C:\\Program Files (x86)\\Microsoft\\EdgeWebView\\Application\\120.0\\msedgewebview2.exe", ()),
    ("Windows10Universal.exe",
     "C:\\Program Files\\WindowsApps\\Some.App_1.0\\Windows10Universal.exe", ()),
    ("Update.exe", "C:\\Users\\an\\AppData\\Local\\Discord\\Update.exe", ()),
    ("Agent.exe", "C:\\ProgramData\\Battle.net\\Agent\\Agent.9000\\Agent.exe", ()),
    ("EpicOnlineServicesUserHelper.exe",
     "C:\\Program Files (x86)\\Epic Games\\Epic Online Services\\EpicOnlineServicesUserHelper.exe",
     ()),
    ("vgc.exe", "C:\\Program Files\\Riot Vanguard\\vgc.exe", ()),
    ("gamingservices.exe", "C:\\Program Files\\WindowsApps\\Microsoft.GamingServices\\gs.exe", ()),
    ("XboxPcTray.exe", "C:\\Program Files\\WindowsApps\\Microsoft.GamingApp\\XboxPcTray.exe", ()),
    ("browser_assistant.exe",
     "C:\\Users\\an\\AppData\\Local\\Programs\\Opera\\assistant\\browser_assistant.exe", ()),
    ("node", "/usr/bin/node", ("node", "server.js")),
    ("electron", "/usr/lib/electron/electron", ()),
    ("helper", "/usr/libexec/helper", ()),
    ("game", "/usr/bin/game", ()),
    ("client", "/usr/bin/client", ()),
    ("setup.exe", "C:\\Users\\an\\Downloads\\setup.exe", ()),
    ("wine64-preloader", "/usr/bin/wine64-preloader", ("C:\\windows\\system32\\notepad.exe",)),
    ("bash", "/usr/bin/bash", ("bash",)),
    ("systemd", "/usr/lib/systemd/systemd", ()),
    ("Finder", "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder", ()),
    ("WindowServer", "/System/Library/PrivateFrameworks/SkyLight.framework/WindowServer", ()),
    ("idea", "/opt/idea/bin/java", ("java", "-cp", "/opt/idea/lib/app.jar", "com.intellij.Main")),
]


@pytest.mark.parametrize(("name", "exe", "cmdline"), GENERIC)
def test_generic_processes_match_nothing(name: str, exe: str, cmdline: tuple[str, ...]) -> None:
    assert matching(name, exe, cmdline) == set()


@pytest.mark.parametrize(
    "generic", ["java", "javaw", "python", "python3", "launcher", "browser", "explorer",
                "svchost", "update", "agent", "helper", "game", "client", "setup", "node"]
)
def test_no_generic_names(generic: str) -> None:
    for app_id, e in CATALOG.items():
        assert generic not in {_norm(n) for n in e.names}, app_id


REAL = [
    ("roblox", "RobloxPlayerBeta.exe",
     "C:\\Users\\an\\AppData\\Local\\Roblox\\Versions\\version-7fe66aa864db490a\\RobloxPlayerBeta.exe",
     ()),
    ("roblox", "RobloxPlayer", "/Applications/Roblox.app/Contents/MacOS/RobloxPlayer", ()),
    ("roblox", "sober", "/app/bin/sober", ("sober",)),
    ("roblox", "bwrap", "/usr/bin/bwrap", ("bwrap", "--args", "42", "org.vinegarhq.Sober")),
    ("roblox", "Windows10Universal.exe",
     "C:\\Program Files\\WindowsApps\\ROBLOXCORPORATION.ROBLOX_2.6_x64__55nm5eh3cm0pr"
     "\\Windows10Universal.exe", ()),
    ("roblox-studio", "RobloxStudioBeta.exe",
     "C:\\Users\\an\\AppData\\Local\\Roblox\\Versions\\version-1\\RobloxStudioBeta.exe", ()),
    ("minecraft", "javaw.exe", "C:\\Program Files\\Java\\bin\\javaw.exe",
     ("javaw.exe", "-Xmx2G", "net.minecraft.client.main.Main", "--username", "an")),
    ("minecraft", "java", "/usr/bin/java",
     ("java", "cpw.mods.bootstraplauncher.BootstrapLauncher", "--gameDir",
      "/home/an/.minecraft", "--version", "forge")),
    ("minecraft", "java", "/usr/bin/java",
     ("java", "-Djava.library.path=/x/natives", "org.prismlauncher.EntryPoint")),
    ("minecraft", "launcher", "/Applications/Minecraft.app/Contents/MacOS/launcher", ()),
    ("minecraft", "MinecraftLauncher.exe",
     "C:\\Program Files (x86)\\Minecraft Launcher\\MinecraftLauncher.exe", ()),
    ("minecraft-bedrock", "Minecraft.Windows.exe",
     "C:\\Program Files\\WindowsApps\\Microsoft.MinecraftUWP_1.21\\Minecraft.Windows.exe", ()),
    ("steam", "steam.exe", "C:\\Program Files (x86)\\Steam\\steam.exe", ()),
    ("steam", "steam_osx", "/Applications/Steam.app/Contents/MacOS/steam_osx", ()),
    ("steam-games", "Celeste.exe",
     "D:\\SteamLibrary\\steamapps\\common\\Celeste\\Celeste.exe", ()),
    ("steam-games", "Celeste",
     "/home/an/.local/share/Steam/steamapps/common/Celeste/Celeste", ()),
    ("steam-games", "Stardew Valley",
     "/Users/an/Library/Application Support/Steam/steamapps/common/Stardew Valley/"
     "Stardew Valley.app/Contents/MacOS/Stardew Valley", ()),
    ("counter-strike-2", "cs2.exe",
     "C:\\Program Files (x86)\\Steam\\steamapps\\common\\Counter-Strike Global Offensive"
     "\\game\\bin\\win64\\cs2.exe", ()),
    ("dota-2", "dota2.exe",
     "C:\\Program Files (x86)\\Steam\\steamapps\\common\\dota 2 beta\\game\\bin\\win64\\dota2.exe",
     ()),
    ("epic-games-launcher", "EpicGamesLauncher.exe",
     "C:\\Program Files (x86)\\Epic Games\\Launcher\\Portal\\Binaries\\Win64\\"
     "EpicGamesLauncher.exe", ()),
    ("epic-games", "RocketLeague.exe",
     "C:\\Program Files\\Epic Games\\rocketleague\\Binaries\\Win64\\RocketLeague.exe", ()),
    ("fortnite", "FortniteClient-Win64-Shipping.exe",
     "C:\\Program Files\\Epic Games\\Fortnite\\FortniteGame\\Binaries\\Win64\\"
     "FortniteClient-Win64-Shipping.exe", ()),
    ("riot-client", "RiotClientServices.exe",
     "C:\\Riot Games\\Riot Client\\RiotClientServices.exe", ()),
    ("league-of-legends", "League of Legends.exe",
     "C:\\Riot Games\\League of Legends\\Game\\League of Legends.exe", ()),
    ("valorant", "VALORANT-Win64-Shipping.exe",
     "C:\\Riot Games\\VALORANT\\live\\ShooterGame\\Binaries\\Win64\\"
     "VALORANT-Win64-Shipping.exe", ()),
    ("genshin-impact", "GenshinImpact.exe",
     "C:\\Program Files\\HoYoPlay\\games\\Genshin Impact game\\GenshinImpact.exe", ()),
    ("hoyoplay", "launcher.exe", "C:\\Program Files\\HoYoPlay\\launcher.exe", ()),
    ("honkai-star-rail", "StarRail.exe", "D:\\Star Rail Games\\StarRail.exe", ()),
    ("fc-online", "fczf.exe", "C:\\Garena\\Games\\32837\\fczf.exe", ()),
    ("garena", "Garena.exe", "C:\\Program Files (x86)\\Garena\\Garena\\Garena.exe", ()),
    ("pubg", "TslGame.exe",
     "C:\\Program Files (x86)\\Steam\\steamapps\\common\\PUBG\\TslGame\\Binaries\\Win64\\"
     "TslGame.exe", ()),
    ("among-us", "Among Us.exe", "D:\\Games\\Among Us\\Among Us.exe", ()),
    ("battle-net", "Battle.net.exe", "C:\\Program Files (x86)\\Battle.net\\Battle.net.exe", ()),
    ("battle-net", "Battle.net", "/Applications/Battle.net.app/Contents/MacOS/Battle.net", ()),
    ("ea-app", "EADesktop.exe",
     "C:\\Program Files\\Electronic Arts\\EA Desktop\\EA Desktop\\EADesktop.exe", ()),
    ("gog-galaxy", "GalaxyClient.exe", "C:\\Program Files (x86)\\GOG Galaxy\\GalaxyClient.exe", ()),
    ("gog-galaxy", "GOG Galaxy", "/Applications/GOG Galaxy.app/Contents/MacOS/GOG Galaxy", ()),
    ("ubisoft-connect", "upc.exe",
     "C:\\Program Files (x86)\\Ubisoft\\Ubisoft Game Launcher\\upc.exe", ()),
    ("xbox", "XboxPcApp.exe",
     "C:\\Program Files\\WindowsApps\\Microsoft.GamingApp_2410\\XboxPcApp.exe", ()),
    ("xbox", "Game.exe", "C:\\XboxGames\\Hollow Knight\\Content\\Game.exe", ()),
    ("itch", "itch.exe", "C:\\Users\\an\\AppData\\Local\\itch\\app-25.6.2\\itch.exe", ()),
    ("lutris", "lutris", "/usr/bin/python3.11", ("/usr/bin/python3", "/usr/bin/lutris")),
    ("lutris", "Game.exe",
     "/home/an/.local/share/lutris/runners/wine/wine-ge-8-26-x86_64/bin/wine64-preloader",
     ("C:\\Games\\Game.exe",)),
    ("heroic", "heroic", "/opt/Heroic/heroic", ()),
    ("discord", "Discord.exe",
     "C:\\Users\\an\\AppData\\Local\\Discord\\app-1.0.9\\Discord.exe", ()),
    ("discord", "Discord Helper (Renderer)",
     "/Applications/Discord.app/Contents/Frameworks/Discord Helper (Renderer).app/Contents/MacOS/"
     "Discord Helper (Renderer)", ()),
    ("zalo", "Zalo.exe",
     "C:\\Users\\an\\AppData\\Local\\Programs\\Zalo\\Zalo-24.9.1\\Zalo.exe", ()),
    ("zalo", "Zalo", "/Applications/Zalo.app/Contents/MacOS/Zalo", ()),
    ("chrome", "chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", ()),
    ("chrome", "Google Chrome Helper (Renderer)",
     "/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/"
     "Versions/120/Helpers/Google Chrome Helper (Renderer).app/Contents/MacOS/"
     "Google Chrome Helper (Renderer)", ()),
    ("chrome", "chrome", "/opt/google/chrome/chrome", ()),
    ("edge", "msedge.exe",
     "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", ()),
    ("firefox", "firefox.exe", "C:\\Program Files\\Mozilla Firefox\\firefox.exe", ()),
    ("opera", "opera.exe", "C:\\Users\\an\\AppData\\Local\\Programs\\Opera GX\\opera.exe", ()),
    ("brave", "brave.exe",
     "C:\\Program Files\\BraveSoftware\\Brave-Browser\\Application\\brave.exe", ()),
    ("coccoc", "browser.exe",
     "C:\\Users\\an\\AppData\\Local\\CocCoc\\Browser\\Application\\browser.exe", ()),
    ("coccoc", "CocCoc", "/Applications/CocCoc.app/Contents/MacOS/CocCoc", ()),
]


@pytest.mark.parametrize(("app_id", "name", "exe", "cmdline"), REAL)
def test_real_processes_match(app_id: str, name: str, exe: str, cmdline: tuple[str, ...]) -> None:
    assert app_id in matching(name, exe, cmdline)


def test_launchers_are_not_their_game_folders() -> None:
    launcher = "C:\\Program Files (x86)\\Epic Games\\Launcher\\Portal\\Binaries\\Win64\\x.exe"
    assert matching("x.exe", launcher) == {"epic-games-launcher"}
    studio = "C:\\Users\\an\\AppData\\Local\\Roblox\\Versions\\version-1\\RobloxStudioBeta.exe"
    assert "roblox" not in matching("RobloxStudioBeta.exe", studio)


def test_most_entries_are_exercised() -> None:
    untested = set(CATALOG) - {app_id for app_id, *_ in REAL}
    assert untested <= {"zenless-zone-zero", "messenger", "telegram", "chromium"}


def test_docs_list_every_entry() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for app_id, e in CATALOG.items():
        assert f"`{app_id}`" in text, app_id
        assert e.title in text, e.title
