"""A small StatusNotifierWatcher for tests, and a client for the items that register with it.

Debian 12 has no `snixembed`; this plays the desktop's part on a private session bus
(`tests.support.desktop.dbus_session`): it owns `org.kde.StatusNotifierWatcher`, takes
registrations from libayatana-appindicator, and lets a test read an item's properties and
click its menu entries over `com.canonical.dbusmenu`, as a panel would.

with dbus_session() as bus, StatusNotifierWatcher(bus.address) as watcher:
    item = watcher.wait_item(20)
    item.title(); item.labels(); item.click("+15 min")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    new_error,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

__all__ = ["WATCHER_NAME", "IndicatorItem", "StatusNotifierWatcher"]

WATCHER_NAME = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM_IFACE = "org.kde.StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"
PROPS = "org.freedesktop.DBus.Properties"

MenuNode = tuple[int, dict[str, tuple[str, Any]], list[Any]]


class StatusNotifierWatcher:
    """Owns the watcher's name on a session bus and records the items that register."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.items: list[str] = []
        self._cond = threading.Condition()
        self._conn: DBusConnection | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> StatusNotifierWatcher:
        self._conn = open_dbus_connection(self.address)
        reply = self._conn.send_and_get_reply(message_bus.RequestName(WATCHER_NAME, 4), timeout=5)
        if reply.body != (1,):  # 1: the primary owner
            raise RuntimeError(f"could not own {WATCHER_NAME}: {reply.body}")
        self._thread = threading.Thread(target=self._serve, name="test-sn-watcher", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _properties(self) -> dict[str, tuple[str, Any]]:
        return {
            "RegisteredStatusNotifierItems": ("as", list(self.items)),
            "IsStatusNotifierHostRegistered": ("b", True),
            "ProtocolVersion": ("i", 0),
        }

    def _serve(self) -> None:
        conn = self._conn
        assert conn is not None
        while True:
            try:
                msg = conn.receive()
            except (OSError, ConnectionError, ValueError):
                return  # the connection was closed
            if msg.header.message_type != MessageType.method_call:
                continue
            fields = msg.header.fields
            member = fields.get(HeaderFields.member)
            iface = fields.get(HeaderFields.interface)
            sender = str(fields.get(HeaderFields.sender, ""))
            if member == "RegisterStatusNotifierItem":
                (where,) = msg.body
                # An object path is on the caller's connection; a bus name stands alone.
                item = f"{sender}{where}" if str(where).startswith("/") else str(where)
                conn.send(new_method_return(msg))
                with self._cond:
                    self.items.append(item)
                    self._cond.notify_all()
                address = DBusAddress(WATCHER_PATH, interface=WATCHER_NAME)
                conn.send(new_signal(address, "StatusNotifierItemRegistered", "s", (item,)))
            elif member == "RegisterStatusNotifierHost":
                conn.send(new_method_return(msg))
            elif iface == PROPS and member == "GetAll":
                conn.send(new_method_return(msg, "a{sv}", (self._properties(),)))
            elif iface == PROPS and member == "Get":
                value = self._properties().get(msg.body[1])
                if value is None:
                    conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownProperty"))
                else:
                    conn.send(new_method_return(msg, "v", (value,)))
            elif member == "Introspect":
                conn.send(new_method_return(msg, "s", ("<node/>",)))
            else:
                conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))

    def wait_item(self, timeout: float) -> IndicatorItem:
        """The first item that registered (waits up to `timeout` seconds)."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self.items), timeout):
                raise TimeoutError("no StatusNotifierItem registered")
            return IndicatorItem(self.address, self.items[0])


class IndicatorItem:
    """A registered StatusNotifierItem, read and clicked the way a desktop panel does."""

    def __init__(self, address: str, item: str) -> None:
        service, _sep, path = item.partition("/")
        self.service, self.path = service, "/" + path
        self._conn = open_dbus_connection(address)

    def close(self) -> None:
        """Close this client's bus connection."""
        self._conn.close()

    def _call(self, path: str, iface: str, method: str, sig: str, body: tuple[Any, ...]) -> Any:
        address = DBusAddress(path, self.service, iface)
        reply = self._conn.send_and_get_reply(
            new_method_call(address, method, sig, body), timeout=5
        )
        if reply.header.message_type == MessageType.error:
            raise RuntimeError(f"{method}: {reply.body}")
        return reply.body

    def properties(self) -> dict[str, Any]:
        """The item's StatusNotifierItem properties, unwrapped."""
        (props,) = self._call(self.path, PROPS, "GetAll", "s", (ITEM_IFACE,))
        return {key: value for key, (_sig, value) in props.items()}

    def layout(self) -> MenuNode:
        """The whole menu tree: (id, properties, children)."""
        menu = self.properties()["Menu"]
        _revision, root = self._call(menu, MENU_IFACE, "GetLayout", "iias", (0, -1, []))
        return root  # type: ignore[no-any-return]

    def entries(self) -> Iterator[tuple[int, str, dict[str, Any]]]:
        """(id, label, properties) of every menu entry, depth first."""

        def walk(node: MenuNode) -> Iterator[tuple[int, str, dict[str, Any]]]:
            ident, props, children = node
            values = {key: value for key, (_sig, value) in props.items()}
            if "label" in values:
                yield ident, str(values["label"]).replace("_", ""), values
            for _sig, child in children:
                yield from walk(child)

        yield from walk(self.layout())

    def labels(self) -> list[str]:
        """Every entry's label (mnemonic underscores dropped)."""
        return [label for _i, label, _p in self.entries()]

    def click(self, label: str) -> None:
        """Activate the entry with this label, as a click in the desktop's menu does."""
        found = [ident for ident, text, _p in self.entries() if text == label]
        if not found:
            raise KeyError(f"no menu entry {label!r} in {self.labels()}")
        menu = self.properties()["Menu"]
        stamp = int(time.monotonic()) & 0xFFFFFFFF
        self._call(menu, MENU_IFACE, "Event", "isvu", (found[0], "clicked", ("i", 0), stamp))
