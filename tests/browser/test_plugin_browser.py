"""A Playwright test written with devserve's pytest plugin: the page's blocked request is caught."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from devserve.pytest_plugin import DevserveFactory
from tests.support.configs import PAGE_AND_API

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext


PAGE = """<!doctype html><html><body><p id="out">loading</p><script>
fetch(new URLSearchParams(location.search).get("api") + "/users/1")
  .then((r) => r.json()).then((me) => { out.textContent = me.name; })
  .catch((e) => { out.textContent = "failed: " + e.message; });
</script></body></html>"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text(PAGE)
    return tmp_path


def _open(context: BrowserContext, page_url: str, api_url: str) -> str:
    page = context.new_page()
    page.goto(f"{page_url}/?api={api_url}")
    page.wait_for_function("() => document.getElementById('out').textContent !== 'loading'")
    return page.inner_text("#out")


def test_the_page_reads_the_api(
    devserve: DevserveFactory, context: BrowserContext, site: Path
) -> None:
    running = devserve(PAGE_AND_API, base=site)
    page_url = running.url("page").replace("127.0.0.1", "localhost")
    assert _open(context, page_url, running.url("api")) == "Ada"
    running.assert_no_blocked_requests()


@pytest.mark.devserve_cors_off("api")
def test_cors_off_marker_blocks_the_page_and_the_helper_says_why(
    devserve: DevserveFactory, context: BrowserContext, site: Path
) -> None:
    running = devserve(PAGE_AND_API, base=site)
    page_url = running.url("page").replace("127.0.0.1", "localhost")
    assert _open(context, page_url, running.url("api")).startswith("failed:")
    blocked = r"/users/1 200 .*blocked: CORS is off for origin 'api'"
    with pytest.raises(AssertionError, match=blocked):
        running.assert_no_blocked_requests()
