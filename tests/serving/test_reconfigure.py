"""The reconfigure plan, in-process: what a config change starts, stops, restarts, swaps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devserve.config import Config
from devserve.serving.reconfigure import Plan, plan
from tests.support.configs import build_config

API: dict[str, Any] = {"port": 8001, "cors": "on", "routes": [{"path": "/a", "json": 1}]}
PAGE: dict[str, Any] = {"port": 8000}


@pytest.fixture
def old(tmp_path: Path) -> Config:
    return build_config(tmp_path, {"page": PAGE, "api": API})


def new(tmp_path: Path, devserve: dict[str, Any] | None = None, **origins: Any) -> Config:
    return build_config(tmp_path, origins, devserve)


def test_nothing_changed_is_an_empty_plan(tmp_path: Path, old: Config) -> None:
    assert plan(old, new(tmp_path, page=PAGE, api=API), ["page", "api"]) == Plan()


def test_added_and_removed_origins(tmp_path: Path, old: Config) -> None:
    result = plan(old, new(tmp_path, api=API, more={"port": 8002}), ["page", "api"])
    assert (result.start, result.stop) == (("more",), ("page",))
    assert result.bind == ("more",) and result.opens_ports
    assert result.summary() == "+more -page"


def test_a_new_port_restarts_and_keeps_a_runtime_switch(tmp_path: Path, old: Config) -> None:
    result = plan(old, new(tmp_path, page=PAGE, api={**API, "port": 9001}), ["page", "api"])
    assert result.restart == ("api",) and result.bind == ("api",)
    assert result.keep_switch == {"api"}
    assert result.summary() == "~api"


def test_a_new_port_and_new_cors_takes_the_config_cors(tmp_path: Path, old: Config) -> None:
    moved = {**API, "port": 9001, "cors": "*"}
    result = plan(old, new(tmp_path, page=PAGE, api=moved), ["page", "api"])
    assert result.restart == ("api",) and result.keep_switch == frozenset()


def test_only_cors_changed_reconfigures_the_switch(tmp_path: Path, old: Config) -> None:
    result = plan(old, new(tmp_path, page=PAGE, api={**API, "cors": "*"}), ["page", "api"])
    assert result == Plan(cors_only=("api",))
    assert not result.opens_ports and result.summary() == ""


def test_other_changes_swap_the_app_behind_the_same_port(tmp_path: Path, old: Config) -> None:
    routes = [{"path": "/b", "json": 2}]
    result = plan(old, new(tmp_path, page=PAGE, api={**API, "routes": routes}), ["page", "api"])
    assert result == Plan(swap=("api",), keep_switch=frozenset({"api"}))


def test_settings_changes_swap_every_origin(tmp_path: Path, old: Config) -> None:
    settings = {"allowed_hosts": ["app.test"]}
    result = plan(old, new(tmp_path, settings, page=PAGE, api=API), ["page", "api"])
    assert result.swap == ("page", "api") and not result.dashboard_moved


@pytest.mark.parametrize(
    "settings",
    [{"dashboard_port": 9999}, {"dashboard_port": False}, {"dashboard_host": "127.0.0.2"}],
)
def test_dashboard_moves(tmp_path: Path, old: Config, settings: dict[str, Any]) -> None:
    assert plan(old, new(tmp_path, settings, page=PAGE, api=API), ["page", "api"]).dashboard_moved


def test_host_change_is_flagged(tmp_path: Path, old: Config) -> None:
    result = plan(old, new(tmp_path, {"host": "::1"}, page=PAGE, api=API), ["page", "api"])
    assert result.host_changed


def test_what_is_running_decides_starts_and_stops(tmp_path: Path, old: Config) -> None:
    # "api" is in the old config but not running (it could not start): the new config starts it.
    result = plan(old, new(tmp_path, page=PAGE, api=API), ["page", "gone"])
    assert result.start == ("api",) and result.stop == ("gone",)


def test_https_or_an_https_name_changed_asks_for_a_restart(tmp_path: Path, old: Config) -> None:
    secure = {**API, "https": True}
    result = plan(old, new(tmp_path, page=PAGE, api=secure), ["page", "api"])
    assert result.tls_changed == ("api",) and result.swap == ("api",)
    renamed = {**secure, "host": "api.localhost"}
    assert plan(
        new(tmp_path, page=PAGE, api=secure), new(tmp_path, page=PAGE, api=renamed), ["page", "api"]
    ).tls_changed == ("api",)
    # A plain http origin's name is only in its URLs: swapped, no restart needed.
    named = {**API, "host": "api.localhost"}
    assert plan(old, new(tmp_path, page=PAGE, api=named), ["page", "api"]).tls_changed == ()
