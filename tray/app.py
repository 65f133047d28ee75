"""The tray app: pystray wiring, the status refresh loop, events, Tk windows."""

from __future__ import annotations

import datetime as dt
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from agent.api_client import AgentClient, AgentUnavailable, ApiRefused
from agent.i18n import _, current, resolve, set_language
from agent.ledger.store import EventKind
from tray.actions import Actions
from tray.icon import draw_icon
from tray.model import MenuEntry, TrayView, build_view, pick_child
from tray.notify import EventPoller, notice_for
from tray.xorg import xorg_icon_class

__all__ = ["ICON_NAME", "ICON_SIZE", "XORG_BACKGROUND", "TrayApp", "to_pystray"]

log = logging.getLogger("playclock.tray")

ICON_NAME = "playclock"
ICON_SIZE = 64
# pystray's xorg backend pastes the image without its alpha: give it a real background.
XORG_BACKGROUND = (48, 48, 48)
READY_SECONDS = 15.0
# The status is fetched when the agent's events say it changed (a "status" cue, a grant...);
# this is only a backstop for an agent that went away without a word (issue 15).
REFRESH_SECONDS = 60.0
DOCK_RETRY_SECONDS = 4.0
# While the last minute of computer time counts down, the status is fetched this often, so
# the window follows the agent (a grant, a pause, an idle session) rather than a guess.
COUNTDOWN_REFRESH_SECONDS = 1.0
_SCREEN_ENDED = (EventKind.SCREEN_LOCK, EventKind.SCREEN_LOGOUT, EventKind.SCREEN_BLOCKED)


def to_pystray(entries: Sequence[MenuEntry], run: Callable[[str], None]) -> Any:
    """A pystray Menu for a menu tree; activating an item calls `run(action)`."""
    import pystray

    def item(entry: MenuEntry) -> Any:
        if entry.is_separator:
            return pystray.Menu.SEPARATOR
        if entry.children:
            submenu = pystray.Menu(*(item(c) for c in entry.children))
            return pystray.MenuItem(entry.label, submenu, enabled=entry.enabled)
        action = entry.action
        return pystray.MenuItem(
            entry.label,
            (lambda _icon, _item: run(action)) if action else None,
            enabled=entry.enabled and action is not None,
            checked=(lambda _item: True) if entry.checked else None,
        )

    return pystray.Menu(*(item(e) for e in entries))


def _native_icon_class(base: Any) -> Any:
    """The Icon class of a backend with menus (GTK-based ones get a quiet stop)."""
    if base.__module__.startswith(("pystray._appindicator", "pystray._gtk")):
        from tray.backend import indicator_icon_class

        return indicator_icon_class(base)
    return base


class _Worker(threading.Thread):
    """Runs actions one at a time off the UI threads (a daemon: a stuck one never blocks exit)."""

    def __init__(self, run: Callable[[str], None]) -> None:
        super().__init__(name="playclock-tray-actions", daemon=True)
        self.jobs: queue.Queue[str | None] = queue.Queue()
        self.run_action = run

    def run(self) -> None:
        while (action := self.jobs.get()) is not None:
            self.run_action(action)


class TrayApp:
    """One tray icon for the child who uses this OS account."""

    def __init__(
        self,
        client: AgentClient,
        url: str,
        *,
        user: str,
        accounts: Mapping[str, Sequence[str]] | None = None,
        refresh_seconds: float = REFRESH_SECONDS,
        follow_agent_language: bool = False,
        verify: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.client = client
        # Started with only the agent's address: speak the language its rules set.
        self.follow_agent_language = follow_agent_language
        self.url = url
        self.user = user
        self.accounts = dict(accounts or {})
        self.refresh_seconds = refresh_seconds
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.child: str | None = None
        self.today: dt.date | None = None
        self.view: TrayView = build_view(None)
        self.actions = Actions(client, self, lambda: self.child, url, verify=verify)
        self.host: Any = None  # TkHost when Tk works
        self.panel: Any = None
        self.toasts: Any = None
        self.countdown: Any = None  # CountdownWindow when Tk works
        self.icon: Any = None
        self._wake = threading.Event()
        self._dock_asked: float | None = None
        self._dock_retry = DOCK_RETRY_SECONDS
        self._icon_lock = threading.Lock()
        self._shown: tuple[Any, ...] | None = None  # what the icon was last drawn from
        self._worker = _Worker(self.actions.run)
        self._worker_lock = threading.Lock()

    # -- the Ui the actions use ------------------------------------------------------------

    def _tk(self, fn: Callable[[], Any]) -> None:
        if self.host is not None:
            self.host.submit(fn).add_done_callback(self._log_failure)

    def _log_failure(self, future: Future[Any]) -> None:
        """Log what a Tk job raised (nobody waits for its result), unless shutting down."""
        if future.cancelled() or self.stop.is_set():
            return
        error = future.exception()
        if error is not None:
            log.error("Tk job failed", exc_info=error)

    def ask_pin(self) -> str | None:
        """The PIN from the "Parent PIN" dialog."""
        if self.host is None:
            log.error("no Tk: cannot ask for the PIN")
            return None
        from tray.pindialog import ask_pin

        pin: str | None = self.host.call(lambda: ask_pin(self.host.root))
        return pin

    def ask_more(self) -> tuple[int, str] | None:
        """Minutes and a message from the "Ask for more time" dialog."""
        if self.host is None:
            return None
        from tray.pindialog import ask_more

        more: tuple[int, str] | None = self.host.call(lambda: ask_more(self.host.root))
        return more

    def message(self, title: str, text: str) -> None:
        """A window with a message."""
        if self.host is None:
            self.notify(title, text)
            return
        from tray.tk_windows import show_info

        self._tk(lambda: show_info(self.host.root, title, text))

    def notify(self, title: str, text: str) -> None:
        """A notification: the platform's when pystray has one, else a Tk toast."""
        icon = self.icon
        if icon is not None and icon.HAS_NOTIFICATION and self._platform_notifies():
            try:
                icon.notify(text, title)
                return
            except Exception:  # fall back to a toast when the platform refuses
                log.warning("platform notification failed", exc_info=True)
        if self.toasts is not None:
            self._tk(lambda: self.toasts.show(title, text))
        else:
            log.warning("%s: %s", title, text)

    def _platform_notifies(self) -> bool:
        """Whether the desktop shows notifications (pystray's GTK call fails silently)."""
        from tray.backend import NOTIFICATIONS, bus_has_name

        return sys.platform in ("win32", "darwin") or bus_has_name(NOTIFICATIONS)

    def open_url(self, url: str) -> None:
        """Open a page in the browser."""
        import webbrowser  # when asked: it reads the desktop's browsers (issue 15)

        webbrowser.open(url)

    def refresh(self) -> None:
        """Ask for a status refresh soon."""
        self._wake.set()

    # -- status ------------------------------------------------------------------------------

    def fetch(self) -> dict[str, Any] | None:
        """The status document, or None when the agent cannot be reached."""
        try:
            return self.client.status()
        except (AgentUnavailable, ApiRefused) as exc:
            log.debug("status: %s", exc)
            return None

    def compute(self, doc: dict[str, Any] | None) -> TrayView:
        """The view for a status document; remembers the child, the day and titles."""
        if doc is not None:
            self._follow_language(doc)
            self.child = pick_child(doc, self.user, self.accounts)
            self.today = dt.date.fromisoformat(doc["day"])
            for child in doc.get("children") or []:
                if child["name"] == self.child:
                    self.actions.titles = {
                        **{r["id"]: r["title"] for r in child["limits"]},
                        **child.get("running_titles", {}),
                    }
        return build_view(doc, child=self.child, parent=self.actions.parent_active)

    def _follow_language(self, doc: Mapping[str, Any]) -> None:
        """Take the agent's `settings.locale` ("auto": this session's own) when told to."""
        if not self.follow_agent_language:
            return
        wanted = resolve(doc.get("agent", {}).get("locale") or "auto")
        if wanted != current():
            set_language(wanted)

    def update(self) -> None:
        """Fetch the status and show it when anything changed."""
        doc = self.fetch()
        view = self.compute(doc)
        self._follow_countdown(doc)
        if view == self.view:
            return
        # Stored only once shown: a view that failed to apply is tried again next round.
        if self._apply(view):
            self.view = view

    def _follow_countdown(self, doc: dict[str, Any] | None) -> None:
        """Keep the countdown window on the agent's time, or open it when the last minute
        runs and its event came before this tray did."""
        countdown, child = self.countdown, self.child
        if countdown is None:
            return
        if countdown.running:
            self._tk(lambda: countdown.follow(doc, child))
            return
        from tray.countdown import due

        last_minute = due(doc, child)
        if last_minute is not None:
            countdown.starting = True
            self._tk(lambda: countdown.start(*last_minute))

    def _image(self, view: TrayView) -> Any:
        xorg = self.icon is not None and not self.icon.HAS_MENU
        return draw_icon(view, ICON_SIZE, XORG_BACKGROUND if xorg else None)

    def _apply(self, view: TrayView) -> bool:
        """Show a view on the icon and the window; False when the icon is not up yet."""
        icon = self.icon
        if icon is not None and (not self.ready.is_set() or self.stop.is_set()):
            return False
        with self._icon_lock:
            if icon is not None:
                self._show(icon, view)
                if icon.HAS_MENU:
                    icon.menu = self._menu(view)
        if self.panel is not None:
            self._tk(lambda: self.panel.update(view))
        return True

    def _show(self, icon: Any, view: TrayView) -> None:
        """Draw the icon and set its tooltip only when they change (each is an X round trip)."""
        drawn = (view.state, view.badge, round(view.fraction * ICON_SIZE * 4))
        if self._shown is None or self._shown[0] != drawn:
            icon.icon = self._image(view)
        if self._shown is None or self._shown[1] != view.tooltip:
            icon.title = view.tooltip
        self._shown = (drawn, view.tooltip)

    def _menu(self, view: TrayView) -> Any:
        import pystray

        menu = to_pystray(view.menu, self.dispatch)
        # Left click (where the backend has one) opens the panel.
        default = pystray.MenuItem(
            _("Open PlayClock"), self._open_panel, default=True, visible=False
        )
        return pystray.Menu(default, *menu.items)

    def _refresher(self) -> None:
        while not self.stop.is_set():
            try:
                self.update()
                self._check_dock()
            except Exception:  # keep refreshing whatever one round hit
                log.exception("refresh failed")
            # Sooner while the tray host has not taken the icon in (it is asked again).
            wait = self.refresh_seconds
            if self.countdown is not None and self.countdown.running:
                wait = min(wait, COUNTDOWN_REFRESH_SECONDS)
            if self._dock_asked is not None:
                wait = min(wait, self._dock_retry)
            self._wake.wait(wait)
            self._wake.clear()

    def _check_dock(self) -> None:
        """Ask the tray host again when it has not embedded the icon (xorg only)."""
        icon = self.icon
        if icon is None or not hasattr(icon, "redock") or icon.embedded():
            self._dock_retry = DOCK_RETRY_SECONDS
            self._dock_asked = None
            return
        now = time.monotonic()
        if self._dock_asked is None:
            self._dock_asked = now
        elif now - self._dock_asked >= self._dock_retry:
            log.warning("the tray host has not shown the icon; asking it again")
            with self._icon_lock:
                icon.redock()
            self._dock_asked = now
            self._dock_retry = min(300.0, self._dock_retry * 2)

    def on_event(self, event: dict[str, Any]) -> None:
        """An agent event: a notification when it deserves one, and a refresh."""
        if self._countdown_event(event):
            self.refresh()
            return
        notice = notice_for(event, self.child, self.actions.titles, self.today)
        if notice is not None:
            self.notify(notice.title, notice.text)
        self.refresh()

    def _countdown_event(self, event: Mapping[str, Any]) -> bool:
        """Open the countdown window on the last minute, close it on the lock; True when the
        window shows the event instead of a notification."""
        countdown = self.countdown
        if countdown is None or event.get("child") != self.child or self.child is None:
            return False
        kind = event.get("kind")
        if kind == EventKind.SCREEN_COUNTDOWN:
            detail = event.get("detail") or {}
            action = str(detail.get("action") or "lock")
            left = float(detail.get("left_seconds", 60))
            countdown.starting = True  # the refresher follows it from now on
            self._tk(lambda: countdown.start(action, left))
            return True
        if kind in _SCREEN_ENDED:
            self._tk(countdown.close)
        return False

    # -- actions -----------------------------------------------------------------------------

    def dispatch(self, action: str) -> None:
        """Run an action in the worker thread (started by the first: many a session has none)."""
        with self._worker_lock:
            if self._worker.ident is None and not self.stop.is_set():
                self._worker.start()
        self._worker.jobs.put(action)

    def _open_panel(self) -> None:
        self._tk(self._toggle_panel)

    # -- running -----------------------------------------------------------------------------

    def _start_tk(self) -> None:
        try:
            from tray.tk_windows import CountdownWindow, Toasts
            from tray.tkhost import TkHost

            self.host = TkHost()
        except Exception as exc:  # no Tk, or no display for it
            log.warning("no Tk windows: %s", exc)
            return
        # The panel is made when first opened: many a session never opens it (issue 15).
        self.toasts = Toasts(self.host.root, avoid=lambda: self.panel and self.panel.rect())
        self.countdown = CountdownWindow(self.host.root)

    def _toggle_panel(self) -> None:
        """Open or close the panel (Tk thread), making it the first time."""
        if self.panel is None:
            from tray.panel import Panel

            self.panel = Panel(self.host.root, self.dispatch, on_moved=self.toasts.place)
        self.panel.toggle(self.view)

    def _setup(self, icon: Any) -> None:
        try:
            icon.visible = True
        finally:
            self.ready.set()

    def run(self) -> int:
        """Show the icon and serve until `stop` is set; 0, or 1 when the icon never came up."""
        import pystray

        self._start_tk()
        self.view = self.compute(self.fetch())
        xorg = not pystray.Icon.HAS_MENU
        icon_class = xorg_icon_class(pystray.Icon) if xorg else _native_icon_class(pystray.Icon)
        self.icon = icon_class(
            ICON_NAME,
            icon=draw_icon(self.view, ICON_SIZE, XORG_BACKGROUND if xorg else None),
            title=self.view.tooltip,
            menu=self._menu(self.view),
        )
        thread = threading.Thread(
            target=self.icon.run,
            kwargs={"setup": self._setup},
            name="playclock-tray-icon",
            daemon=True,
        )
        if xorg:
            # pystray's xorg loop reads icon._thread before it sets it itself.
            self.icon._thread = thread
        thread.start()
        if not self.ready.wait(READY_SECONDS):
            log.error("the tray icon did not start")
            self.stop.set()
            return 1
        self._apply(self.view)
        threading.Thread(target=self._refresher, name="playclock-tray-refresh", daemon=True).start()
        # Its own connection: a long poll must not share a requests.Session with other threads.
        events = AgentClient(self.url) if isinstance(self.client, AgentClient) else self.client
        EventPoller(events, self.on_event, self.stop).start()
        self._report_idle()
        try:
            if self.host is not None:
                self.host.run(self.stop)
            else:
                self.stop.wait()
        finally:
            self.shutdown(thread)
        return 0

    def _report_idle(self) -> None:
        """Send this desktop's input idle time to the agent, for `screen` (where it can be
        read: X11, GNOME on Wayland, Windows). Without reports the agent counts the session
        as in use."""
        from tray.idle import IdleReporter, idle_reader

        if not isinstance(self.client, AgentClient):
            return
        reader = idle_reader(tk=self.host)
        if reader is None:
            log.info("no idle source on this desktop: the session counts as in use")
            return
        log.info("idle time from %s", reader.kind)
        IdleReporter(reader, AgentClient(self.url).report_idle, stop=self.stop).start()

    def shutdown(self, thread: threading.Thread | None = None) -> None:
        """Stop the loops, the icon and Tk."""
        self.stop.set()
        self._wake.set()
        self._worker.jobs.put(None)
        if self.icon is not None and self.ready.is_set():
            with self._icon_lock:
                self.icon.stop()
        if thread is not None:
            thread.join(timeout=5)
        if self.host is not None:
            self.host.close()
