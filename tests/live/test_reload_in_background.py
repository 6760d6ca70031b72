"""A config reload is loaded in a worker thread: while it fetches a spec from a slow upstream,
every origin keeps answering at once, and the new config is applied when the load ends."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devserve.config import Config
from devserve.project import load_project
from devserve.serving.runner import Runner
from tests.mocks.openapi.test_url_spec import inline_spec
from tests.support.process import free_ports, run_devserve
from tests.support.served import served
from tests.support.waiting import wait_until, wait_until_async

UPSTREAM_DELAY_S = 2.0


class SlowUpstream:
    """Serves the spec; once ``slow``, each fetch answers ``UPSTREAM_DELAY_S`` late."""

    def __init__(self) -> None:
        self.spec = inline_spec()
        self.slow = False
        self.fetches = 0
        self.answered = 0
        self.lock = threading.Lock()

    def app(self) -> Starlette:
        async def spec(request: Request) -> Response:
            with self.lock:
                self.fetches += 1
            if self.slow:
                await asyncio.sleep(UPSTREAM_DELAY_S)
            answer = JSONResponse(self.spec)
            with self.lock:
                self.answered += 1
            return answer

        return Starlette(routes=[Route("/openapi.json", spec)])


def test_a_reload_fetching_from_a_slow_upstream_holds_no_origin(tmp_path: Path) -> None:
    upstream = SlowUpstream()
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("<p>hi</p>")
    api_port, web_port = free_ports(2)
    config = tmp_path / "devserve.toml"
    with served(upstream.app()) as upstream_url:
        text = (
            f"[devserve]\ndashboard_port = false\nlive_reload = false\n"
            f'[origins.api]\nport = {api_port}\nproxy = "{upstream_url}"\n'
            f'openapi = "{upstream_url}/openapi.json"\n'
            f'[origins.web]\nport = {web_port}\nstatic = "web"\n'
        )
        config.write_text(text)
        running = run_devserve(
            ["run", "-c", str(config)], cwd=tmp_path, wait_ports=[api_port, web_port]
        )
        try:
            web, api = f"http://127.0.0.1:{web_port}/", f"http://127.0.0.1:{api_port}"
            assert httpx.get(api + "/charges/x").status_code == 422  # the spec's integer id
            upstream.slow = True
            upstream.spec["paths"].pop("/charges/{id}")
            config.write_text(text + "# reloaded\n")
            wait_until(lambda: upstream.fetches == 2, "the reload to fetch the spec")
            # The fetch is under way, for about UPSTREAM_DELAY_S: the other origin answers now,
            # as does the one whose spec is being fetched (with its current spec).
            for url, status in ((web, 200), (api + "/charges/x", 422), (web, 200)):
                start = time.monotonic()
                assert httpx.get(url, timeout=10).status_code == status
                assert time.monotonic() - start < 0.5, url
            assert upstream.answered == 1, "the upstream answered before the requests were made"
            wait_until(
                lambda: httpx.get(api + "/charges/x").status_code == 404,
                "the new spec, once fetched",
                output=running.output,
            )
            assert "Traceback" not in running.output()
        finally:
            running.stop()


def test_reloads_run_one_at_a_time_and_one_overtaken_is_dropped(tmp_path: Path) -> None:
    upstream = SlowUpstream()
    (port,) = free_ports(1)
    config = tmp_path / "devserve.toml"
    head = f"[devserve]\ndashboard_port = false\n[origins.api]\nport = {port}\n"
    route = '[[origins.api.routes]]\npath = "/which"\njson = {{ config = "{}" }}\n'

    async def scenario(upstream_url: str) -> list[Config]:
        config.write_text(head + route.format("first"))
        runner = Runner(load_project(config), host="127.0.0.1", config_path=config, watch=False)
        applied: list[Config] = []
        apply = runner.apply

        async def recorded(new: Config) -> None:
            applied.append(new)
            await apply(new)

        runner.apply = recorded  # type: ignore[method-assign]
        serving = asyncio.create_task(runner.serve(signals=False))
        await runner.wait_ready()
        upstream.slow = True
        spec = f'proxy = "{upstream_url}"\nopenapi = "{upstream_url}/openapi.json"\n'
        config.write_text(head + spec + route.format("slow"))
        slow = asyncio.create_task(runner.reload_config())
        await wait_until_async(lambda: upstream.fetches == 1, "the first reload to fetch the spec")
        config.write_text(head + route.format("last"))
        last = asyncio.create_task(runner.reload_config())
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/which")).json() == {"config": "first"}  # meanwhile
            await asyncio.gather(slow, last)
            assert upstream.answered == 1
            assert (await client.get("/which")).json() == {"config": "last"}
        runner.stop()
        await serving
        return applied

    with served(upstream.app()) as upstream_url:
        applied = asyncio.run(scenario(upstream_url))
    # The slow load ended after a newer reload was asked for: only the newer one was applied.
    assert [c.origins["api"].openapi for c in applied] == [None]
