"""json-server 0.17.4's own test suite, over HTTP, against json-server itself and devserve.

Each case runs on fresh data, as under json-server's ``beforeEach``: json-server is rebuilt by
tests/mocks/resources/harness_017.js, devserve's origin is built anew on a copy of the data.
Cases devserve answers otherwise on purpose carry the reason (the README's differences table).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from devserve.serving.origin import build_origin
from tests.mocks.resources.suite_017 import Case, Count, Setup
from tests.mocks.resources.suite_017_cases import CASES
from tests.support.configs import build_config
from tests.support.peers import node, peer
from tests.support.process import free_port, port_open
from tests.support.waiting import wait_until

HARNESS = Path(__file__).with_name("harness_017.js")
ORIGIN = "http://example.com"  # the Origin plural.js sends; devserve's config allows it
# json-server answers every origin with credentials; devserve's closest config names it.
CORS = {"allow_origins": [ORIGIN], "allow_credentials": True}


def _id(case: Case) -> str:
    return f"{case.source}: {case.title}"


def _send(client: httpx.Client, case: Case, origin: str | None = None) -> httpx.Response:
    headers = dict(case.headers)
    if origin is not None:
        headers["Origin"] = origin
    if case.form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return client.request(case.method, case.path, content=case.form, headers=headers)
    return client.request(case.method, case.path, json=case.json, headers=headers)


def _header_problems(response: httpx.Response, case: Case) -> list[str]:
    problems = []
    for name, expected in case.expect_headers.items():
        value = response.headers.get(name)
        matched = (
            value is not None and expected.search(value) is not None
            if isinstance(expected, re.Pattern)
            else value == expected
        )
        if not matched:
            problems.append(f"header {name}: {value!r}, expected {expected!r}")
    return problems


def problems(client: httpx.Client, case: Case, origin: str | None = None) -> list[str]:
    """What differs from the case's expectations (empty when the answer is right)."""
    started = time.monotonic()
    response = _send(client, case, origin)
    elapsed = time.monotonic() - started
    found = _header_problems(response, case)
    if case.status is not None and response.status_code != case.status:
        found.append(f"status {response.status_code}, expected {case.status}")
    if case.body is not None:
        try:
            body: Any = response.json()
        except json.JSONDecodeError:
            body = response.text
        if body != case.body:
            found.append(f"body {body!r}, expected {case.body!r}")
    if case.text is not None and not case.text.search(response.text):
        found.append(f"body {response.text[:200]!r} does not match {case.text.pattern!r}")
    if elapsed < case.min_seconds:
        found.append(f"answered in {elapsed:.3f} s, expected at least {case.min_seconds} s")
    for path, expected in case.after:
        now = client.get(path).json()
        seen = Count(len(now)) if isinstance(expected, Count) else now
        if seen != expected:
            found.append(f"then GET {path}: {seen!r}, expected {expected!r}")
    return found


@pytest.fixture(scope="module")
def json_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """json-server 0.17.4, set up afresh for each case through the harness."""
    package = peer("json-server")
    port = free_port()
    folder = tmp_path_factory.mktemp("json-server")  # its `public` folder is looked up here
    log = (folder / "harness.log").open("w")
    process = subprocess.Popen(
        [node(), str(HARNESS), str(package), str(port)],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: port_open(port), "the json-server harness to listen", timeout=20)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _harness_spec(setup: Setup) -> dict[str, Any]:
    options = {"foreignKeySuffix": setup.foreign_key_suffix} if setup.foreign_key_suffix else None
    return {
        "db": setup.db,
        "routes": setup.routes,
        "options": options,
        "id": setup.id_field,
        "wrap": setup.wrap,
    }


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_json_server_passes_its_own_case(json_server: httpx.Client, case: Case) -> None:
    """The port is faithful: json-server 0.17.4 passes every case as written."""
    json_server.post("/__harness/setup", json=_harness_spec(case.setup)).raise_for_status()
    assert problems(json_server, case) == []


def devserve_client(folder: Path, setup: Setup) -> TestClient:
    """An origin serving ``setup``'s data with the options json-server's router was given."""
    (folder / "db.json").write_text(json.dumps(setup.db, indent=2))
    origin: dict[str, Any] = {"port": 8001, "resources": "db.json", "cors": CORS}
    if setup.routes is not None:
        (folder / "routes.json").write_text(json.dumps(setup.routes, indent=2))
        origin["resources_routes"] = "routes.json"
    if setup.foreign_key_suffix is not None:
        origin["foreign_key_suffix"] = setup.foreign_key_suffix
    if setup.id_field is not None:
        origin["id_field"] = setup.id_field
    config = build_config(folder, {"api": origin})
    app = build_origin("api", config.origins["api"], config.devserve).app
    return TestClient(app, base_url="http://localhost")


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_devserve_passes_the_case(tmp_path: Path, case: Case) -> None:
    """devserve gives json-server's answer; where it differs on purpose, the README says why."""
    if case.devserve is not None and not case.with_origin:
        pytest.skip(f"not applicable: {case.devserve}")
    client = devserve_client(tmp_path, case.setup)
    assert problems(client, case, ORIGIN if case.with_origin else None) == []


def test_devserve_differs_only_where_the_case_says_so(tmp_path: Path) -> None:
    """Sent as written (no Origin), the six cases miss exactly one thing: the CORS header."""
    differing = [case for case in CASES if case.with_origin]
    assert len(differing) == 6
    for index, case in enumerate(differing):
        folder = tmp_path / str(index)
        folder.mkdir()
        found = problems(devserve_client(folder, case.setup), case)
        wanted = case.expect_headers["access-control-expose-headers"]
        assert found == [f"header access-control-expose-headers: None, expected {wanted!r}"]
