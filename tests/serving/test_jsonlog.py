"""`devserve run --json-log`: one JSON object per request on stdout, nothing else there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import free_ports, port_open
from tests.support.waiting import wait_until


def test_json_log_prints_one_object_per_request_and_nothing_else(tmp_path: Path) -> None:
    api, page, dashboard = free_ports(3)
    (tmp_path / "devserve.toml").write_text(
        f"[devserve]\ndashboard_port = {dashboard}\n\n"
        f'[origins.api]\nport = {api}\ncors = "off"\n\n'
        f'[[origins.api.routes]]\npath = "/users"\njson = [1, 2]\n'
        f'\n[origins.page]\nport = {page}\nstatic = "."\n'
    )
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "devserve", "run", "--json-log", "--no-reload"],
            cwd=tmp_path,
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        wait_until(
            lambda: process.poll() is not None or (port_open(api) and port_open(page)),
            "devserve to listen",
            timeout=15,
            output=err.read_text,
        )
        assert process.poll() is None, err.read_text()
        headers = {"Origin": f"http://localhost:{page}"}
        httpx.get(f"http://127.0.0.1:{api}/users", headers=headers)
        httpx.get(f"http://127.0.0.1:{api}/missing%1b[2J")
        wait_until(lambda: out.read_text().count("\n") >= 2, "two log lines", output=out.read_text)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    lines = out.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every stdout line is one JSON object
    assert [(r["origin"], r["method"], r["path"], r["status"]) for r in records] == [
        ("api", "GET", "/users", 200),
        ("api", "GET", "/missing\x1b[2J", 404),
    ]
    first = records[0]
    assert first["from"] == f"http://localhost:{page}"
    assert first["cors"]["verdict"] == "blocked"
    assert "CORS is off" in first["cors"]["reason"]
    assert isinstance(first["ms"], float | int) and first["time"].endswith("Z")
    assert records[1]["cors"] == {
        "verdict": None,
        "reason": None,
        "note": None,
        "cookies": [],
        "cookies_lost": [],
    }
    # The control character stays escaped inside the JSON string: no raw ESC on stdout.
    assert "\x1b" not in out.read_text()
    assert "devserve" in err.read_text() and "api" in err.read_text()  # the banner, on stderr


def test_a_socket_frame_is_a_json_object_of_its_own() -> None:
    import logging

    from devserve.records import SocketRecord
    from devserve.serving.jsonlog import JsonRequestFormatter

    frame = SocketRecord("api", "/ws", 3, "in", 0.0, text='{"a":"\x1b"}', size=9)
    record = logging.LogRecord("devserve.requests", logging.INFO, "", 0, "%s", (frame,), None)
    record.socket = frame
    line = JsonRequestFormatter().format(record)
    data = json.loads(line)
    assert (data["method"], data["event"], data["connection"]) == ("WS", "in", 3)
    assert data["text"] == '{"a":"\x1b"}' and "\x1b" not in line  # escaped on the line
