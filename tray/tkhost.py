"""One Tk interpreter in one thread; other threads hand it work and may wait for the result.

Where Tk can watch a file (Unix), handing work over writes a byte to a pipe that wakes Tk, and
signals wake it through the same pipe: an idle tray does not wake 20 times a second to look
for work (issue 15). Elsewhere it looks every `poll_ms`; `stop` is also looked at every
`backstop_ms`, for a stop set without a wake.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
import tkinter as tk
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["TkHost"]

T = TypeVar("T")


class TkHost:
    """A hidden Tk root owned by the thread that creates it (the main thread)."""

    def __init__(self, poll_ms: int = 50, backstop_ms: int = 1000) -> None:
        self.root = tk.Tk(className="PlayClock")
        self.root.withdraw()
        self.poll_ms = poll_ms
        self.backstop_ms = backstop_ms
        self._ident = threading.get_ident()
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
        self._stop: threading.Event | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._wake_r = self._wake_w = -1
        if hasattr(self.root.tk, "createfilehandler"):
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_r, False)
            os.set_blocking(self._wake_w, False)
        self._signal_fd = False

    def on_tk_thread(self) -> bool:
        """Whether the caller is the thread that owns Tk."""
        return threading.get_ident() == self._ident

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Run `fn` on the Tk thread soon; its result (or exception) arrives in the future."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                future.set_exception(RuntimeError("the Tk host is closed"))
            else:
                self._jobs.put((fn, future))
                self.wake()
        return future

    def wake(self) -> None:
        """Make the Tk thread look at its jobs and at `stop` now (from any thread)."""
        if self._wake_w >= 0:
            with contextlib.suppress(OSError):  # a full pipe wakes Tk all the same
                os.write(self._wake_w, b"!")

    def call(self, fn: Callable[[], T], timeout: float | None = None) -> T:
        """Run `fn` on the Tk thread and wait for its result (directly when already there)."""
        if self.on_tk_thread():
            return fn()
        return self.submit(fn).result(timeout)

    def run(self, stop: threading.Event) -> None:
        """Serve Tk until `stop` is set (call from the owning thread)."""
        self._stop = stop
        if self._wake_r >= 0:
            self.root.tk.createfilehandler(self._wake_r, tk.READABLE, self._on_wake)
            # A signal (SIGTERM sets `stop`) wakes Tk through the pipe too, when no one else
            # listens for signals that way; only the main thread may ask.
            with contextlib.suppress(ValueError):
                previous = signal.set_wakeup_fd(self._wake_w)
                if previous == -1:
                    self._signal_fd = True
                else:
                    signal.set_wakeup_fd(previous)
            self.root.after(self.backstop_ms, self._backstop)
        else:
            self.root.after(self.poll_ms, self._pump)
        self.root.mainloop()

    def _on_wake(self, _fd: int, _mask: int) -> None:
        with contextlib.suppress(OSError):
            os.read(self._wake_r, 4096)
        self._serve()

    def _backstop(self) -> None:
        if not self._stopping():
            self.root.after(self.backstop_ms, self._backstop)

    def _pump(self) -> None:
        if self._stopping():
            return
        # Scheduled first: a job that opens a modal dialog runs a nested loop, which
        # must keep serving other jobs (toasts, panel updates) meanwhile.
        self.root.after(self.poll_ms, self._pump)
        self._serve()

    def _stopping(self) -> bool:
        """Quit Tk when `stop` is set (True then)."""
        if self._stop is not None and self._stop.is_set():
            # Closing every window also ends a modal dialog's nested wait.
            for win in self.root.winfo_children():
                win.destroy()
            self.root.quit()
            return True
        return False

    def _serve(self) -> None:
        """Run the jobs that are waiting (unless stopping)."""
        if self._stopping():
            return
        while True:
            try:
                fn, future = self._jobs.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the waiting thread
                future.set_exception(exc)

    def close(self) -> None:
        """Destroy the Tk root; waiting callers get an error instead of hanging."""
        with self._lock:
            self._closed = True
        while True:
            try:
                _fn, future = self._jobs.get_nowait()
            except queue.Empty:
                break
            future.cancel()
        if self._signal_fd:
            with contextlib.suppress(ValueError):
                signal.set_wakeup_fd(-1)
            self._signal_fd = False
        if self._wake_r >= 0:
            with contextlib.suppress(tk.TclError):
                self.root.tk.deletefilehandler(self._wake_r)
        with contextlib.suppress(tk.TclError):
            self.root.destroy()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1
