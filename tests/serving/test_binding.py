"""A port is ours once we listen on it. With SO_REUSEADDR, Linux lets two sockets bind one port
while neither listens, so two devserves starting together (two pytest-xdist workers, say) could
both bind the default dashboard port; the loser used to fail inside uvicorn with an OSError
after its origins had started. Now the listen is where a taken port is found, as a clear error."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest
from starlette.responses import PlainTextResponse

import devserve
from devserve.errors import PortInUseError
from devserve.serving import binding
from devserve.serving import dashboard as dashboard_module
from devserve.serving.binding import bind, listen
from devserve.serving.listener import Listener
from tests.support.process import free_port


def test_two_binds_of_one_port_and_the_second_listen_is_a_taken_port() -> None:
    port = free_port()
    first, second = bind("a", "127.0.0.1", port), bind("b", "127.0.0.1", port)  # Linux allows
    try:
        listen("a", first, 16)
        with pytest.raises(PortInUseError) as error:
            listen("b", second, 16)
        assert f"cannot start origin 'b': port {port} on 127.0.0.1" in str(error.value)
        assert "already in use" in str(error.value)
        assert second.fileno() == -1  # closed: nothing left half-open
    finally:
        first.close()
        second.close()


def test_a_listener_on_a_port_another_server_took_meanwhile_raises_port_in_use() -> None:
    async def scenario() -> None:
        port = free_port()
        app = PlainTextResponse("hi")
        mine, theirs = bind("api", "127.0.0.1", port), bind("api", "127.0.0.1", port)
        winner = await Listener.start(app, theirs, "api")
        try:
            with pytest.raises(PortInUseError):
                await Listener.start(app, mine, "api")
        finally:
            await winner.stop()

    asyncio.run(scenario())


def test_a_dashboard_port_claimed_between_our_bind_and_listen_is_a_warning_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The race itself, made deterministic: the other devserve listens right after our bind."""
    dashboard = free_port()
    other = socket.socket()
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    other.bind(("127.0.0.1", dashboard))

    def bind_then_lose(name: str, host: str, port: int) -> socket.socket:
        sock = binding.bind(name, host, port)
        if name == "dashboard":
            other.listen()
        return sock

    monkeypatch.setattr(dashboard_module, "bind", bind_then_lose)
    config = devserve.config_from_dict(
        {"devserve": {"dashboard_port": dashboard}, "origins": {"api": {"port": 0}}},
        base=tmp_path,
    )
    try:
        with devserve.run_in_thread(config) as running:
            assert httpx.get(running.url("api") + "/nothing").status_code == 404
        assert f"dashboard: not started: port {dashboard} is taken" in caplog.text
    finally:
        other.close()
