"""Which response headers a page's script can read after a CORS check passes."""

from __future__ import annotations

from devserve.cors.engines import unique
from devserve.cors.headerlist import Unparsable, extract
from devserve.cors.standard import SAFELISTED_RESPONSE_HEADERS, UNEXPOSABLE_RESPONSE_HEADERS

# Headers that say nothing a page would want to read; left out of "the page cannot read ...".
_UNINTERESTING_RESPONSE_HEADERS = frozenset(
    {"date", "server", "connection", "keep-alive", "transfer-encoding", "vary", "x-devserve-cors"}
)


def exposure(headers: list[tuple[str, str]], credentials: bool) -> tuple[list[str], list[str]]:
    """The response header names the page can read, and notes on the ones it cannot."""
    present = unique([name.lower() for name, _ in headers])
    exposed = extract(headers, "access-control-expose-headers")
    notes = []
    if isinstance(exposed, Unparsable):
        notes.append(
            f"Access-Control-Expose-Headers {str(exposed)!r} is not a comma-separated list of "
            "header names, so it exposes nothing"
        )
        exposed = None
    listed = {item.lower() for item in exposed or []}
    everything = "*" in listed and not credentials
    if "*" in listed and credentials:
        notes.append(
            "Access-Control-Expose-Headers: * does not count for a request with credentials: "
            "list the headers by name"
        )
    readable = [
        name
        for name in present
        if name not in UNEXPOSABLE_RESPONSE_HEADERS
        and (name in SAFELISTED_RESPONSE_HEADERS or everything or name in listed)
    ]
    hidden = [
        name
        for name in present
        if name not in readable
        and name not in UNEXPOSABLE_RESPONSE_HEADERS
        and name not in _UNINTERESTING_RESPONSE_HEADERS
        and not name.startswith("access-control-")
    ]
    if hidden:
        notes.append(
            f"the page cannot read the response header(s) {', '.join(hidden)}: list them in "
            "Access-Control-Expose-Headers if it needs them"
        )
    return readable, notes
