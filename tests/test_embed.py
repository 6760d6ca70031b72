"""The embedding API: devserve.serve (this loop), devserve.run_in_thread, port 0, requests."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import anyio
import httpx
import pytest

import devserve
from devserve import ConfigError, DevserveError, PortInUseError
from tests.conftest import free_port
from tests.support.configs import PAGE_AND_API as CONFIG


def test_the_public_api_is_what_all_says() -> None:
    for name in devserve.__all__:
        assert getattr(devserve, name) is not None, name
    with pytest.raises(AttributeError):
        devserve.nothing_here  # noqa: B018


def test_serve_in_this_event_loop(tmp_path: Path) -> None:
    config = devserve.config_from_toml(CONFIG, base=tmp_path)

    async def main() -> None:
        async with devserve.serve(config) as running:
            api, page = running.url("api"), running.url("page")
            assert api != page and not api.endswith(":0")
            origin = {"Origin": page.replace("127.0.0.1", "localhost")}
            async with httpx.AsyncClient() as client:
                first = await client.get(api + "/users/1", headers=origin)
                assert first.headers["access-control-allow-origin"] == origin["Origin"]
                running.set_cors("api", enabled=False)
                second = await client.get(api + "/users/2", headers=origin)
                assert "access-control-allow-origin" not in second.headers
            assert [(r.path, r.cors.verdict if r.cors else None) for r in running.requests] == [
                ("/users/1", "allowed"),
                ("/users/2", "blocked"),
            ]
            with pytest.raises(AssertionError, match=r"1 request\(s\) blocked[\s\S]*/users/2"):
                running.assert_no_blocked_requests()
            running.clear()
            running.assert_no_blocked_requests()

    anyio.run(main)


def test_two_instances_with_port_zero_side_by_side(tmp_path: Path) -> None:
    config = devserve.config_from_toml(CONFIG, base=tmp_path)
    with devserve.run_in_thread(config) as one, devserve.run_in_thread(config) as two:
        urls = {one.url("api"), one.url("page"), two.url("api"), two.url("page")}
        assert len(urls) == 4
        for running in (one, two):
            assert httpx.get(running.url("api") + "/users/7").json()["name"] == "Ada"
        one.set_cors("api", enabled=False)
        origin = {"Origin": "http://localhost:1"}
        assert (
            "access-control-allow-origin"
            not in httpx.get(one.url("api") + "/users/1", headers=origin).headers
        )
        assert (
            "access-control-allow-origin"
            in httpx.get(two.url("api") + "/users/1", headers=origin).headers
        )


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_start_and_stop_twenty_times_leaks_nothing(tmp_path: Path) -> None:
    port = free_port()
    config = devserve.config_from_dict(
        {"devserve": {"dashboard_port": False}, "origins": {"api": {"port": port}}},
        base=tmp_path,
    )
    with devserve.run_in_thread(config):  # warm up imports and lazy singletons
        pass
    threads, fds = threading.active_count(), _open_fds()
    for _ in range(20):
        with devserve.run_in_thread(config) as running:
            assert httpx.get(running.url("api") + "/x").status_code == 404
    assert threading.active_count() == threads
    assert _open_fds() <= fds
    with devserve.run_in_thread(config):  # the same fixed port is free again every time
        pass


def test_start_up_errors_are_devserve_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"<toml text>: origins.api.port"):
        devserve.config_from_toml("[origins.api]\nport = 'x'\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        devserve.config_from_toml("[origins.api\n")
    config = devserve.config_from_toml(CONFIG, base=tmp_path)
    with devserve.run_in_thread(config) as running:
        taken = int(running.url("api").rsplit(":", 1)[1])
        clash = devserve.config_from_dict(
            {"devserve": {"dashboard_port": False}, "origins": {"api": {"port": taken}}}
        )
        with (
            pytest.raises(PortInUseError, match=f"port {taken}"),
            devserve.run_in_thread(clash),
        ):
            pass
    assert issubclass(PortInUseError, DevserveError)


def test_config_from_file(tmp_path: Path) -> None:
    (tmp_path / "devserve.toml").write_text(CONFIG)
    config = devserve.config_from_file(tmp_path / "devserve.toml")
    assert list(config.origins) == ["page", "api"]
    assert config.origins["page"].static == tmp_path.resolve()


def test_reset_restores_resources(tmp_path: Path) -> None:
    (tmp_path / "db.json").write_text('{"posts": [{"id": 1, "title": "first"}]}')
    config = devserve.config_from_dict(
        {
            "devserve": {"dashboard_port": False},
            "origins": {"api": {"port": 0, "resources": "db.json"}},
        },
        base=tmp_path,
    )
    with devserve.run_in_thread(config) as running:
        posts = running.url("api") + "/posts"
        assert httpx.post(posts, json={"title": "second"}).status_code == 201
        assert len(httpx.get(posts).json()) == 2
        running.reset()
        assert httpx.get(posts).json() == [{"id": 1, "title": "first"}]

    async def main() -> None:
        async with devserve.serve(config) as running, httpx.AsyncClient() as client:
            await client.post(running.url("api") + "/posts", json={"title": "third"})
            await running.reset()
            assert len((await client.get(running.url("api") + "/posts")).json()) == 1

    anyio.run(main)


def test_a_dict_a_toml_text_or_a_path_is_accepted_as_the_config(tmp_path: Path) -> None:
    (tmp_path / "devserve.toml").write_text('[origins.api]\nport = 0\ncors = "on"\n')
    sources: list[object] = [
        {"origins": {"api": {"port": 0}}},
        '[origins.api]\nport = 0\ncors = "on"\n',
        tmp_path / "devserve.toml",
    ]
    for source in sources:
        with devserve.run_in_thread(source) as running:  # type: ignore[arg-type]
            assert httpx.get(running.url("api") + "/nothing").status_code == 404


def test_an_embedded_instance_opens_no_dashboard_unless_its_config_asks(tmp_path: Path) -> None:
    logged: list[str] = []

    async def main() -> None:
        async with devserve.serve({"origins": {"api": {"port": 0}}}, echo=logged.append):
            pass
        asked = {"devserve": {"dashboard_port": 0}, "origins": {"api": {"port": 0}}}
        async with devserve.serve(asked, echo=logged.append):
            pass

    anyio.run(main)
    assert "dashboard: off (dashboard_port = false)" in logged[0]
    assert "dashboard: http://127.0.0.1:" in logged[1]


def test_blocked_requests_advise_what_a_test_can_do(tmp_path: Path) -> None:
    config = {"origins": {"api": {"port": 0, "cors": "off"}}}
    with devserve.run_in_thread(config) as running:
        httpx.get(running.url("api") + "/x", headers={"Origin": "http://localhost:3000"})
        with pytest.raises(AssertionError) as blocked:
            running.assert_no_blocked_requests()
    assert "running.set_cors('api', enabled=True)" in str(blocked.value)
    assert "devserve cors" not in str(blocked.value)
