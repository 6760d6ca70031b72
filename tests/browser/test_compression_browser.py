"""`compress = true` as Chromium sees it: it asks for Brotli, gets it, and runs the script."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import devserve

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

SCRIPT = "window.answers = [];\n" + "window.answers.push(42);\n" * 200


def test_chromium_gets_brotli_and_runs_it(context: BrowserContext, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text('<!doctype html><script src="app.js"></script>')
    (tmp_path / "app.js").write_text(SCRIPT)
    config = devserve.config_from_dict(
        {
            "devserve": {"dashboard_port": False, "live_reload": False},
            "origins": {"site": {"port": 0, "static": ".", "compress": True}},
        },
        base=tmp_path,
    )
    with devserve.run_in_thread(config) as running:
        page = context.new_page()
        with page.expect_response(lambda r: r.url.endswith("/app.js")) as script:
            page.goto(running.url("site") + "/")
        asked = script.value.request.all_headers()["accept-encoding"]
        got = script.value.all_headers()
        assert page.evaluate("window.answers.length") == 200
    assert asked == "gzip, deflate, br, zstd"  # what test_compression.py takes as its example
    assert got["content-encoding"] == "br"
    assert int(got["content-length"]) < len(SCRIPT) // 10
