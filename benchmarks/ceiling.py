"""The ceiling: a raw ASGI app on the same uvicorn (uvloop + httptools) as devserve, sending
fixed bytes with a CORS header and doing nothing else. What devserve could do at most.

``python benchmarks/ceiling.py PORT FILE``: ``/data`` answers the JSON devserve's mock route
sends (the same bytes), any other path the bytes of FILE.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import uvicorn

# The mock route of benchmarks/compare.py, as devserve renders it.
PAYLOAD = {"id": 1, "name": "Ada Lovelace", "email": "ada@example.com", "roles": ["admin", "dev"]}


def app_for(body: bytes) -> Any:
    data = json.dumps(PAYLOAD).encode()

    def head(kind: bytes, length: int) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-type", kind),
            (b"content-length", str(length).encode()),
            (b"access-control-allow-origin", b"*"),
        ]

    file_head, data_head = head(b"text/plain", len(body)), head(b"application/json", len(data))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/data":
            await send({"type": "http.response.start", "status": 200, "headers": data_head})
            await send({"type": "http.response.body", "body": data})
        else:
            await send({"type": "http.response.start", "status": 200, "headers": file_head})
            await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    port, file = int(sys.argv[1]), Path(sys.argv[2])
    uvicorn.run(
        app_for(file.read_bytes()),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        access_log=False,
        lifespan="off",
    )
