"""Ordinary bad input gets an answer or one `error:` line, never a traceback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from devserve.project import parse_project as parse_config
from devserve.serving.origin import build_origin
from tests.support.badservers import endless_body, serve_forever, trickled_headers
from tests.support.everykind import EveryKind
from tests.support.process import run_command
from tests.support.rawhttp import exchange, request_bytes
from tests.support.waiting import wait_until

MiB = 1024 * 1024


def _clean(fortress: EveryKind) -> None:
    output = fortress.server.output()
    assert "Traceback" not in output and "Exception in ASGI" not in output, output[-3000:]


def _logged(fortress: EveryKind, needle: str) -> None:
    wait_until(lambda: needle in fortress.server.output(), needle, output=fortress.server.output)


def test_a_half_sent_body_is_one_log_line(fortress: EveryKind) -> None:
    with socket.create_connection(("127.0.0.1", fortress.api)) as sock:
        sock.sendall(
            b'POST /echo/half-sent HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n{"a"'
        )
    _logged(fortress, "POST    /echo/half-sent ")  # answered to nobody, or "-": one line
    _clean(fortress)


def test_a_garbage_chunked_body_is_a_bad_request(fortress: EveryKind) -> None:
    data = (
        b"POST /echo/garbage HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\nzz-not-hex\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", fortress.api), timeout=5) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert exchange(fortress.api, request_bytes("GET", "/data", host="localhost")).status == 200
    _clean(fortress)


def test_deeply_nested_json_is_no_crash(fortress: EveryKind, http: httpx.Client) -> None:
    body = b"[" * 100_000
    route = http.post(f"http://127.0.0.1:{fortress.api}/echo/deep", content=body)
    assert route.status_code == 200 and route.json()["json"] is None  # not JSON: none
    control = http.put(
        f"http://127.0.0.1:{fortress.dashboard}/api/origins/api/cors",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert control.status_code == 400
    _clean(fortress)


def test_a_range_in_another_unit_is_ignored(fortress: EveryKind) -> None:
    reply = exchange(
        fortress.site,
        request_bytes("GET", "/hello.txt", host="localhost", headers=[("Range", "items=0-1")]),
    )
    assert reply.status == 200 and reply.body == b"hello"
    partial = exchange(
        fortress.site,
        request_bytes("GET", "/hello.txt", host="localhost", headers=[("Range", "bytes=0-1")]),
    )
    assert partial.status == 206 and partial.body == b"he"


def test_a_range_in_another_unit_is_ignored_on_a_streamed_file(
    fortress: EveryKind, big_file: Path
) -> None:
    """Files over 1 MiB are streamed from disk, not served from the cache: same rule."""
    for unit, status in (("items=0-1", 200), ("bytes=0-1", 206)):
        data = request_bytes("GET", "/big.bin", host="localhost", headers=[("Range", unit)])
        assert exchange(fortress.site, data, read_body=False).status == status
    # The file goes (the fixture deletes it) while the 64 MiB answer may still be on its way:
    # that connection closes, with one log line and no traceback.


ZEROS = "0" * 5000  # beyond the 4,300 digits Python's int() takes


@pytest.mark.parametrize("size", [5, 2 * MiB], ids=["from-memory", "streamed"])
@pytest.mark.parametrize(
    ("wanted", "statuses", "span"),
    [
        (f"bytes={ZEROS}1-2", {206}, (1, 2)),  # leading zeros: the same number (RFC 9110 14.1.1)
        (f"bytes=0-{ZEROS}1", {206}, (0, 1)),
        (f"bytes=0-1{ZEROS}", {206}, (0, None)),  # an end past the file: up to its last byte
        (f"bytes=-1{ZEROS}", {206}, (0, None)),  # a suffix longer than the file: all of it
        (f"bytes=1{ZEROS}-", {416}, None),  # a start past the file: unsatisfiable
        (f"bytes=0-0,{ZEROS}3-3", {200, 206}, None),  # several parts: served, or all of it
    ],
    ids=["zeros-start", "zeros-end", "huge-end", "huge-suffix", "huge-start", "multipart"],
)
def test_a_range_with_thousands_of_digits_is_answered(
    fortress: EveryKind,
    size: int,
    wanted: str,
    statuses: set[int],
    span: tuple[int, int | None] | None,
) -> None:
    path = fortress.root / "web" / f"digits-{size}.bin"
    content = (bytes(range(256)) * (size // 256 + 1))[:size]
    path.write_bytes(content)
    data = request_bytes("GET", f"/{path.name}", host="localhost", headers=[("Range", wanted)])
    reply = exchange(fortress.site, data)
    assert reply.status in statuses, reply.body[:200]
    if reply.status == 416:
        assert reply.headers["content-range"] == f"bytes */{size}"
    elif span is not None:
        first, last = span[0], size - 1 if span[1] is None else span[1]
        assert reply.headers["content-range"] == f"bytes {first}-{last}/{size}"
        assert reply.body == content[first : last + 1]
    _logged(fortress, f"/{path.name} {reply.status} ")
    _clean(fortress)


@pytest.mark.parametrize("kind", ["site", "api", "spa", "public"])
def test_a_websocket_handshake_without_a_proxy_is_refused_before_the_upgrade(
    fortress: EveryKind, kind: str
) -> None:
    """Routes, static files, or both: nothing there speaks WebSocket, so a 404 that says so."""
    url = f"ws://localhost:{fortress.origins[kind]}/socket-{kind}"
    with pytest.raises(InvalidStatus) as refused, connect(url, open_timeout=5):
        pass
    answer = refused.value.response
    assert answer.status_code == 404
    assert json.loads(answer.body or b"") == {
        "error": f"origin '{kind}' takes no WebSocket connections; add "
        f"[[origins.{kind}.sockets]] to mock one, or a proxy to forward them"
    }
    _logged(fortress, f"WS      /socket-{kind} 404 ")
    _clean(fortress)


@pytest.fixture
def big_file(fortress: EveryKind) -> Iterator[Path]:
    path = fortress.root / "web" / "big.bin"
    with path.open("wb") as file:
        file.truncate(64 * MiB)  # larger than socket buffers: the server is mid-send
    yield path
    path.unlink()


@pytest.mark.parametrize("ranges", [None, "bytes=0-0,16777216-50331647"], ids=["whole", "ranges"])
def test_a_file_truncated_while_sent_closes_that_connection_only(
    fortress: EveryKind, big_file: Path, ranges: str | None
) -> None:
    headers = [("Range", ranges)] if ranges else []
    with socket.create_connection(("127.0.0.1", fortress.site), timeout=10) as sock:
        sock.sendall(request_bytes("GET", "/big.bin", host="localhost", headers=headers))
        assert sock.recv(65536).split(b" ")[1] in (b"200", b"206")
        big_file.write_bytes(b"short")
        received = 0
        while chunk := sock.recv(MiB):
            received += len(chunk)
    assert received < 64 * MiB  # the connection was closed, not padded
    # Not frozen: Starlette's multi-range loop used to spin on the empty reads.
    start = time.monotonic()
    assert exchange(fortress.api, request_bytes("GET", "/data", host="localhost")).status == 200
    assert time.monotonic() - start < 1
    _logged(fortress, "while being sent; the connection was closed")
    _clean(fortress)


def test_a_missing_mock_file_names_the_route_not_the_path(tmp_path: Path) -> None:
    (tmp_path / "data.json").write_text("{}")
    config = parse_config(
        {"origins": {"api": {"port": 8001, "cors": "on", "routes": [
            {"path": "/d", "file": "data.json"}
        ]}}},
        path=tmp_path / "devserve.toml",
        label="t",
    )  # fmt: skip
    app = build_origin("api", config.origins["api"], config.devserve).app
    client = TestClient(app, base_url="http://127.0.0.1:8001")
    (tmp_path / "data.json").unlink()
    response = client.get("/d", headers={"Origin": "http://localhost:8000"})
    assert response.status_code == 500
    assert "GET /d" in response.text and "No such file" in response.text
    assert str(tmp_path) not in response.text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["init", "afile.txt"], "it is a file, not a folder"),
        (["init", "/proc/nope"], "/proc/nope"),
        (["check-config", "-c", "deep.toml"], "nested too deeply"),
    ],
)
def test_cli_user_errors_are_one_error_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "afile.txt").write_text("mine")
    (tmp_path / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000)
    result = run_command(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert (tmp_path / "afile.txt").read_text() == "mine"


@dataclass
class Checked:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_kib: int  # of the check process alone


# Runs `devserve check` as its own child and reports that child's peak memory. Measured from a
# small fresh interpreter: a child forked straight from pytest would count pytest's own pages,
# shared until exec, in its high-water mark.
_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(done.returncode)
"""


def _check(port: int, timeout: float) -> Checked:
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        rss = Path(folder) / "rss"
        result = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(rss),
             sys.executable, "-m", "devserve", "check", f"http://127.0.0.1:{port}/",
             "--origin", "http://localhost:1", "--timeout", str(timeout)],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        seconds = time.monotonic() - start
        return Checked(
            result.returncode, result.stdout, result.stderr, seconds, int(rss.read_text())
        )


def test_check_reads_no_endless_body() -> None:
    port, close = serve_forever(endless_body)
    try:
        result = _check(port, 5)
    finally:
        close()
    assert result.returncode == 0, result.stderr
    assert "ALLOWED" in result.stdout
    assert result.seconds < 5
    # A check holding the endless body would grow by gigabytes.
    assert result.max_rss_kib < 300 * 1024


def test_check_timeout_is_a_total_deadline() -> None:
    """A server that sends a header byte every 0.2 s never trips a per-read timeout."""
    port, close = serve_forever(trickled_headers)
    try:
        result = _check(port, 1.5)
    finally:
        close()
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "timed out" in result.stderr
    # The deadline, plus what starting Python and devserve takes on this machine now (a busy
    # machine starts slower), plus a second: a per-read timeout would run past 10 s here.
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "devserve", "--version"], capture_output=True, check=True)
    assert result.seconds < 1.5 + (time.monotonic() - started) + 1
