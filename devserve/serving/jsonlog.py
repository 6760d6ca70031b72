"""`--json-log`: one JSON object per request, one per line, for CI logs and other tools.

Fields (stable; new ones may be added): ``time`` (UTC, ISO 8601), ``origin`` (the origin's
name), ``method``, ``path``, ``status`` (0 if no response was sent), ``ms``, ``from`` (the
request's ``Origin`` header or null), ``cors`` (``{"verdict": "allowed" | "blocked" | null,
"reason", "note", "cookies", "cookies_lost"}``; ``cookies`` has one line per Set-Cookie of a
cross-origin response, e.g. ``"sid kept"``, ``cookies_lost`` those the browser drops or will
not send back). A mock socket's frames and closes are objects of their own, with ``"method":
"WS"`` and ``event`` (``open``, ``in``, ``out``, ``close``), see ``records.SocketRecord``.
"""

from __future__ import annotations

import json
import logging

from devserve.records import RequestRecord, SocketRecord
from devserve.terminal import json_printable


class JsonRequestFormatter(logging.Formatter):
    """Formats the request log's records as JSON; any other record as ``{"level", "message"}``."""

    def format(self, record: logging.LogRecord) -> str:
        request = getattr(record, "request", None)
        socket = getattr(record, "socket", None)
        if isinstance(request, RequestRecord):
            data = request.as_json()
        elif isinstance(socket, SocketRecord):
            data = socket.as_json()
        else:
            data = {"level": record.levelname.lower(), "message": record.getMessage()}
        return json_printable(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
