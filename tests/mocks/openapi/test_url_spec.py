"""``openapi`` at a URL: fetched from the origin's proxy upstream (an app on 127.0.0.1 here) when
the config loads, and from nowhere else; any other URL, an upstream that is down or answers
badly, an oversized or invalid spec is a config error naming the URL."""

from __future__ import annotations

import contextlib
import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from devserve.errors import ConfigError
from devserve.proxy.specfetch import MOST_SPEC_BYTES
from devserve.serving.origin import build_origin
from tests.mocks.conftest import config_problems
from tests.mocks.openapi.conftest import PAYMENTS, SCHEMAS
from tests.support.badservers import endless_body, serve_forever, trickled_headers
from tests.support.bombs import bomb
from tests.support.configs import build_config
from tests.support.process import free_port, free_ports, run_command, run_devserve
from tests.support.served import served
from tests.support.waiting import wait_until


def inline_spec() -> dict[str, Any]:
    """The payments spec in one document: its schemas under components, referred to by #/."""
    inline = PAYMENTS.replace("schemas.yaml#/", "#/components/schemas/")
    spec: dict[str, Any] = yaml.safe_load(inline)
    spec["components"] = {"schemas": yaml.safe_load(SCHEMAS)}
    return spec


@dataclass
class SpecServer:
    """The upstream: serves the spec (``spec`` may be changed between loads) and the API."""

    spec: dict[str, Any] = field(default_factory=inline_spec)
    asked: list[str] = field(default_factory=list)
    url: str = ""

    def app(self) -> Starlette:
        async def spec(request: Request) -> Response:
            self.asked.append(request.url.path)
            if request.url.path.endswith(".yaml"):
                return Response(yaml.safe_dump(self.spec), media_type="application/yaml")
            return JSONResponse(self.spec)

        async def moved(request: Request) -> Response:
            return RedirectResponse(request.query_params["to"], status_code=302)

        async def gzipped(request: Request) -> Response:
            body = gzip.compress(json.dumps(self.spec).encode())
            return Response(body, headers={"content-encoding": "gzip"})

        async def bombed(request: Request) -> Response:
            return Response(bomb("gzip"), headers={"content-encoding": "gzip"})

        async def huge(request: Request) -> Response:
            return Response(b"{}", headers={"content-length": str(MOST_SPEC_BYTES + 1)})

        async def external(request: Request) -> Response:
            return Response(PAYMENTS, media_type="application/yaml")

        async def charges(request: Request) -> Response:
            return JSONResponse({"upstream": True}, status_code=201)

        async def broken(request: Request) -> Response:
            return Response("openapi: 3.0.3\ninfo: [unclosed\n", media_type="application/yaml")

        return Starlette(
            routes=[
                Route("/specs/openapi.json", spec),
                Route("/specs/openapi.yaml", spec),
                Route("/moved", moved),
                Route("/gzipped", gzipped),
                Route("/bomb", bombed),
                Route("/huge", huge),
                Route("/external.yaml", external),
                Route("/broken.yaml", broken),
                Route("/charges", charges, methods=["POST"]),
            ]
        )


@contextlib.contextmanager
def origin_client(tmp_path: Path, origin: dict[str, Any]) -> Iterator[httpx.Client]:
    """A client of origin 'api' on a real port: its proxy client has a loop of its own."""
    config = build_config(tmp_path, {"api": {"port": 8001, **origin}})
    app = build_origin("api", config.origins["api"], config.devserve).app
    with served(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.fixture
def upstream() -> Iterator[SpecServer]:
    server = SpecServer()
    with served(server.app()) as url:
        server.url = url
        yield server


def test_a_spec_on_the_upstream_validates_requests_before_they_are_proxied(
    tmp_path: Path, upstream: SpecServer
) -> None:
    for path in ("/specs/openapi.json", "/specs/openapi.yaml", "/gzipped"):
        origin = {"proxy": upstream.url, "openapi": upstream.url + path}
        with origin_client(tmp_path, origin) as api:
            refused = api.post("/charges", json={"amount": "5", "currency": "usd"})
            passed = api.post("/charges", json={"amount": 500, "currency": "usd"})
        assert refused.status_code == 422, path
        assert refused.json()["operationId"] == "createCharge"
        assert passed.status_code == 201 and passed.json() == {"upstream": True}
    # A redirect that stays on the upstream's origin is followed.
    moved = f"{upstream.url}/moved?to=/specs/openapi.json"
    with origin_client(tmp_path, {"proxy": upstream.url, "openapi": moved}) as api:
        assert api.post("/charges", json={"amount": "5", "currency": "usd"}).status_code == 422


def test_a_config_load_fetches_it_again_and_a_bad_fetch_keeps_the_last_good_spec(
    tmp_path: Path, upstream: SpecServer
) -> None:
    origin = {"proxy": upstream.url, "openapi": upstream.url + "/specs/openapi.json"}
    # One event loop for the whole test: the proxy's pooled client lives in it.
    with origin_client(tmp_path, origin) as api:
        assert upstream.asked == ["/specs/openapi.json"]
        assert api.get("/charges/x").status_code == 422  # id: integer, says the spec
        upstream.spec["paths"] = {}
        build_config(tmp_path, {"api": {"port": 8001, **origin}})
        assert upstream.asked == ["/specs/openapi.json"] * 2
        assert api.get("/charges/x").status_code == 404  # the new spec: proxied, not refused
        upstream.spec = inline_spec()  # the operations are back, but the config is invalid
        with pytest.raises(ConfigError):  # openapi_resources without resources
            build_config(tmp_path, {"api": {"port": 8001, **origin, "openapi_resources": ["/a"]}})
        assert upstream.asked == ["/specs/openapi.json"] * 3
        assert api.get("/charges/x").status_code == 404  # the last good config's spec
        upstream.spec = {"openapi": "3.0.3"}  # no info, no paths: invalid
        with pytest.raises(ConfigError) as refused:
            build_config(tmp_path, {"api": {"port": 8001, **origin}})
        assert f"{upstream.url}/specs/openapi.json, at /: " in refused.value.message
        upstream.spec = inline_spec()
        assert api.get("/charges/x").status_code == 404  # the last good spec still serves


def test_a_url_off_the_proxy_upstream_or_without_a_proxy_is_a_config_error(
    tmp_path: Path, upstream: SpecServer
) -> None:
    elsewhere = f"http://localhost:{upstream.url.rsplit(':', 1)[1]}/specs/openapi.json"
    (problem,) = config_problems(tmp_path, {"proxy": upstream.url, "openapi": elsewhere})
    assert problem == (
        f"origins.api.openapi: '{elsewhere}' is not on the proxy's upstream ({upstream.url}); "
        f"a spec is fetched from there only: give a URL under {upstream.url}/, or download "
        "the spec into the project and give its path"
    )
    (problem,) = config_problems(tmp_path, {"openapi": upstream.url + "/specs/openapi.json"})
    assert problem.startswith("origins.api.openapi: a spec at a URL is fetched through the")
    assert f'add proxy = "{upstream.url}"' in problem
    (problem,) = config_problems(tmp_path, {"openapi": "ftp://example.com/openapi.json"})
    assert "a spec is a file or an http(s) URL on the proxy's upstream" in problem
    assert upstream.asked == []  # none of them was fetched from anywhere


def test_check_config_exits_2_with_one_line_naming_file_key_and_fix(tmp_path: Path) -> None:
    (tmp_path / "devserve.toml").write_text(
        '[origins.api]\nport = 8001\nproxy = "https://api.example.com"\n'
        'openapi = "https://specs.example.com/openapi.json"\n'
    )
    result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {tmp_path / 'devserve.toml'}: origins.api.openapi: ")
    assert "give a URL under https://api.example.com/" in line


def test_an_upstream_that_is_down_or_answers_badly_is_named(
    tmp_path: Path, upstream: SpecServer
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    (problem,) = config_problems(tmp_path, {"proxy": down, "openapi": down + "/openapi.json"})
    assert problem.startswith(
        f"origins.api.openapi: {down}/openapi.json: cannot fetch the spec from the proxy's "
        "upstream: cannot reach the upstream ("
    )
    missing = upstream.url + "/specs/nothing.json"
    (problem,) = config_problems(tmp_path, {"proxy": upstream.url, "openapi": missing})
    assert problem.endswith(f"{missing}: cannot fetch the spec from the proxy's upstream: "
                            "the upstream answered 404 Not Found")
    broken = upstream.url + "/broken.yaml"
    (problem,) = config_problems(tmp_path, {"proxy": upstream.url, "openapi": broken})
    assert problem.startswith(f"origins.api.openapi: {broken}: not valid YAML at line 3")


@pytest.mark.parametrize("path", ["/huge", "/bomb"])
def test_a_spec_over_the_size_bound_is_refused(
    tmp_path: Path, upstream: SpecServer, path: str
) -> None:
    (problem,) = config_problems(tmp_path, {"proxy": upstream.url, "openapi": upstream.url + path})
    assert problem == (
        f"origins.api.openapi: {upstream.url}{path}: cannot fetch the spec from the proxy's "
        "upstream: it is larger than 20 MiB; download it into the project and give its path"
    )


def test_redirects_off_the_upstream_and_refs_outside_the_document_are_refused(
    tmp_path: Path, upstream: SpecServer
) -> None:
    port = upstream.url.rsplit(":", 1)[1]
    away = f"{upstream.url}/moved?to=http://localhost:{port}/specs/openapi.json"
    (problem,) = config_problems(tmp_path, {"proxy": upstream.url, "openapi": away})
    assert f"the upstream redirects to http://localhost:{port}/specs/openapi.json, off its " in (
        problem
    )
    assert upstream.asked == []  # not followed
    external = upstream.url + "/external.yaml"
    problems = config_problems(tmp_path, {"proxy": upstream.url, "openapi": external})
    assert problems[0].startswith(f"origins.api.openapi: {external}, at /paths/")
    assert "'schemas.yaml#/" in problems[0]
    assert "is outside the spec fetched from its URL: only references inside it (#/...)" in (
        problems[0]
    )


def test_an_endless_body_stops_at_the_bound_and_a_trickle_at_the_timeout(tmp_path: Path) -> None:
    port, close = serve_forever(endless_body)
    try:
        url = f"http://127.0.0.1:{port}"
        (problem,) = config_problems(tmp_path, {"proxy": url, "openapi": url + "/openapi.json"})
        assert problem.endswith("it is larger than 20 MiB; download it into the project and "
                                "give its path")
    finally:
        close()
    port, close = serve_forever(trickled_headers)  # a byte every 0.2 s: no read ever times out
    try:
        url = f"http://127.0.0.1:{port}"
        began = time.monotonic()
        (problem,) = config_problems(
            tmp_path, {"proxy": url, "openapi": url + "/openapi.json", "proxy_timeout": 1}
        )
        assert problem.endswith("cannot fetch the spec from the proxy's upstream: the upstream "
                                "did not answer within 1 s")
        assert time.monotonic() - began < 10
    finally:
        close()


def test_a_running_devserve_fetches_at_each_reload_and_keeps_the_last_good_spec(
    tmp_path: Path, upstream: SpecServer
) -> None:
    (port,) = free_ports(1)
    config = tmp_path / "devserve.toml"
    text = (
        f'[devserve]\ndashboard_port = false\n[origins.api]\nport = {port}\n'
        f'proxy = "{upstream.url}"\nopenapi = "{upstream.url}/specs/openapi.yaml"\n'
    )
    config.write_text(text)
    running = run_devserve(["run", "-c", str(config)], cwd=tmp_path, wait_ports=[port])
    try:
        api = f"http://127.0.0.1:{port}"
        assert httpx.get(api + "/charges/x").status_code == 422
        upstream.spec["paths"].pop("/charges/{id}")
        config.write_text(text + "# reloaded\n")
        wait_until(lambda: httpx.get(api + "/charges/x").status_code == 404, "the new spec")
        upstream.spec = {"openapi": "3.0.3"}  # broken: the next reload keeps the last good one
        config.write_text(text + "# reloaded again\n")
        wait_until(
            lambda: "still serving the last good config" in running.output(),
            "the reload to fail",
            output=running.output,
        )
        assert f"{upstream.url}/specs/openapi.yaml, at /: " in running.output()
        assert httpx.get(api + "/charges/x").status_code == 404
        assert "Traceback" not in running.output()
    finally:
        running.stop()


def test_devserve_run_exits_2_when_the_upstream_is_down(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    (tmp_path / "devserve.toml").write_text(
        f'[devserve]\ndashboard_port = false\n[origins.api]\nport = {free_port()}\n'
        f'proxy = "{down}"\nopenapi = "{down}/openapi.json"\n'
    )
    result = run_command("--no-reload", "run", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"origins.api.openapi: {down}/openapi.json: cannot fetch the spec" in line
