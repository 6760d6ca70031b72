"""The last few forwarded responses of an origin, kept for the dashboard's "save as mock"."""

from __future__ import annotations

import itertools
from collections import OrderedDict

from devserve.proxy.record import Exchange

# A dashboard click comes soon after the request: a short memory is enough, and stays small.
KEPT = 32
LARGEST_KEPT = 1024 * 1024


class Captures:
    """Exchanges by id, the oldest forgotten first; ids are never reused."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._kept: OrderedDict[int, Exchange] = OrderedDict()

    def add(self, exchange: Exchange) -> int | None:
        """Keep ``exchange`` and return its id, or None when its body is too large to keep."""
        if len(exchange.body) > LARGEST_KEPT:
            return None
        capture = next(self._ids)
        self._kept[capture] = exchange
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        return capture

    def get(self, capture: int) -> Exchange | None:
        return self._kept.get(capture)
