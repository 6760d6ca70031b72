"""A ``resources_routes`` rule is the user's, but the URL it runs on is any page's: a pattern
that backtracks must not let one request hold the origin (and every other origin) for ages."""

from __future__ import annotations

import json
import time
from pathlib import Path

from devserve.mocks.resources.rewrite import MATCH_TIMEOUT_SECONDS
from tests.mocks.resources.helpers import client, write_db

# `(?:x+x+x+x+x+y)` on 3,000 x's and no y: a backtracking engine tries every split, O(n^5).
CATASTROPHIC = {"/slow/:p(x+x+x+x+x+y)": "/posts/:p", "/api/*": "/$1"}


def test_a_backtracking_rule_stops_at_its_time_limit_with_a_clear_500(tmp_path: Path) -> None:
    write_db(tmp_path)
    (tmp_path / "routes.json").write_text(json.dumps(CATASTROPHIC))
    api = client(tmp_path, resources_routes="routes.json")
    started = time.monotonic()
    response = api.get("/slow/" + "x" * 3000)
    assert time.monotonic() - started < 20 * MATCH_TIMEOUT_SECONDS + 5  # generous: shared CPUs
    assert response.status_code == 500
    error = response.json()["error"]
    assert "resources_routes: the rule '/slow/:p(x+x+x+x+x+y)' took too long" in error
    assert "simplify its pattern" in error
    assert api.get("/slow/xxy").status_code == 404  # matched quickly: /posts/xxy, no such post
    assert api.get("/api/posts/1").json()["id"] == 1  # the other rules still work
