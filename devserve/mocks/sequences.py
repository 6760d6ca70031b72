"""Which of a route's ``responses`` answers the next request: cycle, random, once-then-last."""

from __future__ import annotations

import random
import threading
from typing import Literal

Order = Literal["cycle", "random", "once-then-last"]


class Sequence:
    """A counter per route; thread-safe, and reset on config reload or by the control API."""

    def __init__(self, size: int, order: Order) -> None:
        self.size = size
        self.order = order
        self._served = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        """The index of the response for this request, advancing the sequence."""
        if self.size == 1:
            return 0
        with self._lock:
            served = self._served
            self._served += 1
        if self.order == "random":
            return random.randrange(self.size)
        if self.order == "once-then-last":
            return min(served, self.size - 1)
        return served % self.size

    def reset(self) -> None:
        """Start again from the first response."""
        with self._lock:
            self._served = 0
