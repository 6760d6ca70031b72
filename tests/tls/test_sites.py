"""Site names and https origins over HTTP: a real devserve with ``host = "app.localhost"`` and
``https = true``, reached by devserve's own clients (which resolve *.localhost themselves)."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import devserve
from devserve.check.simulate import run_check
from devserve.cli import app
from devserve.localnet import LocalTransport
from tests.support.process import Devserve, free_ports, run_devserve
from tests.support.sse import EventReader
from tests.support.waiting import wait_until

CONFIG = """
[devserve]
dashboard_port = {dashboard}

[origins.app]
port = {app}
host = "app.localhost"
https = true
static = "web"

[origins.api]
port = {api}
host = "api.localhost"
cors = "on"

[[origins.api.routes]]
method = "GET"
path = "/login"
headers = {{ "Set-Cookie" = "sid=1; SameSite=Lax" }}
json = {{ ok = true }}
"""


@pytest.fixture(scope="module")
def sites(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Devserve, Path, dict[str, int]]]:
    folder = tmp_path_factory.mktemp("sites")
    (folder / "web").mkdir()
    (folder / "web" / "index.html").write_text("<h1>app</h1>")
    app, api, dashboard = free_ports(3)
    ports = {"app": app, "api": api, "dashboard": dashboard}
    (folder / "devserve.toml").write_text(CONFIG.format(**ports))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(folder))  # no browser store trusts the CA: never the real ones
        server = run_devserve(["run"], cwd=folder, wait_ports=[app, api, dashboard])
    yield server, folder, ports
    server.stop()


def test_the_banner_and_status_use_the_names_and_schemes(
    sites: tuple[Devserve, Path, dict[str, int]],
) -> None:
    server, _, ports = sites
    wait_until(lambda: "Press Ctrl-C" in server.output(), "the banner")
    output = server.output()
    assert f"https://app.localhost:{ports['app']}" in output
    assert f"http://api.localhost:{ports['api']}" in output
    assert "devserve trust" in output  # a CA nobody trusts yet: the banner says what to run
    # What `devserve status --json` prints (control/client.py reads this very list).
    listed = httpx.get(f"http://127.0.0.1:{ports['dashboard']}/api/origins").json()
    urls = {o["name"]: o["url"] for o in listed}
    assert urls == {
        "app": f"https://app.localhost:{ports['app']}",
        "api": f"http://api.localhost:{ports['api']}",
    }


def test_status_reaches_a_localhost_name_itself(
    sites: tuple[Devserve, Path, dict[str, int]],
) -> None:
    _, _, ports = sites
    url = f"http://dashboard.localhost:{ports['dashboard']}"  # the system resolver knows not
    result = CliRunner().invoke(app, ["status", "--json", "--url", url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["origins"][0]["url"].startswith("https://app.localhost:")


def test_every_page_hears_what_to_run_while_the_ca_is_not_trusted(
    sites: tuple[Devserve, Path, dict[str, int]],
) -> None:
    _, _, ports = sites
    reader = EventReader(f"http://127.0.0.1:{ports['api']}/__devserve/events")
    try:
        wait_until(lambda: "cors-blocked" in reader.kinds, "the page's notice")
    finally:
        reader.close()
    assert reader.kinds[:2] == ["origins", "cors-blocked"]  # told as the page connects
    notice = json.loads(reader.events[1][1])
    assert notice["title"] == "devserve: https origins need devserve's CA trusted"
    assert notice["url"] == f"https://app.localhost:{ports['app']}"
    assert "run `devserve trust`" in notice["reason"]


def test_an_https_origin_answers_over_tls_by_its_name_without_hsts(
    sites: tuple[Devserve, Path, dict[str, int]],
) -> None:
    _, _, ports = sites
    with httpx.Client(transport=LocalTransport()) as client:
        page = client.get(f"https://app.localhost:{ports['app']}/")
    assert page.status_code == 200 and "<h1>app</h1>" in page.text
    assert "strict-transport-security" not in page.headers
    # A client that does not trust devserve's CA refuses the certificate.
    with (
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
        httpx.Client(transport=httpx.HTTPTransport(retries=0)) as client,
    ):
        client.get(f"https://127.0.0.1:{ports['app']}/")


def test_check_resolves_localhost_names_and_trusts_the_ca(
    sites: tuple[Devserve, Path, dict[str, int]],
) -> None:
    _, _, ports = sites
    report = run_check(
        f"http://api.localhost:{ports['api']}/login",
        origin=f"https://app.localhost:{ports['app']}",
        credentials=True,
        timeout=5,
    )
    assert report.verdict.allowed
    [cookie] = report.cookies
    assert not cookie.stored and "cross-site" in cookie.reasons[0]
    page = run_check(
        f"https://app.localhost:{ports['app']}/", origin="https://x.localhost", timeout=5
    )
    assert page.steps[-1].status == 200


def test_the_embedding_api_returns_the_name(tmp_path: Path) -> None:
    config = devserve.config_from_dict(
        {
            "devserve": {"dashboard_port": False},
            "origins": {"api": {"port": 0, "host": "api.localhost", "https": True}},
        },
        base=tmp_path,
    )
    with devserve.run_in_thread(config) as running:
        url = running.url("api")
        assert url.startswith("https://api.localhost:")
        with httpx.Client(transport=LocalTransport()) as client:
            assert client.get(url + "/nothing").status_code == 404


def test_a_client_without_the_ca_gets_a_verification_error(tmp_path: Path) -> None:
    config = devserve.config_from_dict(
        {"devserve": {"dashboard_port": False}, "origins": {"api": {"port": 0, "https": True}}},
        base=tmp_path,
    )
    with devserve.run_in_thread(config) as running:
        url = running.url("api")
        assert url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context()
        with pytest.raises(httpx.ConnectError), httpx.Client(verify=context) as client:
            client.get(url)


def test_an_https_origin_proxies_an_https_localhost_name_and_keeps_secure_cookies(
    tmp_path: Path,
) -> None:
    [upstream_port] = free_ports(1)
    cookie = "session=abc; Domain=api.example.com; Secure; SameSite=None; Path=/"
    config = devserve.config_from_dict(
        {
            "devserve": {"dashboard_port": False},
            "origins": {
                "up": {
                    "port": upstream_port,
                    "host": "api.localhost",
                    "https": True,
                    "routes": [{"path": "/login", "headers": {"Set-Cookie": cookie}, "json": 1}],
                },
                # The proxy's own client finds api.localhost and trusts devserve's CA.
                "front": {
                    "port": 0,
                    "host": "app.localhost",
                    "https": True,
                    "proxy": f"https://api.localhost:{upstream_port}",
                },
            },
        },
        base=tmp_path,
    )
    with (
        devserve.run_in_thread(config) as running,
        httpx.Client(transport=LocalTransport()) as client,
    ):
        response = client.get(running.url("front") + "/login")
    assert response.status_code == 200
    assert response.headers.get_list("set-cookie") == ["session=abc; Secure; SameSite=None; Path=/"]
