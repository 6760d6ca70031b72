"""What headless Chromium sees of mocks: faults as network errors, typed JSON, readable 500s."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.pagefetch import browser_fetch, open_page
from tests.conftest import Devserve, free_ports, run_devserve

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

CONFIG = """
[devserve]
dashboard_port = false

[origins.page]
port = {page}
static = "web"

[origins.api]
port = {api}
cors = "on"

[[origins.api.routes]]
path = "/reset"
fault = "reset"

[[origins.api.routes]]
path = "/close"
fault = "close"

[[origins.api.routes]]
method = "POST"
path = "/users/{{id:int}}"
status = "{{{{ 201 if json.name else 422 }}}}"
headers = {{ X-Total-Count = "{{{{ json.tags|length }}}}" }}
[origins.api.routes.json]
id = "{{{{ path.id }}}}"
name = "{{{{ json.name }}}}"
tags = "{{{{ json.tags }}}}"
next = "{{{{ query.page|int + 1 }}}}"
admin = "{{{{ json.admin }}}}"
note = "{{{{ json.missing }}}}"
label = "#{{{{ path.id }}}}"

[[origins.api.routes]]
path = "/broken"
json = {{ n = "{{{{ 1 / 0 }}}}" }}
"""


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Devserve, int, int]]:
    root = tmp_path_factory.mktemp("mocks-browser")
    (root / "web").mkdir()
    (root / "web" / "index.html").write_text("<!doctype html><title>page</title><p>page</p>")
    page, api = free_ports(2)
    (root / "devserve.toml").write_text(CONFIG.format(page=page, api=api))
    server = run_devserve(
        ["run", "-c", str(root / "devserve.toml"), "--no-reload"], cwd=root, wait_ports=[page, api]
    )
    yield server, page, api
    server.stop()


@pytest.fixture
def page(context: BrowserContext, servers: tuple[Devserve, int, int]) -> Page:
    return open_page(context, f"http://127.0.0.1:{servers[1]}/")


def api(servers: tuple[Devserve, int, int], path: str) -> str:
    return f"http://127.0.0.1:{servers[2]}{path}"


@pytest.mark.parametrize("fault", ["reset", "close"])
def test_a_fault_is_a_failed_fetch(
    page: Page, servers: tuple[Devserve, int, int], fault: str
) -> None:
    result = browser_fetch(page, api(servers, f"/{fault}"))
    assert result == {"readable": False, "error": "TypeError: Failed to fetch"}
    # The origin itself is fine: the next request to it is read as usual.
    broken = browser_fetch(page, api(servers, "/broken"))
    assert broken["readable"] and broken["status"] == 500


def test_templated_json_keeps_its_types_across_origins(
    page: Page, servers: tuple[Devserve, int, int]
) -> None:
    result = browser_fetch(
        page,
        api(servers, "/users/7?page=2"),
        method="POST",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"name": "Ada", "tags": ["a", "b"], "admin": True}),
        read_headers=("x-total-count",),
    )
    assert result["readable"] and result["status"] == 201
    assert result["headers"] == {"x-total-count": "2"}
    assert json.loads(result["body"]) == {
        "id": 7,
        "name": "Ada",
        "tags": ["a", "b"],
        "next": 3,
        "admin": True,
        "note": None,
        "label": "#7",
    }
    refused = browser_fetch(
        page,
        api(servers, "/users/7?page=1"),
        method="POST",
        headers={"Content-Type": "application/json"},
        body="{}",
    )
    assert refused["readable"] and refused["status"] == 422


def test_a_template_error_is_a_500_the_page_can_read(
    page: Page, servers: tuple[Devserve, int, int]
) -> None:
    result = browser_fetch(page, api(servers, "/broken"))
    assert result["readable"] and result["status"] == 500
    assert json.loads(result["body"]) == {
        "error": "mock GET /broken failed",
        "route": "GET /broken",
        "reason": "origins.api.routes[3].json.n: ZeroDivisionError: division by zero",
    }
