"""The built-in catalogue: categories and well-known games, launchers, browsers and chat apps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rules.keys import BUILTIN_CATEGORIES

__all__ = [
    "BUILTIN_CATEGORIES",
    "CATALOG",
    "PLATFORMS",
    "CatalogEntry",
    "Platform",
    "catalog_ids",
    "entry",
]

Platform = Literal["windows", "macos", "linux"]
PLATFORMS: tuple[Platform, ...] = ("windows", "macos", "linux")


_ALL: tuple[Platform, ...] = PLATFORMS
_WIN: tuple[Platform, ...] = ("windows",)
_WIN_MAC: tuple[Platform, ...] = ("windows", "macos")


@dataclass(frozen=True)
class CatalogEntry:
    """One catalogue app: process names, path globs and command-line regexes per the config."""

    title: str
    category: str
    names: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    cmdline: tuple[str, ...] = ()
    platforms: tuple[Platform, ...] = _ALL
    note: str = ""


# Names: compared case-insensitively with ".exe" optional. Paths: fnmatch globs on the
# executable path with forward slashes, "*" also matching "/". Cmdline: regexes searched
# (case-insensitively) in the space-joined command line. Generic names such as "java",
# "launcher", "browser" or "Agent" never appear alone: such programs are matched by path
# or command line instead.
CATALOG: dict[str, CatalogEntry] = {
    # --- stores and launchers ------------------------------------------------------------
    "steam": CatalogEntry(
        title="Steam",
        category="games",
        names=("steam", "steamwebhelper", "steam_osx", "Steam Helper"),
        paths=("*/Steam.app/Contents/MacOS/*", "*/Steam.AppBundle/*"),
        note="The Steam client (store, library, friends). It often starts at login and "
        "runs in the background; leave it out of `catalog` if only playing should count.",
    ),
    "steam-games": CatalogEntry(
        title="Steam games",
        category="games",
        paths=("*/steamapps/common/*",),
        note="Anything run from a Steam library folder (steamapps/common), including Proton "
        "on Linux. Also catches tools sold on Steam, e.g. Wallpaper Engine, which runs all "
        "day: add such a tool to always_allowed or uninstall it.",
    ),
    "epic-games-launcher": CatalogEntry(
        title="Epic Games Launcher",
        category="games",
        names=("EpicGamesLauncher", "EpicGamesLauncher-Mac-Shipping", "EpicWebHelper"),
        paths=("*/Epic Games/Launcher/*", "*/Epic Games Launcher.app/*"),
        platforms=_WIN_MAC,
        note="The launcher only; Epic Online Services helpers are not matched.",
    ),
    "epic-games": CatalogEntry(
        title="Epic Games library",
        category="games",
        paths=(
            "*/Program Files/Epic Games/*",
            "?:/Epic Games/*",
            "/Users/Shared/Epic Games/*",
        ),
        platforms=_WIN_MAC,
        note="Games installed by the Epic Games Launcher in its default folders (the "
        "launcher itself lives under Program Files (x86) and is not matched).",
    ),
    "riot-client": CatalogEntry(
        title="Riot Client",
        category="games",
        names=("RiotClientServices", "RiotClientUx", "RiotClientUxRender", "Riot Client"),
        paths=("*/Riot Games/Riot Client/*", "*/Riot Client.app/*"),
        platforms=_WIN_MAC,
        note="The launcher for League of Legends and VALORANT; the Vanguard anti-cheat "
        "service is not matched.",
    ),
    "battle-net": CatalogEntry(
        title="Battle.net",
        category="games",
        names=("Battle.net", "Battle.net Launcher"),
        platforms=_WIN_MAC,
        note="Blizzard's launcher; its background updater (Agent) is not matched.",
    ),
    "ea-app": CatalogEntry(
        title="EA app",
        category="games",
        names=("EADesktop",),
        platforms=_WIN,
        note="The EA app window; its background service is not matched.",
    ),
    "gog-galaxy": CatalogEntry(
        title="GOG GALAXY",
        category="games",
        names=("GalaxyClient", "GalaxyClient Helper", "GOG Galaxy"),
        paths=("*/GOG Galaxy/Games/*",),
        platforms=_WIN_MAC,
        note="The client and games in its default Games folder; the GalaxyCommunication "
        "service is not matched.",
    ),
    "ubisoft-connect": CatalogEntry(
        title="Ubisoft Connect",
        category="games",
        names=("UbisoftConnect", "upc", "UplayWebCore"),
        paths=("*/Ubisoft Game Launcher/games/*",),
        platforms=_WIN,
        note="The client and games in its default games folder.",
    ),
    "xbox": CatalogEntry(
        title="Xbox app",
        category="games",
        names=("XboxPcApp", "XboxApp"),
        paths=("?:/XboxGames/*",),
        platforms=_WIN,
        note="The Xbox app for PC and PC Game Pass games in a drive's XboxGames folder; "
        "Gaming Services and the Game Bar are not matched.",
    ),
    "itch": CatalogEntry(
        title="itch.io app",
        category="games",
        names=("itch",),
        paths=("*/itch/apps/*",),
        note="The itch app and games it installed.",
    ),
    "hoyoplay": CatalogEntry(
        title="HoYoPlay",
        category="games",
        paths=("*/HoYoPlay/launcher.exe", "*/HoYoPlay/*HYP.exe"),
        platforms=_WIN,
        note="HoYoverse's launcher (its generic launcher.exe is matched by path only).",
    ),
    "garena": CatalogEntry(
        title="Garena",
        category="games",
        names=("Garena",),
        paths=("*/Garena/Games/*",),
        platforms=_WIN,
        note="The Garena PC client and games it installs under Garena/Games.",
    ),
    "lutris": CatalogEntry(
        title="Lutris",
        category="games",
        names=("lutris",),
        paths=("*/lutris/runners/*", "/home/*/Games/*"),
        cmdline=(r"net\.lutris\.Lutris",),
        platforms=("linux",),
        note="The launcher, Windows games it runs through its own Wine runners, and games in "
        "~/Games (its default install folder).",
    ),
    "heroic": CatalogEntry(
        title="Heroic Games Launcher",
        category="games",
        names=("heroic",),
        paths=("*/heroic/tools/*", "*/Heroic.app/*"),
        cmdline=(r"com\.heroicgameslauncher\.hgl",),
        note="Open-source launcher for Epic, GOG and Amazon games, and games it runs through "
        "its own Wine or Proton.",
    ),
    # --- games ---------------------------------------------------------------------------
    "roblox": CatalogEntry(
        title="Roblox",
        category="games",
        names=(
            "RobloxPlayerBeta",
            "RobloxPlayerLauncher",
            "RobloxPlayer",
            "Bloxstrap",
            "Fishstrap",
            "sober",
        ),
        paths=(
            "*/Roblox.app/*",
            "*/RobloxPlayer.app/*",
            "*/WindowsApps/ROBLOXCORPORATION.ROBLOX_*",
        ),
        cmdline=(r"org\.vinegarhq\.Sober",),
        note="The player on Windows (also the Microsoft Store version and the Bloxstrap / "
        "Fishstrap launchers), macOS, and Sober (org.vinegarhq.Sober) on Linux. Roblox Studio "
        "is the separate entry roblox-studio.",
    ),
    "roblox-studio": CatalogEntry(
        title="Roblox Studio",
        category="creative",
        names=("RobloxStudioBeta", "RobloxStudioLauncherBeta", "RobloxStudio"),
        paths=("*/RobloxStudio.app/*",),
        cmdline=(r"org\.vinegarhq\.Vinegar",),
        note="Roblox's game editor; Vinegar (org.vinegarhq.Vinegar) runs it on Linux.",
    ),
    "minecraft": CatalogEntry(
        title="Minecraft: Java Edition",
        category="games",
        names=("MinecraftLauncher", "minecraft-launcher", "Minecraft", "prismlauncher", "MultiMC",
               "TLauncher"),
        # The game's jar, which a JVM holds open (however its command line hides the class).
        paths=(
            "*/Minecraft.app/Contents/MacOS/*",
            "*/.minecraft/versions/*.jar",
            "*/com/mojang/minecraft/*.jar",
        ),
        cmdline=(
            r"net\.minecraft",
            r"--gameDir .*minecraft",
            r"org\.(?:prismlauncher|multimc|polymc)\.EntryPoint",
        ),
        note="The Minecraft Launcher (also Prism Launcher, MultiMC and TLauncher) and the game, "
        "which runs in java/javaw and is recognised by its command line, never by the name "
        "java alone.",
    ),
    "minecraft-bedrock": CatalogEntry(
        title="Minecraft: Bedrock Edition",
        category="games",
        names=("Minecraft.Windows", "mcpelauncher-client"),
        platforms=("windows", "linux"),
        note="Minecraft for Windows (Bedrock); on Linux the unofficial mcpelauncher.",
    ),
    "fortnite": CatalogEntry(
        title="Fortnite",
        category="games",
        names=(
            "FortniteClient-Win64-Shipping",
            "FortniteClient-Win64-Shipping_EAC",
            "FortniteClient-Win64-Shipping_BE",
            "FortniteClient-Win64-Shipping_EAC_EOS",
            "FortniteLauncher",
        ),
        paths=("*/Epic Games/Fortnite/*",),
        platforms=_WIN,
    ),
    "league-of-legends": CatalogEntry(
        title="League of Legends",
        category="games",
        names=("LeagueClient", "LeagueClientUx", "LeagueClientUxRender", "League of Legends"),
        paths=("*/Riot Games/League of Legends/*", "*/League of Legends.app/*"),
        platforms=_WIN_MAC,
        note="Liên Minh Huyền Thoại in Viet Nam: the client and the game.",
    ),
    "valorant": CatalogEntry(
        title="VALORANT",
        category="games",
        names=("VALORANT", "VALORANT-Win64-Shipping"),
        paths=("*/Riot Games/VALORANT/*",),
        platforms=_WIN,
    ),
    "genshin-impact": CatalogEntry(
        title="Genshin Impact",
        category="games",
        names=("GenshinImpact", "YuanShen"),
        paths=("*/Genshin Impact/launcher.exe",),
        platforms=_WIN,
        note="The global (GenshinImpact) and Chinese (YuanShen) clients and the old launcher.",
    ),
    "honkai-star-rail": CatalogEntry(
        title="Honkai: Star Rail",
        category="games",
        names=("StarRail",),
        platforms=_WIN,
    ),
    "zenless-zone-zero": CatalogEntry(
        title="Zenless Zone Zero",
        category="games",
        names=("ZenlessZoneZero",),
        platforms=_WIN,
    ),
    "fc-online": CatalogEntry(
        title="EA SPORTS FC Online",
        category="games",
        names=("fczf", "fclauncher", "fifa4zf"),
        platforms=_WIN,
        note="FC Online (formerly FIFA Online 4, fifa4zf), published by Garena in Viet Nam.",
    ),
    "pubg": CatalogEntry(
        title="PUBG: BATTLEGROUNDS",
        category="games",
        names=("TslGame", "TslGame_BE", "ExecPubg"),
        paths=("*/PUBG/TslGame/*",),
        platforms=_WIN,
    ),
    "counter-strike-2": CatalogEntry(
        title="Counter-Strike 2",
        category="games",
        names=("cs2",),
        paths=("*/steamapps/common/Counter-Strike Global Offensive/*",),
        platforms=("windows", "linux"),
    ),
    "dota-2": CatalogEntry(
        title="Dota 2",
        category="games",
        names=("dota2",),
        paths=("*/steamapps/common/dota 2 beta/*",),
    ),
    "among-us": CatalogEntry(
        title="Among Us",
        category="games",
        names=("Among Us",),
        platforms=_WIN,
    ),
    # --- chat --------------------------------------------------------------------------------
    "discord": CatalogEntry(
        title="Discord",
        category="chat",
        names=("Discord", "DiscordPTB", "DiscordCanary"),
        paths=("*/Discord.app/*", "*/Discord PTB.app/*", "*/Discord Canary.app/*"),
        cmdline=(r"com\.discordapp\.Discord",),
        note="Its updater (Update.exe, a generic name) is not matched.",
    ),
    "zalo": CatalogEntry(
        title="Zalo",
        category="chat",
        names=("Zalo",),
        paths=("*/Programs/Zalo/*", "*/Zalo.app/*"),
        platforms=_WIN_MAC,
        note="Viet Nam's most used messenger. Many schools send class news through Zalo "
        "groups: think before limiting it, or put it in always_allowed.",
    ),
    "messenger": CatalogEntry(
        title="Messenger",
        category="chat",
        names=("Messenger",),
        paths=("*/Messenger.app/*",),
        platforms=_WIN_MAC,
        note="Meta's Messenger desktop app, which Meta announced in 2025 it would retire; "
        "kept for existing installs.",
    ),
    "telegram": CatalogEntry(
        title="Telegram",
        category="chat",
        names=("Telegram", "telegram-desktop"),
        paths=("*/Telegram.app/*",),
    ),
    # --- browsers ------------------------------------------------------------------------
    "chrome": CatalogEntry(
        title="Google Chrome",
        category="browsers",
        names=("chrome",),
        paths=("*/Google Chrome.app/*", "/opt/google/chrome/*"),
        note="Turn off 'Continue running background apps when Google Chrome is closed', or "
        "Chrome counts while no window is open.",
    ),
    "chromium": CatalogEntry(
        title="Chromium",
        category="browsers",
        names=("chromium", "chromium-browser"),
        paths=("*/Chromium.app/*",),
    ),
    "edge": CatalogEntry(
        title="Microsoft Edge",
        category="browsers",
        names=("msedge",),
        paths=("*/Microsoft Edge.app/*", "/opt/microsoft/msedge/*"),
        note="Turn off Edge's Startup boost and background apps, or Edge counts while no "
        "window is open. Apps that embed Edge (msedgewebview2) are not matched.",
    ),
    "firefox": CatalogEntry(
        title="Mozilla Firefox",
        category="browsers",
        names=("firefox", "firefox-bin", "firefox-esr"),
        paths=("*/Firefox.app/*",),
    ),
    "opera": CatalogEntry(
        title="Opera / Opera GX",
        category="browsers",
        names=("opera",),
        paths=("*/Opera.app/*", "*/Opera GX.app/*"),
        note="Both Opera and Opera GX; Opera's Browser Assistant is not matched.",
    ),
    "brave": CatalogEntry(
        title="Brave",
        category="browsers",
        names=("brave", "brave-browser"),
        paths=("*/Brave Browser.app/*", "/opt/brave.com/brave/*"),
    ),
    "coccoc": CatalogEntry(
        title="Cốc Cốc",
        category="browsers",
        paths=("*/CocCoc/Browser/*", "*/CocCoc.app/*"),
        platforms=_WIN_MAC,
        note="Viet Nam's own browser. Matched by its folder only: its program is called "
        "browser.exe, like several other apps.",
    ),
}


def catalog_ids() -> list[str]:
    """Ids of every catalogue app, in catalogue order."""
    return list(CATALOG)


def entry(app_id: str) -> CatalogEntry:
    """The catalogue entry with this id; KeyError listing the known ids when there is none."""
    try:
        return CATALOG[app_id]
    except KeyError:
        raise KeyError(
            f"unknown catalogue app {app_id!r}; known: {', '.join(CATALOG)}"
        ) from None
