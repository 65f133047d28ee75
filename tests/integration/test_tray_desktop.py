"""The real tray under Xvfb and trayer, against a real agent: icon pixels, panel, PIN dialog."""

from __future__ import annotations

import getpass
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.support.hubserver import free_port
from tests.support.waiting import wait_until
from tests.support.xdesktop import XDesktop, xdesktop, xdesktop_unavailable
from tray import model
from tray.app import ICON_NAME, ICON_SIZE, XORG_BACKGROUND
from tray.icon import COLOURS, TEXT_COLOURS, draw_icon, fit_icon
from tray.model import TrayView, build_view, grant_action
from tray.panel import PANEL_CLASS, focus_order, plan

pytestmark = pytest.mark.desktop

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
PLAYCLOCK = Path(sys.executable).with_name("playclock")
PIN = "4321"

_reason = xdesktop_unavailable() or (
    None if PLAYCLOCK.is_file() else f"{PLAYCLOCK} not installed (pip install -e .)"
)
if _reason:
    pytest.skip(_reason, allow_module_level=True)

RULES = """\
version = 1

[settings]
listen = "127.0.0.1:{port}"
locale = "en"

[apps.fakegame]
title = "Fake Game"
category = "games"
names = ["playclock-fake-game-xyz"]

[categories.games]
title = "Games"

[[child]]
name = "An"
accounts = ["{user}"]

[child.limits.fakegame]
daily = 30

[child.limits.total]
daily = 60
"""


@dataclass
class RunningAgent:
    url: str
    env: dict[str, str]
    argv: list[str]  # playclock with this agent's --config and --data-dir

    def status(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/api/v1/status", timeout=5) as resp:
            return dict(json.load(resp))

    def child(self) -> dict[str, Any]:
        return dict(self.status()["children"][0])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[RunningAgent]:
    port = free_port()
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES.format(port=port, user=getpass.getuser()), encoding="utf-8")
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLAYCLOCK_")}
    env.update(
        {
            "PYTHON_KEYRING_BACKEND": "agent.security.root_keyring.RootFileKeyring",
            "PLAYCLOCK_SECRETS_DIR": str(secrets),
            "LANGUAGE": "en",
            "LC_ALL": "C.UTF-8",
        }
    )
    argv = [str(PLAYCLOCK), "--config", str(rules), "--data-dir", str(tmp_path / "data")]
    subprocess.run(
        [*argv, "pin", "set"], input=f"{PIN}\n".encode(), env=env, check=True, timeout=60
    )
    log = (tmp_path / "agent.log").open("wb")
    proc = subprocess.Popen([*argv, "agent"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert proc.poll() is None, (tmp_path / "agent.log").read_text(errors="replace")
            return _healthy(url)

        wait_until(up, 30, 0.1, message="the agent answers /health")
        yield RunningAgent(url, env, argv)
    finally:
        _stop(proc)
        log.close()


def start_tray(
    desk: XDesktop,
    agent: RunningAgent,
    url: str,
    log: Path,
    argv: list[str] | None = None,
) -> subprocess.Popen[bytes]:
    env = {**agent.env, **desk.env, "PYSTRAY_BACKEND": "xorg"}
    env.update({"LANGUAGE": "en", "LC_ALL": "C.UTF-8"})
    with log.open("wb") as out:
        return subprocess.Popen(
            [*(argv or agent.argv), "tray", "--url", url],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def icon_window(desk: XDesktop, tray: subprocess.Popen[bytes], log: Path) -> int:
    def found() -> list[int]:
        assert tray.poll() is None, log.read_text(errors="replace")
        return desk.windows("--classname", f"{ICON_NAME}SystemTrayIcon")

    return wait_until(found, 30, 0.1, message="the tray icon window")[0]


def expected_icon(view: TrayView, width: int, height: int) -> Image.Image:
    """What pystray's xorg backend puts on screen for a view: scaled to the tray's slot."""
    return fit_icon(draw_icon(view, ICON_SIZE, XORG_BACKGROUND), width, height)


def difference(a: Image.Image, b: Image.Image) -> float:
    return float(sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3)


def grab_icon(desk: XDesktop, window: int) -> Image.Image:
    x, y, width, height = desk.geometry(window)
    return desk.screenshot().crop((x, y, x + width, y + height))


def share_close_to(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 30) -> float:
    rgb = image.convert("RGB")
    hits = total = 0
    for y in range(rgb.height):
        for x in range(rgb.width):
            pixel = rgb.getpixel((x, y))
            assert isinstance(pixel, tuple)
            total += 1
            hits += all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))
    return hits / total


def save_zoomed(image: Image.Image, name: str, factor: int = 6) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = (image.width * factor, image.height * factor)
    image.resize(size, Image.Resampling.NEAREST).save(SHOTS / name)


def wait_for_icon(desk: XDesktop, window: int, view: TrayView, what: str) -> Image.Image:
    """The icon's pixels once they are what `view` draws (within a small tolerance)."""

    def shows() -> Image.Image | None:
        shot = grab_icon(desk, window)
        want = expected_icon(view, shot.width, shot.height)
        return shot if difference(shot, want) < 3 else None

    found = wait_until(shows, 20, 0.1, message=what)
    assert found is not None
    return found


def view_with(agent: RunningAgent, left_minutes: int) -> TrayView:
    """The view the tray should show, with the tightest limit at `left_minutes`."""
    doc = agent.status()
    doc["children"][0]["limits"][0]["left_seconds"] = left_minutes * 60
    return build_view(doc, child="An")


def test_icon_panel_and_pin_dialog_grant_fifteen_minutes(
    agent: RunningAgent, tmp_path: Path
) -> None:
    log = tmp_path / "tray.log"
    with xdesktop() as desk:
        tray = start_tray(desk, agent, agent.url, log)
        try:
            window = icon_window(desk, tray, log)
            live = build_view(agent.status(), child="An")
            assert (live.state, live.badge) == ("ok", "30")  # Fake Game: 30 of 30 minutes

            icon = wait_for_icon(desk, window, live, "the icon drawn as '30'")
            save_zoomed(icon, "tray-icon.png")
            assert share_close_to(icon, COLOURS["ok"]) > 0.3  # mostly green
            centre = icon.crop(
                (icon.width // 4, icon.height // 4, icon.width * 3 // 4, icon.height * 3 // 4)
            )
            assert share_close_to(centre, TEXT_COLOURS["ok"], 60) > 0.1  # white digits
            for other in (29, 31, 45, 5):
                want = expected_icon(view_with(agent, other), icon.width, icon.height)
                assert difference(icon, want) > difference(icon, expected_icon(live, *icon.size))

            # A left click opens the panel (pystray's xorg backend has no menu).
            x, y, width, height = desk.geometry(window)
            desk.xdotool("mousemove", str(x + width // 2), str(y + height // 2), "click", "1")
            panel = wait_until(lambda: desk.windows("--class", PANEL_CLASS), 20, 0.1)[0]
            desk.screenshot(SHOTS / "tray-panel.png")

            # Keyboard: the panel focuses its first button; Tab to "+15 min", press it.
            steps = focus_order(plan(live.menu)).index(grant_action(15))
            desk.xdotool("windowfocus", "--sync", str(panel))
            desk.xdotool("key", "--delay", "50", *(["Tab"] * steps), "space")

            dialog = wait_until(lambda: desk.windows("--name", "^Parent PIN$"), 20, 0.1)[0]
            desk.screenshot(SHOTS / "tray-pin.png")
            assert agent.child()["limits"][0]["bonus_seconds"] == 0
            desk.xdotool("windowfocus", "--sync", str(dialog))
            desk.xdotool("type", "--delay", "30", PIN)
            desk.xdotool("key", "Return")

            def granted() -> bool:
                return all(r["bonus_seconds"] == 900 for r in agent.child()["limits"])

            wait_until(granted, 20, 0.1, message="bonus_seconds == 900 on every limit")
            assert agent.child()["limits"][0]["left_seconds"] == 45 * 60

            after = view_with(agent, 45)
            icon = wait_for_icon(desk, window, after, "the icon redrawn as '45'")
            save_zoomed(icon, "tray-icon-45.png")
            desk.screenshot(SHOTS / "tray-after-grant.png")
        finally:
            code = _stop(tray)
            print(log.read_text(errors="replace"))  # shown when the test fails
        assert code == 0


def test_icon_is_grey_when_the_agent_cannot_be_reached(agent: RunningAgent, tmp_path: Path) -> None:
    log = tmp_path / "tray.log"
    nobody = f"http://127.0.0.1:{free_port()}"
    with xdesktop() as desk:
        tray = start_tray(desk, agent, nobody, log)
        try:
            window = icon_window(desk, tray, log)
            icon = wait_for_icon(desk, window, build_view(None), "the grey 'unreachable' icon")
            save_zoomed(icon, "tray-icon-unreachable.png")
            assert share_close_to(icon, COLOURS["unreachable"]) > 0.2
            assert share_close_to(icon, COLOURS["ok"]) == 0
        finally:
            code = _stop(tray)
            print(log.read_text(errors="replace"))  # shown when the test fails
        assert code == 0


def test_child_asks_for_more_time_from_the_panel(agent: RunningAgent, tmp_path: Path) -> None:
    log = tmp_path / "tray.log"
    with xdesktop() as desk:
        tray = start_tray(desk, agent, agent.url, log)
        try:
            window = icon_window(desk, tray, log)
            x, y, width, height = desk.geometry(window)
            desk.xdotool("mousemove", str(x + width // 2), str(y + height // 2), "click", "1")
            panel = wait_until(lambda: desk.windows("--class", PANEL_CLASS), 20, 0.1)[0]
            # "Ask for more time…" is the panel's first button, focused when it opens.
            live = build_view(agent.status(), child="An")
            assert focus_order(plan(live.menu))[0] == model.ASK
            desk.xdotool("windowfocus", "--sync", str(panel))
            desk.xdotool("key", "space")
            dialog = wait_until(lambda: desk.windows("--name", "^Ask for more time$"), 20, 0.1)[0]
            desk.xdotool("windowfocus", "--sync", str(dialog))
            desk.xdotool("type", "--delay", "30", "homework done")
            desk.screenshot(SHOTS / "tray-ask.png")
            desk.xdotool("key", "Return")

            def asked() -> list[dict[str, Any]]:
                with urllib.request.urlopen(f"{agent.url}/api/v1/requests", timeout=5) as resp:
                    return list(json.load(resp)["requests"])

            request = wait_until(asked, 20, 0.1, message="a pending request")[0]
            assert (request["child"], request["minutes"]) == ("An", 15)
            assert request["message"] == "homework done"
        finally:
            code = _stop(tray)
            print(log.read_text(errors="replace"))  # shown when the test fails
        assert code == 0


def test_vietnamese_pin_dialog_and_a_wrong_pin_change_nothing(
    agent: RunningAgent, tmp_path: Path
) -> None:
    log = tmp_path / "tray.log"
    rules = (
        Path(agent.argv[2]).read_text(encoding="utf-8").replace('locale = "en"', 'locale = "vi"')
    )
    vi_rules = tmp_path / "rules-vi.toml"
    vi_rules.write_text(rules, encoding="utf-8")
    argv = [str(PLAYCLOCK), "--config", str(vi_rules), "--data-dir", str(tmp_path / "tray-data")]
    with xdesktop() as desk:
        tray = start_tray(desk, agent, agent.url, log, argv)
        try:
            window = icon_window(desk, tray, log)
            x, y, width, height = desk.geometry(window)
            desk.xdotool("mousemove", str(x + width // 2), str(y + height // 2), "click", "1")
            panel = wait_until(lambda: desk.windows("--class", PANEL_CLASS), 20, 0.1)[0]
            live = build_view(agent.status(), child="An")
            steps = focus_order(plan(live.menu)).index(grant_action(15))
            desk.xdotool("windowfocus", "--sync", str(panel))
            desk.xdotool("key", "--delay", "50", *(["Tab"] * steps), "space")
            dialog = wait_until(lambda: desk.windows("--class", "PlayClockPin"), 20, 0.1)[0]
            assert desk.xdotool("getwindowname", str(dialog)) == "Mã PIN phụ huynh"
            desk.screenshot(SHOTS / "tray-pin-vi.png")
            desk.xdotool("windowfocus", "--sync", str(dialog))
            desk.xdotool("type", "--delay", "30", "0000")
            desk.xdotool("key", "Return")
            info = wait_until(lambda: desk.windows("--class", "PlayClockInfo"), 20, 0.1)[0]
            assert desk.xdotool("getwindowname", str(info)) == "Mã PIN phụ huynh"
            desk.screenshot(SHOTS / "tray-wrong-pin-vi.png")
            assert all(r["bonus_seconds"] == 0 for r in agent.child()["limits"])
        finally:
            code = _stop(tray)
            print(log.read_text(errors="replace"))  # shown when the test fails
        assert code == 0


def net_wm_name(desk: XDesktop, window: int) -> str | None:
    """A window's UTF-8 title (_NET_WM_NAME), as a window manager reads it."""
    from Xlib.display import Display

    conn = Display(desk.display)
    try:
        win = conn.create_resource_object("window", window)
        name, utf8 = conn.intern_atom("_NET_WM_NAME"), conn.intern_atom("UTF8_STRING")
        prop = win.get_full_property(name, utf8)
        return None if prop is None else bytes(prop.value).decode("utf-8")
    finally:
        conn.close()


def test_vietnamese_tooltip_on_xorg_is_set_as_utf8_and_the_window_follows_a_grant(
    agent: RunningAgent, tmp_path: Path
) -> None:
    """Issue 14, item 6: "Tổng thời gian sử dụng" is not latin-1; the tray used to crash."""
    log = tmp_path / "tray.log"
    rules = Path(agent.argv[2]).read_text(encoding="utf-8")
    rules = rules.replace('locale = "en"', 'locale = "vi"')
    vi_rules = tmp_path / "rules-vi.toml"
    vi_rules.write_text(rules, encoding="utf-8")
    argv = [str(PLAYCLOCK), "--config", str(vi_rules), "--data-dir", str(tmp_path / "tray-data")]

    def grant(target: str, minutes: int) -> None:
        subprocess.run(
            [*agent.argv, "grant", target, str(minutes)],
            input=f"{PIN}\n".encode(),
            env=agent.env,
            check=True,
            timeout=60,
        )

    grant("fakegame", 60)  # Fake Game 90 min: the total's 60 are the tightest now
    with xdesktop() as desk:
        tray = start_tray(desk, agent, agent.url, log, argv)
        try:
            window = icon_window(desk, tray, log)
            # The total (60 min) is the tightest limit: its Vietnamese title is the tooltip's.
            want = "An: còn 1 giờ 00 phút (Tổng thời gian sử dụng)"
            wait_until(lambda: net_wm_name(desk, window) == want, 20, 0.1, message=want)
            x, y, width, height = desk.geometry(window)
            desk.xdotool("mousemove", str(x + width // 2), str(y + height // 2), "click", "1")
            wait_until(lambda: desk.windows("--class", PANEL_CLASS), 20, 0.1)
            grant("total", 15)
            after = "An: còn 1 giờ 15 phút (Tổng thời gian sử dụng)"
            wait_until(lambda: net_wm_name(desk, window) == after, 20, 0.1, message=after)
            desk.screenshot(SHOTS / "tray-panel-vi-after-grant.png")
            assert "UnicodeEncodeError" not in log.read_text(errors="replace")
        finally:
            code = _stop(tray)
            print(log.read_text(errors="replace"))  # shown when the test fails
        assert code == 0


def test_tray_started_with_only_the_url_speaks_the_agents_language(
    agent: RunningAgent, tmp_path: Path
) -> None:
    """Issue 14, item 10: the XDG autostart runs `playclock tray --url URL`, no rules to read."""
    rules = Path(agent.argv[2])
    rules.write_text(
        rules.read_text(encoding="utf-8").replace('locale = "en"', 'locale = "vi"'),
        encoding="utf-8",
    )
    wait_until(
        lambda: agent.status()["agent"].get("locale") == "vi",
        20,
        0.1,
        message="the agent reloaded its rules (locale = vi)",
    )
    log = tmp_path / "tray.log"
    nowhere = [str(PLAYCLOCK), "--data-dir", str(tmp_path / "no-rules-here")]
    with xdesktop() as desk:
        tray = start_tray(desk, agent, agent.url, log, nowhere)  # LANGUAGE=en in its session
        try:
            window = icon_window(desk, tray, log)
            want = "An: còn 30 phút (Fake Game)"
            wait_until(lambda: net_wm_name(desk, window) == want, 20, 0.1, message=want)
            x, y, width, height = desk.geometry(window)
            desk.xdotool("mousemove", str(x + width // 2), str(y + height // 2), "click", "1")
            panel = wait_until(lambda: desk.windows("--class", PANEL_CLASS), 20, 0.1)[0]
            assert desk.xdotool("getwindowname", str(panel)) == "PlayClock"
            desk.screenshot(SHOTS / "tray-panel-vi-from-agent.png")
        finally:
            code = _stop(tray)
            print(log.read_text(errors="replace"))  # shown when the test fails
        assert code == 0
