"""`devserve check`'s --timeout: the whole flow ends at one deadline, whatever the server does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from devserve.cors.verdict import Verdict
from devserve.errors import DevserveError


def timed_out(url: str) -> DevserveError:
    return DevserveError(f"{url} timed out: no answer within --timeout; is the server running?")


def before(deadline: float, work: Callable[[], Verdict], url: str) -> Verdict:
    """Run ``work`` (blocking I/O) but give up at ``deadline``, whatever the server does.

    Each read already has the time left as its timeout; a server that trickles bytes just under
    it would still stretch the total, so the work runs in a daemon thread that is abandoned at
    the deadline (its next read times out, and the thread ends).
    """
    outcome: list[Verdict | BaseException] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the caller's thread, raised there
            outcome.append(exc)

    worker = threading.Thread(target=target, name="devserve-check", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if not outcome:
        raise timed_out(url)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]
