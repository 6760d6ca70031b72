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


# The README's example, run as a user runs it: pytest-playwright's own `page` fixture beside
# devserve's, in a pytest of its own (pytester, in a subprocess). The user's conftest points
# pytest-playwright at the system Chromium, as anyone must where Playwright's download fails.
USER_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": EXECUTABLE, "args": ARGS}
"""

USER_TESTS = '''
import pytest

CONFIG = """CONFIG_TEXT"""


def open_profile(devserve, page):
    api = devserve(CONFIG, base=SITE)
    page.goto(api.url("page").replace("127.0.0.1", "localhost") + "/?api=" + api.url("api"))
    page.wait_for_function("() => document.getElementById('out').textContent !== 'loading'")
    return api, page.inner_text("#out")


def test_profile_page(devserve, page):
    api, shown = open_profile(devserve, page)
    assert shown == "Ada"
    api.assert_no_blocked_requests()


@pytest.mark.devserve_cors_off("api")
def test_profile_page_without_cors(devserve, page):
    api, shown = open_profile(devserve, page)
    assert shown.startswith("failed:")
    with pytest.raises(AssertionError, match="CORS is off for origin 'api'"):
        api.assert_no_blocked_requests()
'''


def test_with_pytest_playwrights_own_page_fixture(pytester: pytest.Pytester, site: Path) -> None:
    from tests.support.browsers import CHROMIUM_ARGS, _unavailable, chromium_path

    executable = chromium_path()
    if executable is None:
        _unavailable("Chromium not found: set DEVSERVE_CHROMIUM or install /usr/bin/chromium")
    try:
        import pytest_playwright  # noqa: F401
    except ImportError:
        _unavailable("pytest-playwright is not installed (pip install -e '.[test]')")
    pytester.makeconftest(
        f"EXECUTABLE = {executable!r}\nARGS = {CHROMIUM_ARGS!r}\n" + USER_CONFTEST
    )
    tests = USER_TESTS.replace("CONFIG_TEXT", PAGE_AND_API)
    pytester.makepyfile(test_profile=f"SITE = {str(site)!r}\n" + tests)
    result = pytester.runpytest_subprocess("-q")  # both plugins load as installed: no -p
    result.assert_outcomes(passed=2)
