"""No request can write terminal escapes or forge a line in devserve's log (README, "Security
model")."""

from __future__ import annotations

import json
import logging
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from devserve.records import LoggedVerdict as Verdict
from devserve.records import RequestRecord
from devserve.serving.jsonlog import JsonRequestFormatter
from tests.support.everykind import EveryKind
from tests.support.rawhttp import exchange, request_bytes
from tests.support.waiting import wait_until

# Issue #12: any web page can make the browser request this, with <img src="...">.
PAYLOAD = "/%1b]0;TITLE%07%1b[2J%0d%0aforged-line%20200%201ms"
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _unsafe(text: str) -> list[str]:
    """Characters a terminal acts on, or that make a line read otherwise than it is."""
    return [
        char
        for char in text
        if (unicodedata.category(char) in ("Cc", "Zl", "Zp") and char != "\n") or char in BIDI
    ]


def _logged(fortress: EveryKind, marker: str) -> str:
    wait_until(
        lambda: marker in fortress.server.output(),
        f"the request with {marker!r} is logged",
        output=fortress.server.output,
    )
    return fortress.server.output()


def test_the_payload_of_the_issue_is_printed_escaped(fortress: EveryKind) -> None:
    reply = exchange(fortress.site, request_bytes("GET", PAYLOAD, host="localhost"))
    assert reply.status == 404
    output = _logged(fortress, "TITLE")
    assert _unsafe(output) == []
    assert "\\x1b]0;TITLE\\x07\\x1b[2J\\x0d\\x0aforged-line 200 1ms 404" in output
    assert not any(line.startswith("forged-line") for line in output.splitlines())


def test_origin_headers_and_verdicts_are_printed_escaped(fortress: EveryKind) -> None:
    # C1 controls are obs-text to HTTP parsers, so they pass; xterm reads 0x9b as CSI (ESC [).
    # The verdict reason repeats the origin, so both places must escape.
    origin = b"http://csi-marker.example\x9b2J\x9d0;TITLE\x9c"
    data = request_bytes("GET", "/data", host="localhost").replace(
        b"Connection: close", b"Origin: " + origin + b"\r\nConnection: close"
    )
    assert exchange(fortress.api, data).status == 200
    output = _logged(fortress, "csi-marker")
    assert _unsafe(output) == []
    assert "csi-marker.example\\x9b2J\\x9d0;TITLE\\x9c  blocked" in output


def test_bidi_overrides_in_a_path_are_printed_escaped(fortress: EveryKind) -> None:
    exchange(fortress.site, request_bytes("GET", "/bidi-marker%e2%80%aetxt.exe", host="localhost"))
    output = _logged(fortress, "bidi-marker")
    assert _unsafe(output) == []
    assert "bidi-marker\\u202etxt.exe" in output


@settings(max_examples=100, database=None)
@given(
    path=st.text(),
    method=st.text(max_size=10),
    source=st.none() | st.text(),
    reason=st.none() | st.text(),
    note=st.none() | st.text(),
)
def test_no_request_data_reaches_a_log_line_unescaped(
    path: str, method: str, source: str | None, reason: str | None, note: str | None
) -> None:
    record = RequestRecord(
        origin="api",
        method=method,
        path=path,
        status=200,
        ms=1.0,
        source=source,
        cors=Verdict("blocked", reason, note),
        at=0.0,
    )
    line = record.line()
    assert _unsafe(line) == []
    assert "\n" not in line
    # `--json-log`: the same, and the JSON still reads back to what was sent.
    log_record = logging.LogRecord("devserve.requests", logging.INFO, "", 0, "", (), None)
    log_record.request = record
    json_line = JsonRequestFormatter().format(log_record)
    assert _unsafe(json_line) == [] and "\n" not in json_line
    assert json.loads(json_line)["path"] == path
