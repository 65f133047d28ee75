"""An in-process event stream: the tick publishes, API clients wait for what is new."""

from __future__ import annotations

import threading
import uuid
from collections import deque
from typing import Any

__all__ = ["EventBus"]


class EventBus:
    """A bounded ring of recent events with a sequence number, and waiting for new ones."""

    def __init__(self, size: int = 500) -> None:
        self._items: deque[tuple[int, dict[str, Any]]] = deque(maxlen=size)
        self._seq = 0
        self._cond = threading.Condition()
        self._closed = False
        # Which run of the agent this is: a client's ids from an earlier run mean nothing here.
        self.run = uuid.uuid4().hex[:12]

    @property
    def last_id(self) -> int:
        """The id of the newest event (0 when none)."""
        return self._seq

    def publish(self, event: dict[str, Any]) -> int:
        """Add an event; returns its id."""
        with self._cond:
            self._seq += 1
            self._items.append((self._seq, {**event, "seq": self._seq}))
            self._cond.notify_all()
            return self._seq

    def since(self, after: int) -> list[dict[str, Any]]:
        """Events with an id greater than `after`."""
        with self._cond:
            return [e for i, e in self._items if i > after]

    def wait(self, after: int, timeout: float) -> list[dict[str, Any]]:
        """Events after `after`, waiting up to `timeout` seconds for one to arrive.

        Returns at once once the bus is closed: a stopping agent must not wait for its
        long polls to time out.
        """
        with self._cond:
            self._cond.wait_for(lambda: self._seq > after or self._closed, timeout=timeout)
            return [e for i, e in self._items if i > after]

    def close(self) -> None:
        """Wake every waiter now and let none wait from here on (the agent is stopping)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
