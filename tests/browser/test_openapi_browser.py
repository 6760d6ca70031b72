"""A page on another origin reads an OpenAPI mock's answer and its 422 problem+json through the
origin's CORS policy (Chromium): the preflighted JSON POST, the refusal and its pointers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.pagefetch import browser_fetch, open_page
from tests.mocks.openapi.conftest import PAYMENTS, SCHEMAS
from tests.support.configs import config_toml
from tests.support.process import Devserve, free_ports, run_devserve

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    root: Path = tmp_path_factory.mktemp("openapi-browser")
    (root / "web").mkdir()
    (root / "web" / "index.html").write_text("<!doctype html><title>app</title><p>app</p>")
    (root / "payments.yaml").write_text(PAYMENTS)
    (root / "schemas.yaml").write_text(SCHEMAS)
    ports = dict(zip(("page", "api"), free_ports(2), strict=True))
    page = f"http://127.0.0.1:{ports['page']}"
    cors = {"allow_origins": [page], "allow_methods": ["GET", "POST"]}
    cors["allow_headers"] = ["Content-Type"]
    origins = {
        "page": {"port": ports["page"], "static": "web"},
        "api": {"port": ports["api"], "openapi": "payments.yaml", "cors": cors},
    }
    (root / "devserve.toml").write_text(config_toml(origins, {"dashboard_port": False}))
    server: Devserve = run_devserve(
        ["--no-reload", "run", "-c", "devserve.toml"], cwd=root, wait_ports=list(ports.values())
    )
    yield ports
    server.stop()


def test_a_page_reads_an_answer_and_a_refusal_through_cors(
    context: BrowserContext, served: dict[str, int]
) -> None:
    page = open_page(context, f"http://127.0.0.1:{served['page']}/")
    api = f"http://127.0.0.1:{served['api']}"
    charge = browser_fetch(page, f"{api}/charges/1")
    assert charge["readable"] and charge["status"] == 200
    assert json.loads(charge["body"])["status"] == "paid"
    refused = browser_fetch(
        page,
        f"{api}/charges",
        method="POST",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"amount": "5", "currency": "usd"}),
        read_headers=("content-type",),
    )
    assert refused["readable"] and refused["status"] == 422, refused
    assert refused["headers"]["content-type"] == "application/problem+json"
    errors = json.loads(refused["body"])["errors"]
    assert errors == [{"pointer": "/body/amount", "wanted": "integer", "got": 'string "5"'}]
    created = browser_fetch(
        page,
        f"{api}/charges",
        method="POST",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"amount": 500, "currency": "usd"}),
    )
    assert created["readable"] and created["status"] == 201
