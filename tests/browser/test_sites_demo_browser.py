"""`devserve demo --sites --https` in Chromium: the page on https://app.localhost, each API on its
own *.localhost site, and the login whose SameSite=Lax cookie sticks same-site and is dropped
cross-site, with devserve's verdict on the page. (The suite's Chromium trusts the throwaway CA
the devserve process uses: both read DEVSERVE_DATA_DIR.)"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.pagefetch import open_page
from tests.support.process import free_port, free_port_block, run_devserve
from tests.support.tlspair import need_certutil

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext


def test_demo_sites_https_login_sticks_same_site_only(
    context: BrowserContext, tmp_path: Path
) -> None:
    need_certutil()  # the suite's Chromium trusts devserve's CA through it
    base, dashboard = free_port_block(4), free_port()
    server = run_devserve(
        ["demo", "--sites", "--https", "--port", str(base), "--dashboard-port", str(dashboard)],
        cwd=tmp_path,
        wait_ports=[base, base + 1, base + 2, base + 3, dashboard],
    )
    try:
        page = open_page(context, f"https://app.localhost:{base}/")
        page.wait_for_function('document.body.dataset.loginDone === "true"')
        cells = page.eval_on_selector_all(
            "td.result[data-case]", "cells => cells.map(c => [c.dataset.case, c.dataset.result])"
        )
        logins = page.eval_on_selector_all(
            "td.login-result",
            "cells => cells.map(c => [c.dataset.login, c.dataset.result, c.textContent])",
        )
    finally:
        code = server.stop()
    assert code == 0, server.output()
    assert f"https://api-on.localhost:{base + 1}" in server.output()
    assert {case: result for case, result in cells} == {
        f"{api}:{kind}": "blocked" if api == "api-off" else "allowed"
        for api in ("api-on", "api-off", "api-list")
        for kind in ("get", "post", "credentials")
    }
    found = {kind: (result, text) for kind, result, text in logins}
    assert found["same-site"][0] == "kept"
    assert found["cross-site"][0] == "dropped"
    assert (
        "devserve: cookie demo_session dropped: SameSite=Lax cookie from a cross-site"
        in (found["cross-site"][1])
    )
