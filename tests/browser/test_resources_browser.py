"""A page on another origin pages through a resource collection, as a front end would (Chromium)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.pagefetch import open_page
from tests.support.configs import config_toml
from tests.support.process import Devserve, free_ports, run_devserve

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

# What an app's list view does: fetch page after page until it has X-Total-Count items.
PAGE_THROUGH_JS = """
async ({api, credentials}) => {
  const seen = [];
  const totals = [];
  for (let page = 1; page < 20; page++) {
    const response = await fetch(`${api}/posts?_page=${page}&_limit=4&_sort=id`, {credentials});
    totals.push(response.headers.get("X-Total-Count"));
    const items = await response.json();
    seen.push(...items.map((item) => item.id));
    if (seen.length >= Number(response.headers.get("X-Total-Count"))) break;
    if (!(response.headers.get("Link") || "").includes('rel="next"')) break;
  }
  return {seen, totals};
}
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Devserve, dict[str, int]]]:
    root: Path = tmp_path_factory.mktemp("resources-browser")
    (root / "web").mkdir()
    (root / "web" / "index.html").write_text("<!doctype html><title>app</title><p>app</p>")
    posts = [{"id": n, "title": f"post {n}"} for n in range(1, 11)]
    (root / "db.json").write_text(json.dumps({"posts": posts}))
    names = ("page", "on", "star", "table")
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    page = f"http://127.0.0.1:{ports['page']}"
    cors = {"on": "on", "star": "*", "table": {"allow_origins": [page]}}
    origins: dict[str, dict[str, object]] = {"page": {"port": ports["page"], "static": "web"}}
    for name, setting in cors.items():
        origins[name] = {"port": ports[name], "resources": "db.json", "cors": setting}
    (root / "devserve.toml").write_text(config_toml(origins, {"dashboard_port": False}))
    server = run_devserve(
        ["--no-reload", "run", "-c", "devserve.toml"], cwd=root, wait_ports=list(ports.values())
    )
    yield server, ports
    server.stop()


@pytest.mark.parametrize(
    ("api", "credentials"), [("on", "include"), ("star", "omit"), ("table", "same-origin")]
)
def test_a_page_on_another_origin_reads_x_total_count_while_paging(
    context: BrowserContext, served: tuple[Devserve, dict[str, int]], api: str, credentials: str
) -> None:
    _, ports = served
    page = open_page(context, f"http://127.0.0.1:{ports['page']}/")
    result = page.evaluate(
        PAGE_THROUGH_JS, {"api": f"http://127.0.0.1:{ports[api]}", "credentials": credentials}
    )
    assert result["seen"] == list(range(1, 11))
    assert result["totals"] == ["10", "10", "10"]
