"""The watcher's plan and roots, in-process: what a batch of file changes means."""

from __future__ import annotations

from pathlib import Path

import pytest
from watchfiles import Change

from devserve.config import Config
from devserve.live.events import CSS, RELOAD
from devserve.live.watcher import DevFilter, Plan, plan, watch_roots
from tests.support.configs import build_config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    for folder in ("web", "docs", "mocks"):
        (tmp_path / folder).mkdir()
    (tmp_path / "web" / "nested").mkdir()
    (tmp_path / "mocks" / "a.json").write_text("{}")
    return build_config(
        tmp_path,
        {
            "site": {"port": 8000, "static": "web"},
            "docs": {"port": 8001, "static": "docs"},
            "api": {"port": 8002, "routes": [{"path": "/a", "file": "mocks/a.json"}]},
        },
    )


def changed(*paths: Path) -> set[tuple[Change, str]]:
    return {(Change.modified, str(path)) for path in paths}


def test_css_only_swaps_and_anything_else_reloads(tmp_path: Path, config: Config) -> None:
    web = tmp_path / "web"
    assert plan(changed(web / "a.css", web / "nested" / "b.css"), config, None).pages == {
        "site": CSS
    }
    assert plan(changed(web / "a.css", web / "app.js"), config, None).pages == {"site": RELOAD}
    both = plan(changed(web / "a.css", tmp_path / "docs" / "index.html"), config, None)
    assert both.pages == {"site": CSS, "docs": RELOAD}


def test_the_config_file_is_a_config_change_not_a_page_change(
    tmp_path: Path, config: Config
) -> None:
    path = tmp_path / "devserve.toml"
    assert plan(changed(path), config, path) == Plan(config_changed=True)


def test_mock_files_and_strangers_refresh_no_page(tmp_path: Path, config: Config) -> None:
    result = plan(changed(tmp_path / "mocks" / "a.json", tmp_path / "other.txt"), config, None)
    assert result == Plan()


def test_roots_are_the_fewest_existing_folders(tmp_path: Path, config: Config) -> None:
    roots = watch_roots(config, tmp_path / "devserve.toml")
    assert roots == [tmp_path.resolve()]  # the config's folder holds all the others
    without_config = watch_roots(config, None)
    assert without_config == sorted((tmp_path / f).resolve() for f in ("docs", "mocks", "web"))


def test_a_routes_file_elsewhere_is_watched_and_refreshes_its_origin(tmp_path: Path) -> None:
    for folder in ("data", "rules"):
        (tmp_path / folder).mkdir()
    (tmp_path / "data" / "db.json").write_text("{}")
    (tmp_path / "rules" / "routes.json").write_text("{}")
    origin = {"port": 8000, "resources": "data/db.json", "resources_routes": "rules/routes.json"}
    config = build_config(tmp_path, {"api": origin})
    roots = watch_roots(config, None)
    assert roots == [(tmp_path / "data").resolve(), (tmp_path / "rules").resolve()]
    routes = (tmp_path / "rules" / "routes.json").resolve()
    assert plan(changed(routes), config, None) == Plan(resources={"api"})


@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        ("index.html", False),
        (".#index.html", True),
        ("#index.html#", True),
        ("index.html.swp", True),
        ("4913", True),
        ("x.tmp", True),
        ("video.crdownload", True),
    ],
)
def test_editor_leftovers_are_ignored(tmp_path: Path, name: str, ignored: bool) -> None:
    assert DevFilter()(Change.added, str(tmp_path / name)) is not ignored
