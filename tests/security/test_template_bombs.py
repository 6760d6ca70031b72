"""Template bombs: no template can freeze devserve, grow it past its bound, or keep running.

Every bomb of the security issue is sent to a real devserve whose whole address space is capped
(RLIMIT_AS, inherited by anything it starts), so a regression fails the test instead of taking
the machine down. Renders happen in renderer processes capped at ``template_memory_mb`` and
killed at their time limit; devserve itself must not grow while they run.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import threading
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from tests.support.configs import config_toml
from tests.support.process import Devserve, free_ports, memory_mb, run_devserve
from tests.support.waiting import wait_until

DEVSERVE_CAP_MB = 1536  # the address space of devserve and its renderers, as a safety net
RENDERER_MB = 256  # template_memory_mb of the server under test
RSS_BOUND_MB = 200  # devserve's own resident memory: about 60 MB at rest
ANSWER_SECONDS = 10  # a bomb is answered well within this

BOMBS = {
    # Quadratic work inside one C call: froze the whole process for ~30 s.
    "sum": "{{ ([[0]*10000]*1500)|sum(start=[])|length }}",
    # Each allocated 1-4 GB in one step that the sandbox's estimates let through.
    "join": "{{ ''.join(['x' * 10000000] * 100)|length }}",
    "format": "{{ '{:{}}'.format('x', '999999999')|length }}",
    "list-multiplication": "{% set ns = namespace(items=[]) %}{% for i in range(100) %}"
    "{% set ns.items = ns.items + [[i] * 10000000] %}{% endfor %}{{ ns.items|length }}",
    "tojson": "{{ (['x' * 10000000] * 100)|tojson|length }}",
    "pprint": "{{ (['x' * 10000000] * 100)|pprint|length }}",
    "map": "{{ (['x' * 10000000] * 100)|map('upper')|list|length }}",
    "append": "{% set items = [] %}{% for i in range(200) %}"
    "{{ items.append('x' * 10000000) or '' }}{% endfor %}{{ items|length }}",
    # Slow inside one filter call: kept running long after its 500, filling the render pool.
    "urlize": "{{ ('a.b ' * 2000000)|urlize|length }}",
}


def _config(api: int, other: int) -> str:
    routes: list[dict[str, object]] = [
        {"path": f"/bomb/{name}", "body": template} for name, template in BOMBS.items()
    ]
    routes += [
        {"path": "/ok", "json": {"n": "{{ query.n|int + 1 }}"}},
        {"path": "/echo", "body": "echo", "headers": {"X-Echo": "{{ query.v }}"}},
        {"path": "/power", "body": "{{ 2**50000 }}"},
        {"path": "/power-json", "json": {"n": "{{ 2**50000 }}"}},
    ]
    return config_toml(
        {
            "api": {"port": api, "routes": routes},
            "other": {"port": other, "routes": [{"path": "/ping", "body": "pong"}]},
        },
        {"dashboard_port": False, "template_memory_mb": RENDERER_MB},
    )


def _start(folder: Path) -> Devserve:
    api, other = free_ports(2)
    (folder / "devserve.toml").write_text(_config(api, other))
    server = run_devserve(
        ["run", "--no-reload", "-c", str(folder / "devserve.toml")],
        cwd=folder,
        wait_ports=[api, other],
        address_space=DEVSERVE_CAP_MB * 1024 * 1024,
    )
    server.ports = [api, other]
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devserve]:
    running = _start(tmp_path_factory.mktemp("bombs"))
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def _get(server: Devserve, path: str, port: int = 0) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{server.ports[port]}{path}", timeout=30)


def _while_pinging(server: Devserve, path: str) -> tuple[httpx.Response, float, list[float]]:
    """GET ``path`` on api; meanwhile ping the other origin. (response, seconds, ping times)"""
    result: dict[str, httpx.Response | float] = {}

    def heavy() -> None:
        started = time.monotonic()
        result["response"] = _get(server, path)
        result["took"] = time.monotonic() - started

    thread = threading.Thread(target=heavy)
    thread.start()
    pings = []
    while thread.is_alive():
        started = time.monotonic()
        assert _get(server, "/ping", 1).text == "pong"
        pings.append(time.monotonic() - started)
        rss = memory_mb(server.process.pid, "VmRSS")
        assert rss < RSS_BOUND_MB, f"devserve grew to {rss:.0f} MB"
    thread.join()
    response, took = result["response"], result["took"]
    assert isinstance(response, httpx.Response) and isinstance(took, float)
    return response, took, pings


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_bomb_is_a_quick_500_and_devserve_neither_freezes_nor_grows(
    server: Devserve, name: str
) -> None:
    response, took, pings = _while_pinging(server, f"/bomb/{name}")
    assert response.status_code == 500, response.text
    reason = response.json()["reason"]
    assert "over a limit" in reason
    assert took < ANSWER_SECONDS
    assert max(pings) < 2, pings
    assert memory_mb(server.process.pid) < RSS_BOUND_MB  # the peak, over every bomb so far
    assert _get(server, "/ok?n=1").json() == {"n": 2}


def test_the_reasons_name_the_memory_and_the_time_limit(server: Devserve) -> None:
    memory = _get(server, "/bomb/join").json()["reason"]
    assert f"used more than {RENDERER_MB} MiB of memory" in memory
    slow = _get(server, "/bomb/urlize").json()["reason"]
    assert "ran past its time limit of 1000 ms" in slow


def test_renders_past_their_limit_are_stopped_so_the_pool_recovers(server: Devserve) -> None:
    replies: list[httpx.Response] = []
    threads = [
        threading.Thread(target=lambda: replies.append(_get(server, "/bomb/urlize")))
        for _ in range(4)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [reply.status_code for reply in replies] == [500] * 4
    assert time.monotonic() - started < ANSWER_SECONDS
    # The runaways were stopped, not left running: the very next template renders at once.
    started = time.monotonic()
    assert _get(server, "/ok?n=41").json() == {"n": 42}
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("value", ["%1b", "%0b", "%7f", "a%00b"])
def test_a_header_template_giving_a_control_character_is_a_500_with_one_escaped_line(
    server: Devserve, value: str
) -> None:
    response = _get(server, f"/echo?v={value}")
    assert response.status_code == 500
    control = next(c for c in unquote(value) if unicodedata.category(c) == "Cc")
    reason = f"headers.X-Echo: the value contains a control character ({control!r})"
    assert reason in response.json()["reason"]
    wait_until(lambda: reason in server.output(), "the log line", output=server.output)
    _assert_clean(server.output())


@pytest.mark.parametrize("path", ["/power", "/power-json"])
def test_a_number_too_large_to_print_is_a_500_that_says_so(server: Devserve, path: str) -> None:
    response = _get(server, path)
    assert response.status_code == 500
    assert "2 ** 50000 is too large a number" in response.json()["reason"]
    wait_until(lambda: f"{path} 500" in server.output(), "the log line", output=server.output)
    _assert_clean(server.output())


def _assert_clean(output: str) -> None:
    assert "Traceback" not in output
    unsafe = [c for c in output if unicodedata.category(c) == "Cc" and c != "\n"]
    assert unsafe == [], unsafe


def _cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and of its child processes that are still running (Linux /proc)."""
    total = 0.0
    for process in (pid, *_children(pid)):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _ended(pid: int) -> bool:
    """Whether ``pid`` is gone, or a zombie (ended, not yet reaped by its parent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_renderers_killed_from_outside_are_replaced(server: Devserve) -> None:
    assert _get(server, "/ok?n=1").json() == {"n": 2}
    renderers = _children(server.process.pid)
    assert renderers
    for pid in renderers:
        os.kill(pid, signal.SIGKILL)
    for pid in renderers:
        wait_until(functools.partial(_ended, pid), f"renderer {pid} to end")
    assert _get(server, "/ok?n=2").json() == {"n": 3}


def test_ctrl_c_stops_at_once_while_bombs_run(tmp_path: Path) -> None:
    server = _start(tmp_path)
    try:
        before = _cpu_seconds(server.process.pid)
        clients = []
        for name in ("sum", "urlize"):
            sock = socket.create_connection(("127.0.0.1", server.ports[0]), timeout=10)
            sock.sendall(f"GET /bomb/{name} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            clients.append(sock)
        burning = lambda: _cpu_seconds(server.process.pid) > before + 0.3  # noqa: E731
        wait_until(burning, "the bombs to run", output=server.output)
        renderers = _children(server.process.pid)
        started = time.monotonic()
        assert server.stop(signal.SIGINT, timeout=10) == 0
        assert time.monotonic() - started < 3
        for pid in renderers:  # no renderer outlives devserve
            wait_until(functools.partial(_ended, pid), f"renderer {pid} to end")
        for sock in clients:
            sock.close()
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
