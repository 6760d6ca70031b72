"""What happens on a mock socket, told everywhere: a terminal line per frame and per close (the
request log's logger, so ``--json-log`` has them too), the dashboard, and the socket's history
(the last frames, for a dashboard opened later)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from devserve.connections import Connections
from devserve.records import SHOWN_TEXT, SocketObserver, SocketRecord

log = logging.getLogger("devserve.requests")

Payload = str | bytes


def shown(payload: Payload) -> str:
    """A message as the log shows it: text cut to SHOWN_TEXT characters, binary summarized."""
    if isinstance(payload, bytes):
        return f"<binary, {len(payload):,} bytes>"
    return payload if len(payload) <= SHOWN_TEXT else payload[:SHOWN_TEXT] + "…"


@dataclass(frozen=True)
class SocketLog:
    """The reports of one connection (#``number``) of the socket ``key`` of ``origin``."""

    origin: str
    key: str  # the socket's path as configured: its history and broadcasts go by it
    path: str  # the path the page connected to
    number: int
    connections: Connections
    observer: SocketObserver | None

    def frame(self, event: str, payload: Payload, note: str | None = None) -> None:
        """A message in (``in``: from the page) or ``out``."""
        size = len(payload.encode() if isinstance(payload, str) else payload)
        self._tell(
            SocketRecord(
                self.origin, self.path, self.number, event, time.time(),
                text=shown(payload), size=size, note=note,
            )
        )

    def opened(self, source: str | None) -> None:
        """For the dashboard and the history only: the request log has the handshake's line."""
        record = SocketRecord(
            self.origin, self.path, self.number, "open", time.time(), source=source
        )
        self.connections.remember(self.key, record.as_json())
        if self.observer is not None:
            self.observer(record)

    def closed(self, code: int | None, reason: str, by: str, note: str | None = None) -> None:
        record = SocketRecord(
            self.origin, self.path, self.number, "close", time.time(),
            code=code, reason=reason or None, by=by, note=note,
        )
        self._tell(record)

    def _tell(self, record: SocketRecord) -> None:
        log.info("%s", record, extra={"socket": record})
        self.connections.remember(self.key, record.as_json())
        if self.observer is not None:
            self.observer(record)
