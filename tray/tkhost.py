"""One Tk interpreter in one thread; other threads hand it work and may wait for the result."""

from __future__ import annotations

import contextlib
import queue
import threading
import tkinter as tk
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["TkHost"]

T = TypeVar("T")


class TkHost:
    """A hidden Tk root owned by the thread that creates it (the main thread)."""

    def __init__(self, poll_ms: int = 50) -> None:
        self.root = tk.Tk(className="PlayClock")
        self.root.withdraw()
        from tray import style

        style.apply(self.root)  # one look for the window and every dialog
        self.poll_ms = poll_ms
        self._ident = threading.get_ident()
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
        self._stop: threading.Event | None = None
        self._closed = False
        self._lock = threading.Lock()

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
        return future

    def call(self, fn: Callable[[], T], timeout: float | None = None) -> T:
        """Run `fn` on the Tk thread and wait for its result (directly when already there)."""
        if self.on_tk_thread():
            return fn()
        return self.submit(fn).result(timeout)

    def run(self, stop: threading.Event) -> None:
        """Serve Tk until `stop` is set (call from the owning thread)."""
        self._stop = stop
        self.root.after(self.poll_ms, self._pump)
        self.root.mainloop()

    def _pump(self) -> None:
        if self._stop is not None and self._stop.is_set():
            # Closing every window also ends a modal dialog's nested wait.
            for win in self.root.winfo_children():
                win.destroy()
            self.root.quit()
            return
        # Scheduled first: a job that opens a modal dialog runs a nested loop, which
        # must keep serving other jobs (toasts, panel updates) meanwhile.
        self.root.after(self.poll_ms, self._pump)
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
        with contextlib.suppress(tk.TclError):
            self.root.destroy()
