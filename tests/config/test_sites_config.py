"""The site keys of an origin (``host``, ``https``) and `serve --host-name/--https`: what is an
error and how it reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devserve.config import parse_config
from devserve.config.adhoc import demo_config, serve_config
from devserve.errors import ConfigError, DevserveError
from devserve.serving.banner import banner
from devserve.state import CorsState, OriginState


def _parse(tmp_path: Path, origin: dict[str, Any], **settings: Any) -> Any:
    data = {"devserve": settings, "origins": {"api": {"port": 8001, **origin}}}
    return parse_config(data, path=tmp_path / "devserve.toml", label="devserve.toml")


def test_a_localhost_name_and_https_are_accepted(tmp_path: Path) -> None:
    config = _parse(tmp_path, {"host": "api.localhost", "https": True})
    assert (config.origins["api"].host, config.origins["api"].https) == ("api.localhost", True)
    assert _parse(tmp_path, {}).origins["api"].host is None


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("dev.test", "add 'dev.test' to allowed_hosts in [devserve] and make it resolve"),
        ("App.localhost", "lower case without a trailing dot: 'app.localhost'"),
        ("127.0.0.1", "is an address, not a name"),
        ("http://app.localhost:8000", "no scheme, port or path"),
        ("app localhost", "is not a host name"),
    ],
)
def test_a_bad_host_names_the_key_and_the_fix(tmp_path: Path, host: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _parse(tmp_path, {"host": host})
    [problem] = raised.value.problems
    assert problem.startswith("devserve.toml: origins.api.host: ") and message in problem


def test_a_name_in_allowed_hosts_is_accepted(tmp_path: Path) -> None:
    config = _parse(tmp_path, {"host": "dev.test"}, allowed_hosts=["dev.test"])
    assert config.origins["api"].host == "dev.test"


def test_https_must_be_a_boolean(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"origins\.api\.https"):
        _parse(tmp_path, {"https": "yes"})


def test_serve_host_name_and_https(tmp_path: Path) -> None:
    config = serve_config(
        tmp_path, port=0, cors=[], spa=False, dashboard_port=None, host_name="dev.test", https=True
    )
    site = config.origins["site"]
    assert (site.host, site.https) == ("dev.test", True)
    assert config.devserve.allowed_hosts == ["dev.test"]  # typed by the user: their own name
    with pytest.raises(DevserveError, match="--host-name: 'x y' is not a host name"):
        serve_config(tmp_path, port=0, cors=[], spa=False, dashboard_port=None, host_name="x y")


def test_demo_sites_and_https(tmp_path: Path) -> None:
    config = demo_config(port=None, dashboard_port=None, https=True, sites=True)
    hosts = {name: (o.host, o.https) for name, o in config.origins.items()}
    assert hosts == {
        "page": ("app.localhost", True),
        "api-on": ("api-on.localhost", True),
        "api-off": ("api-off.localhost", True),
        "api-list": ("api-list.localhost", True),
    }
    listed = config.origins["api-list"].cors
    assert getattr(listed, "allow_origins", None) == ["https://app.localhost:8000"]


def test_the_banner_says_to_make_a_name_outside_localhost_resolve() -> None:
    cors = CorsState(enabled=False, mode="off", configured="off", describe="off")
    origins = [
        OriginState("site", "https://dev.test:8443", 8443, cors, ("static",)),
        OriginState("api", "http://api.localhost:8001", 8001, cors, ("static",)),
        OriginState("ip", "http://127.0.0.1:8002", 8002, cors, ("static",)),
    ]
    text = banner(origins, dashboard="off", host="127.0.0.1", watch=False, live_reload=False)
    assert "https://dev.test:8443" in text
    notes = [line for line in text.splitlines() if "make it resolve" in line]
    assert notes == [
        "  dev.test: make it resolve to 127.0.0.1 yourself (e.g. in /etc/hosts); browsers "
        "resolve only *.localhost names to this machine by themselves"
    ]
