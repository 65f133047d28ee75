"""Work-arounds for pystray 0.19.5's xorg backend: clicks, X calls from several threads, docks.

- pystray never asks for ButtonPress events on its window, so a click did nothing.
- An icon or title update from another thread sends an X event over the display connection
  that the loop thread is reading; python-xlib then sometimes loses a reply and the loop
  hangs for good (no drawing, no clicks, no exit). Here every X call runs in the loop
  thread: other threads queue the work and wake the loop through a pipe.
- pystray sends a new dock request on every update; ask the tray host once instead.
- pystray stretches the image to the tray's slot; keep the icon round instead.
- pystray sets the title with python-xlib's `set_wm_name`, which encodes latin-1: a
  Vietnamese tooltip raised UnicodeEncodeError. The title goes to `_NET_WM_NAME` as UTF-8,
  with an ASCII-folded `WM_NAME` for old readers.
"""

from __future__ import annotations

import logging
import os
import queue
import select
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

from tray.icon import fit_icon

__all__ = ["CALL_TIMEOUT", "ascii_fold", "set_window_title", "xorg_icon_class"]

log = logging.getLogger("playclock.tray")

T = TypeVar("T")
CALL_TIMEOUT = 10.0
_MARSHALLED = ("_show", "_hide", "_update_icon", "_update_title", "_stop")


_FOLD = str.maketrans({"đ": "d", "Đ": "D", "—": "-", "–": "-", "…": "...", "·": "-"})


def ascii_fold(text: str) -> str:
    """Text without accents, for ASCII-only places: "Tổng thời gian" -> "Tong thoi gian"."""
    folded = text.translate(_FOLD)
    if folded.isascii():
        return folded
    import unicodedata  # for accents only: an English tray never loads its database

    decomposed = unicodedata.normalize("NFKD", folded)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.encode("ascii", "replace").decode("ascii")


def set_window_title(display: Any, window: Any, title: str) -> None:
    """Set a window's title safely: UTF-8 `_NET_WM_NAME`, ASCII `WM_NAME` (never raises on text)."""
    window.set_wm_name(ascii_fold(title))
    window.change_property(
        display.intern_atom("_NET_WM_NAME"),
        display.intern_atom("UTF8_STRING"),
        8,
        title.encode("utf-8"),
    )


def xorg_icon_class(base: Any) -> Any:
    """A subclass of pystray's xorg Icon whose X calls all happen in its loop thread."""
    from Xlib import X

    class XorgIcon(base):  # type: ignore[misc]  # pystray has no types
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            set_window_title(self._display, self._window, self.title or "")
            self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
            self._wake_r, self._wake_w = os.pipe()
            self._loop_done = threading.Event()
            for name in _MARSHALLED:
                original = types.MethodType(getattr(XorgIcon, name), self)
                setattr(self, name, self._marshal(original))
            self._window.change_attributes(
                event_mask=X.ExposureMask | X.StructureNotifyMask | X.ButtonPressMask
            )
            self._display.flush()

        def _in_loop(self) -> bool:
            thread = getattr(self, "_thread", None)
            return thread is not None and threading.get_ident() == thread.ident

        def call(self, fn: Callable[[], T]) -> T | None:
            """Run `fn` in the loop thread and return its result (None if the loop ended)."""
            if self._in_loop():
                return fn()
            if self._loop_done.is_set():
                return None
            future: Future[T] = Future()
            self._jobs.put((fn, future))
            os.write(self._wake_w, b"!")
            try:
                return future.result(CALL_TIMEOUT)
            except TimeoutError:
                log.error("the tray icon's X loop did not answer")
                return None

        def _marshal(self, fn: Callable[[], None]) -> Callable[[], None]:
            def run() -> None:
                self.call(fn)

            return run

        def _run_jobs(self) -> None:
            while True:
                try:
                    fn, future = self._jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    future.set_result(fn())
                except BaseException as exc:  # handed to the waiting thread
                    future.set_exception(exc)

        def _events(self) -> Iterator[Any]:
            display = self._display
            try:
                while True:
                    self._run_jobs()
                    if display.pending_events():
                        yield display.next_event()
                        continue
                    ready, _w, _x = select.select([display.fileno(), self._wake_r], [], [])
                    if self._wake_r in ready:
                        os.read(self._wake_r, 4096)
            finally:
                self._loop_done.set()
                self._run_jobs()

        def _create_window(self) -> Any:
            # pystray's own code sets the title with latin-1: hand it an ASCII one first.
            title = self.title
            self._title = ascii_fold(title or "")
            try:
                return base._create_window(self)
            finally:
                self._title = title

        def _update_title(self) -> None:
            set_window_title(self._display, self._window, self.title or "")
            self._display.flush()

        def _assert_icon_data(self, width: int, height: int) -> None:
            # pystray stretches the image to the slot; a tall slot made the ring an oval.
            current = getattr(self, "_icon_data", None)
            if current is not None and current.size == (width, height):
                return
            data = fit_icon(self._icon, width, height)
            # python-xlib's put_pil_image still calls the old PIL name.
            setattr(data, "tostring", data.tobytes)  # noqa: B010
            self._icon_data = data

        def _assert_docked(self) -> None:
            if not self._systray_manager:
                self._dock_window()
            assert self._systray_manager

        def redock(self) -> None:
            """Ask the tray host to embed the icon again."""

            def again() -> None:
                self._systray_manager = None
                base._update_icon(self)

            self.call(again)

        def embedded(self) -> bool:
            """Whether the tray host has taken the icon's window in."""

            def check() -> bool:
                tree = self._window.query_tree()
                return bool(tree.parent.id != tree.root.id)

            return bool(self.call(check) or self._loop_done.is_set())

    return XorgIcon
