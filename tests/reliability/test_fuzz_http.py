"""Property-based fuzzing of paths, methods, headers and bodies on every kind of origin and the
dashboard: never a 5xx (none is configured here), never a traceback, always still answering."""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support.everykind import HOSTILE_REGEX, EveryKind
from tests.support.rawhttp import exchange, request_bytes

TOKEN = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
URL_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@%"
TARGETS = ["site", "api", "spa", "public", "dashboard"]
FRAMING = ("host", "content-length", "transfer-encoding", "connection")  # set by request_bytes

methods = st.sampled_from(
    ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "get"]
) | st.text(alphabet=TOKEN, min_size=1, max_size=12)

segments = st.one_of(
    st.sampled_from(
        [
            "..", ".", "%2e%2e", "%00", "%", "%zz", "%25", "__devserve", "events",
            "livereload.js", "index.html", "hello.txt", "sub", "data", "echo", "api", "item",
            "origins", "cors", "instance", "1", "-1", "99999999999999999999999", "", "~",
            ".env", ".git", "up", "link.txt", "%c0%ae", "%ff%fe",
        ]
    ),
    st.text(alphabet=URL_CHARS, max_size=12),
    st.binary(max_size=8).map(lambda raw: quote(raw, safe="")),
    st.text(max_size=6).map(lambda text: quote(text, safe="")),
)  # fmt: skip
queries = st.none() | st.text(max_size=30).map(lambda text: quote(text, safe="=&"))
# What the fortress answers, so that most requests reach a route, a file or the control API.
KNOWN = [
    "/", "/data", "/echo/x", "/echo/a/b", "/api/item/1", "/api/item/x", "/file", "/hello.txt",
    "/index.html", "/sub/", "/sub", "/__devserve/livereload.js", "/api/origins",
    "/api/origins/api/cors", "/api/origins/nope/cors", "/api/instance", "/dashboard.js",
]  # fmt: skip
paths = st.builds(
    lambda base, parts, query: base + "/".join(parts) + ("" if query is None else "?" + query),
    st.sampled_from(KNOWN) | st.just("/"),
    st.lists(segments, max_size=4),
    queries,
)
targets = paths | st.sampled_from(["*", "http://localhost/", "http://localhost:1/x?y", "//x"])

ORIGINS = [
    "http://localhost:8000", "null", "http://evil.example", "http://a.example.com",
    "http://" + "a." * 27 + "x", "http://" + "a." * 2000 + "x", "", "http://[::1", "\\",
]  # fmt: skip
header_values = st.text(
    alphabet=st.characters(codec="latin-1", exclude_characters="\r\n\x00\x7f")
    .filter(lambda char: char >= " " or char == "\t"),
    max_size=40,
)  # fmt: skip
special_headers = st.one_of(
    st.tuples(st.just("Origin"), st.sampled_from(ORIGINS) | header_values),
    st.tuples(
        st.just("Content-Type"),
        st.sampled_from(["application/json", "text/plain", "multipart/form-data", "x/y;;"])
        | header_values,
    ),
    st.tuples(
        st.just("Range"),
        st.sampled_from(["bytes=0-1", "bytes=5-", "bytes=-3", "items=0-1", "bytes=9-1,0-0"])
        | header_values,
    ),
    st.tuples(st.sampled_from(["If-None-Match", "If-Modified-Since", "If-Range"]), header_values),
    st.tuples(
        st.sampled_from(["Access-Control-Request-Method", "Access-Control-Request-Headers"]),
        st.sampled_from(["PUT", "GET", "x-token, authorization", ""]) | header_values,
    ),
    st.tuples(
        st.sampled_from(["Sec-Fetch-Site", "Sec-Fetch-Mode", "Cookie", "Accept", "X-Echo"]),
        header_values,
    ),
)
other_headers = st.tuples(
    st.text(alphabet=TOKEN, min_size=1, max_size=16).filter(
        lambda name: name.lower() not in FRAMING
    ),
    header_values,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=20,
)
bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=512),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.sampled_from(
        [b"[" * 100_000, b'{"a":' * 50_000, b"[" * 900 + b"]" * 900, b"\xff\xfe", b'{"enabled": 1}']
    ),
)
requests = st.tuples(
    methods, targets, st.lists(special_headers | other_headers, max_size=6), bodies
)


JSON = ("Content-Type", "application/json")
HOSTILE_ORIGIN = ("Origin", "http://" + "a." * 27 + "x")
# Inputs that once broke devserve, always tried first, then hypothesis explores around them.
KNOWN_HOSTILE: list[tuple[str, str, list[tuple[str, str]], bytes]] = [
    ("POST", "/echo/x", [JSON], b"[" * 100_000),
    ("PUT", "/api/origins/api/cors", [JSON], b"[" * 100_000),
    ("GET", "/hello.txt", [("Range", "items=0-1")], b""),
    ("GET", "/hello.txt", [("Range", "bytes=0-0,2-2,4-4")], b""),
    ("GET", "/data", [HOSTILE_ORIGIN], b""),
    ("OPTIONS", "/data", [HOSTILE_ORIGIN, ("Access-Control-Request-Method", "PUT")], b""),
    ("GET", "/%1b]0;TITLE%07%1b[2J%0d%0aforged", [], b""),
    ("GET", "http://evil.example/data", [], b""),
]


def _known_hostile_examples(test: Callable[..., Any]) -> Callable[..., Any]:
    for request in KNOWN_HOSTILE:
        test = example(request=request)(test)
    return test


def _port(fortress: EveryKind, target: str) -> int:
    return fortress.dashboard if target == "dashboard" else fortress.origins[target]


def fuzz(examples: int) -> Callable[..., Any]:
    """A test sending ``examples`` generated requests to one target of the fortress."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=requests)
    @_known_hostile_examples
    def run(
        fortress: EveryKind, target: str, request: tuple[str, str, list[tuple[str, str]], bytes]
    ) -> None:
        method, path, headers, body = request
        data = request_bytes(method, path, host="localhost", headers=headers, body=body)
        reply = exchange(_port(fortress, target), data, read_body=False)
        assert reply.status < 500, (reply.status, reply.headers)

    return run


test_fuzzed_requests = pytest.mark.parametrize("target", TARGETS)(fuzz(60))
test_fuzzed_requests_soak = pytest.mark.soak(pytest.mark.parametrize("target", TARGETS)(fuzz(2000)))


def test_after_fuzzing_no_traceback_and_every_origin_answers(fortress: EveryKind) -> None:
    output = fortress.server.output()
    assert "Traceback" not in output and "Exception in ASGI" not in output, output[-3000:]
    for target in TARGETS:
        reply = exchange(_port(fortress, target), request_bytes("GET", "/", host="localhost"))
        assert reply.status < 500
    assert fortress.server.process.poll() is None
    assert HOSTILE_REGEX  # the spa origin's policy is the hostile regex
