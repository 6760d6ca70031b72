"""The specs config loads fetched from URLs: the last good one of each URL, and those of a load
still under way, adopted only if its whole config is valid. Imports nothing heavy: every config
load settles, with or without a spec."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devserve.mocks.openapi.spec import Spec

# Written by one load at a time (start-up, a hot reload: a reload loads in a worker thread and
# settles on the serving loop, which reads ``_fetched``); dict operations are atomic.
_fetched: dict[str, Spec] = {}
_pending: dict[str, Spec] = {}


def remember(url: str, spec: Spec) -> None:
    """``spec`` was just fetched from ``url`` by a config load; ``settle`` says what came of it."""
    _pending[url] = spec


def settle(valid: bool) -> None:
    """The config load ended: if it was ``valid``, origins serving its URLs answer with what
    it fetched; if not, the last good config keeps serving, and its specs with it."""
    if valid:
        _fetched.update(_pending)
    _pending.clear()


def fetched(url: str) -> Spec | None:
    """The last good spec fetched from ``url``, if any."""
    return _fetched.get(url)
