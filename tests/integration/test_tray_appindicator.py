"""The tray's AppIndicator path under Xvfb: a StatusNotifierItem with a native menu (item 5).

A small StatusNotifierWatcher of our own stands in for the desktop's panel on a private
session bus; the test reads the item's title and icon and clicks its menu over dbusmenu.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.integration.test_tray_desktop import (
    PIN,
    SHOTS,
    RunningAgent,
    _stop,
    agent,  # noqa: F401  (the fixture)
    share_close_to,
)
from tests.support.desktop import dbus_session, missing_tools
from tests.support.snwatcher import StatusNotifierWatcher
from tests.support.waiting import wait_until
from tests.support.xdesktop import xdesktop, xdesktop_unavailable
from tray.backend import appindicator_missing
from tray.icon import COLOURS

pytestmark = pytest.mark.desktop

_missing = appindicator_missing()
_reason = (
    xdesktop_unavailable(tray=False)
    or (", ".join(missing_tools("dbus-daemon")) and "not installed: dbus-daemon")
    or (
        f"no AppIndicator for pystray ({_missing}); Debian: python3-gi "
        "gir1.2-ayatanaappindicator3-0.1, linked into the venv by ./dev"
        if _missing
        else None
    )
)
if _reason:
    pytest.skip(_reason, allow_module_level=True)


def test_appindicator_item_registers_shows_time_left_and_its_menu_grants(
    agent: RunningAgent,  # noqa: F811
    tmp_path: Path,
) -> None:
    log = tmp_path / "tray.log"
    with (
        xdesktop(tray=False) as desk,
        dbus_session() as bus,
        StatusNotifierWatcher(bus.address) as watcher,
    ):
        env = {**agent.env, **desk.env, "DBUS_SESSION_BUS_ADDRESS": bus.address}
        env.pop("PYSTRAY_BACKEND", None)  # the tray picks AppIndicator itself
        env.update({"LANGUAGE": "en", "LC_ALL": "C.UTF-8"})
        with log.open("wb") as out:
            tray = subprocess.Popen(
                [*agent.argv, "tray", "--url", agent.url],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        item = None
        try:
            item = watcher.wait_item(30)
            props = item.properties()
            assert props["Id"] == "playclock"
            assert props["Title"] == "An: 30 min left (Fake Game)"
            icon = Image.open(props["IconName"]).convert("RGBA")
            SHOTS.mkdir(parents=True, exist_ok=True)
            icon.save(SHOTS / "tray-appindicator-icon.png")
            assert share_close_to(icon.convert("RGB"), COLOURS["ok"]) > 0.2

            labels = item.labels()
            assert labels[0] == "An — time left today"
            assert {"Fake Game — 30 min left", "+15 min", "About monitoring"} <= set(labels)

            item.click("+15 min")  # as the desktop's menu does
            dialog = wait_until(lambda: desk.windows("--name", "^Parent PIN$"), 20, 0.1)[0]
            desk.screenshot(SHOTS / "tray-appindicator-pin.png")
            desk.xdotool("windowfocus", "--sync", str(dialog))
            desk.xdotool("type", "--delay", "30", PIN)
            desk.xdotool("key", "Return")

            def granted() -> bool:
                return all(r["bonus_seconds"] == 900 for r in agent.child()["limits"])

            wait_until(granted, 20, 0.1, message="bonus_seconds == 900 on every limit")
            wait_until(
                lambda: item.properties()["Title"] == "An: 45 min left (Fake Game)",
                20,
                0.1,
                message="the item's title follows the grant",
            )
            assert "Fake Game — 45 min left" in item.labels()
        finally:
            if item is not None:
                item.close()
            code = _stop(tray)
            print(log.read_text(errors="replace"))  # shown when the test fails
        assert code == 0
