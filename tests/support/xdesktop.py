"""A throwaway X desktop for tests: Xvfb on a free display, and trayer as the tray host.

from tests.support.xdesktop import xdesktop, xdesktop_unavailable

reason = xdesktop_unavailable()            # None, or why to skip
with xdesktop() as desk:                    # desk.env has DISPLAY; os.environ is untouched
    desk.xdotool("search", "--class", "PlayClockPanel")
    desk.screenshot().save("shot.png")
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from tests.support.desktop import log_tail, stop_process
from tests.support.waiting import wait_until

__all__ = [
    "TRAY_HEIGHT",
    "XDesktop",
    "tray_owner",
    "xdesktop",
    "xdesktop_unavailable",
]

TRAY_HEIGHT = 32
_TOOLS = ("Xvfb", "trayer", "xdotool")


def xdesktop_unavailable(tray: bool = True) -> str | None:
    """Why `xdesktop()` cannot run here, or None when it can."""
    needed = _TOOLS if tray else ("Xvfb", "xdotool")
    missing = [name for name in needed if shutil.which(name) is None]
    if missing:
        return f"not installed: {', '.join(missing)} (Debian: apt-get install xvfb trayer xdotool)"
    try:
        import Xlib.display  # noqa: F401
    except ImportError:
        return "Python package 'python-xlib' not installed"
    return None


def tray_owner(display: str) -> int:
    """The window that owns the system-tray selection on screen 0 (0: none)."""
    from Xlib import X
    from Xlib.display import Display
    from Xlib.error import DisplayError

    try:
        conn = Display(display)
    except DisplayError:
        return 0
    try:
        owner = conn.get_selection_owner(conn.intern_atom("_NET_SYSTEM_TRAY_S0"))
        return 0 if owner == X.NONE else int(owner.id)
    finally:
        conn.close()


@dataclass
class XDesktop:
    """A running X server (and tray host): its DISPLAY, an environment to run clients in."""

    display: str
    workdir: Path
    size: tuple[int, int]
    env: dict[str, str] = field(default_factory=dict)
    tray_window: int = 0

    def xdotool(self, *args: str, timeout: float = 10.0) -> str:
        """Run xdotool on this display; its stdout (stripped); CalledProcessError on failure."""
        done = subprocess.run(
            ["xdotool", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        return done.stdout.strip()

    def windows(self, *search: str) -> list[int]:
        """Window ids that `xdotool search ...` finds now (empty when none)."""
        try:
            out = self.xdotool("search", *search)
        except subprocess.CalledProcessError:
            return []
        return [int(line) for line in out.split()]

    def geometry(self, window: int) -> tuple[int, int, int, int]:
        """A window's (x, y, width, height) on the screen."""
        values: dict[str, int] = {}
        for line in self.xdotool("getwindowgeometry", "--shell", str(window)).splitlines():
            key, _sep, value = line.partition("=")
            if value.lstrip("-").isdigit():
                values[key] = int(value)
        return values["X"], values["Y"], values["WIDTH"], values["HEIGHT"]

    def screenshot(self, path: Path | None = None) -> Image.Image:
        """The whole screen as an RGB image (saved to `path` when given)."""
        from PIL import ImageGrab

        image = ImageGrab.grab(xdisplay=self.display).convert("RGB")
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            image.save(path)
        return image


def _read_display(fd: int, proc: subprocess.Popen[bytes], timeout: float) -> str:
    """The display number Xvfb writes to -displayfd, waiting at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            raise RuntimeError(f"Xvfb gave no display number (exit {proc.poll()})")
        ready, _w, _x = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                raise RuntimeError(f"Xvfb closed -displayfd (exit {proc.poll()})")
            data += chunk
    return ":" + data.decode().strip()


def _xvfb_argv(fd: int, size: tuple[int, int]) -> Sequence[str]:
    return [
        "Xvfb",
        "-displayfd", str(fd),
        "-screen", "0", f"{size[0]}x{size[1]}x24",
        "-nolisten", "tcp",
        "-noreset",
    ]  # fmt: skip


def _trayer_argv(width: int) -> Sequence[str]:
    return [
        "trayer",
        "--edge", "bottom",
        "--align", "left",
        "--widthtype", "pixel",
        "--width", str(width),
        "--heighttype", "pixel",
        "--height", str(TRAY_HEIGHT),
        "--transparent", "false",
        "--SetDockType", "false",
    ]  # fmt: skip


@contextlib.contextmanager
def xdesktop(
    size: tuple[int, int] = (1024, 768),
    *,
    tray: bool = True,
    tray_width: int = 200,
    timeout: float = 15.0,
) -> Iterator[XDesktop]:
    """Start Xvfb on a free display and (when `tray`) trayer; stop both afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="pc-x-"))
    procs: list[subprocess.Popen[bytes]] = []
    read_fd, write_fd = os.pipe()
    try:
        with (workdir / "xvfb.log").open("wb") as log:
            xvfb = subprocess.Popen(
                _xvfb_argv(write_fd, size),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(write_fd,),
            )
        procs.append(xvfb)
        os.close(write_fd)
        write_fd = -1
        try:
            display = _read_display(read_fd, xvfb, timeout)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {log_tail(workdir / 'xvfb.log')}") from None
        env = {
            **os.environ,
            "DISPLAY": display,
            "NO_AT_BRIDGE": "1",
            "XAUTHORITY": str(workdir / "Xauthority"),
        }
        desk = XDesktop(display, workdir, size, env)
        if tray:
            tray_log = workdir / "trayer.log"
            with tray_log.open("wb") as log:
                trayer = subprocess.Popen(
                    _trayer_argv(tray_width),
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            procs.append(trayer)

            def docked() -> int:
                if trayer.poll() is not None:
                    raise RuntimeError(f"trayer exited ({trayer.returncode}): {log_tail(tray_log)}")
                return tray_owner(display)

            desk.tray_window = wait_until(
                docked, timeout, interval=0.05, message="trayer owns _NET_SYSTEM_TRAY_S0"
            )
        yield desk
    finally:
        if write_fd >= 0:
            os.close(write_fd)
        os.close(read_fd)
        for proc in reversed(procs):
            stop_process(proc)
        shutil.rmtree(workdir, ignore_errors=True)
