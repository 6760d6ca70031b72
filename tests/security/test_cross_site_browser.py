"""Chromium as the attacker: a page on http://evil.test (a foreign site name Chromium maps to
127.0.0.1) submits forms and opens sockets to devserve; the same page served from a local
origin the policy allows does the same and succeeds, so each refusal is the guard's doing."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from devserve.records import RequestRecord
from devserve.serving.origin import build_origin
from tests.support.configs import build_config
from tests.support.served import served
from tests.support.upstream import Upstream

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

FORM_PAGE = """<!doctype html><form method="post" action="{action}">
<input name="title" value="pwned"></form><script>document.forms[0].submit()</script>"""
SOCKET_PAGE = """<!doctype html><script>
window.result = new Promise((done) => {{
  const socket = new WebSocket("{target}");
  socket.onopen = () => socket.send("hi");
  socket.onmessage = (event) => done("read: " + event.data);
  socket.onclose = (event) => done("closed " + event.code);
}});
</script>"""


async def page(request: Request) -> HTMLResponse:
    """The attacker's (or the developer's) page: which one depends only on the Host it is
    opened under, the same server answers both."""
    kind, target = request.query_params["kind"], request.query_params["target"]
    if kind == "form":
        return HTMLResponse(FORM_PAGE.format(action=target))
    return HTMLResponse(SOCKET_PAGE.format(target=target))


@dataclass
class Sites:
    port: int  # where both the evil page and the local page are served

    def evil(self, kind: str, target: str) -> str:
        return f"http://evil.test:{self.port}/?kind={kind}&target={target}"

    def local(self, kind: str, target: str) -> str:
        return f"http://localhost:{self.port}/?kind={kind}&target={target}"


@pytest.fixture
def sites() -> Iterator[Sites]:
    with served(Starlette(routes=[Route("/", page)])) as url:
        port = urlsplit(url).port
        assert port is not None
        yield Sites(port)


@contextlib.contextmanager
def victim(tmp_path: Path, **settings: Any) -> Iterator[tuple[str, list[RequestRecord]]]:
    config = build_config(tmp_path, {"api": {"port": 8001, **settings}})
    records: list[RequestRecord] = []
    app = build_origin("api", config.origins["api"], config.devserve, observer=records.append)
    with served(app.app) as url:
        yield url, records


def test_a_foreign_form_cannot_create_a_record(
    context: BrowserContext, sites: Sites, tmp_path: Path
) -> None:
    db = tmp_path / "db.json"
    db.write_text(json.dumps({"posts": []}))
    local = f"http://localhost:{sites.port}"
    with victim(tmp_path, resources="db.json", cors={"allow_origins": [local]}) as (url, log):
        tab = context.new_page()
        tab.goto(sites.evil("form", f"{url}/posts"))
        tab.wait_for_function("document.body && document.body.innerText.includes('refused')")
        assert "allow_origins" in tab.inner_text("body")  # the fix, shown to the developer
        assert json.loads(db.read_text()) == {"posts": []}
        # The same form from the page the policy lists goes through.
        tab.goto(sites.local("form", f"{url}/posts"))
        tab.wait_for_function("document.body && document.body.innerText.includes('pwned')")
    assert json.loads(db.read_text())["posts"][0]["title"] == "pwned"
    posts = [record for record in log if record.method == "POST"]  # not /favicon.ico
    assert [record.status for record in posts] == [403, 201]
    assert posts[0].source == f"http://evil.test:{sites.port}"


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, str]]:
    api = Upstream()
    with served(api.app) as url:
        yield api, url


def test_a_foreign_form_cannot_post_through_the_proxy_with_the_secret(
    context: BrowserContext, sites: Sites, tmp_path: Path, upstream: tuple[Upstream, str]
) -> None:
    api, upstream_url = upstream
    local = f"http://localhost:{sites.port}"
    settings = {
        "proxy": upstream_url,
        "proxy_headers": {"X-Api-Key": "sk-live-secret"},
        "cors": {"allow_origins": [local]},
    }
    with victim(tmp_path, **settings) as (url, _):
        tab = context.new_page()
        tab.goto(sites.evil("form", f"{url}/echo"))
        tab.wait_for_function("document.body && document.body.innerText.includes('refused')")
        assert api.hits == {}
        tab.goto(sites.local("form", f"{url}/echo"))
        tab.wait_for_function("document.body && document.body.innerText.includes('sk-live')")
    assert api.hits == {"/echo": 1}


def test_a_foreign_page_cannot_open_a_websocket_through_the_proxy(
    context: BrowserContext, sites: Sites, tmp_path: Path, upstream: tuple[Upstream, str]
) -> None:
    api, upstream_url = upstream
    local = f"http://localhost:{sites.port}"
    settings = {
        "proxy": upstream_url,
        "proxy_headers": {"X-Api-Key": "sk-live-secret"},
        "cors": {"allow_origins": [local]},
    }
    with victim(tmp_path, **settings) as (url, log):
        target = url.replace("http://", "ws://") + "/ws"
        tab = context.new_page()
        tab.goto(sites.evil("socket", target))
        assert tab.evaluate("window.result") == "closed 1006"  # refused before the upgrade
        assert api.hits == {}
        tab.goto(sites.local("socket", target))
        assert tab.evaluate("window.result") == "read: echo: hi (sk-live-secret)"
    sockets = [(record.method, record.status) for record in log if record.method == "WS"]
    assert sockets == [("WS", 403), ("WS", 101)]
