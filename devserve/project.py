"""A project's config, loaded whole: the file checked by its model (``config/``), then by what
only the mocks can check (templates and regexes compile, mock files and resource databases are
valid): every problem at once, as ``check-config``, ``run`` and a hot reload report them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from devserve.config import Config, load_config, parse_config
from devserve.config.proxy import SpecUrl
from devserve.mocks.check import MOCK_CHECKS
from devserve.mocks.openapi.fetched import settle
from devserve.sockets.check import socket_problems


def fetched_spec_problems(data: dict[str, Any], config: Config | None, base: Path) -> list[str]:
    """Specs at a URL fetched, and checked (httpx and the decoders imported only for them)."""
    if config is None or not any(isinstance(o.openapi, SpecUrl) for o in config.origins.values()):
        return []
    from devserve.proxy.specfetch import fetched_spec_problems as fetch_them

    return fetch_them(data, config, base)


# Every check beyond the config's model, in the order their messages come; specs at a URL are
# fetched last (a network round trip, after the checks that need none).
CHECKS = (*MOCK_CHECKS, socket_problems, fetched_spec_problems)


def load_project(path: Path, *, settled: bool = True) -> Config:
    """The config at ``path`` with every check; ConfigError lists every problem. Not
    ``settled``, the specs it fetched from URLs wait for the caller's ``settle`` (a hot reload,
    loading in a worker thread, settles on the serving loop when it applies the config)."""
    if not settled:
        return load_config(path, checks=CHECKS)
    return _settled(lambda: load_config(path, checks=CHECKS))


def parse_project(data: dict[str, Any], *, path: Path, label: str) -> Config:
    """Already-parsed config data with every check; paths resolve against ``path``'s folder."""
    return _settled(lambda: parse_config(data, path=path, label=label, checks=CHECKS))


def _settled(load: Callable[[], Config]) -> Config:
    """``load()``, after which the specs it fetched from URLs serve only if it succeeded."""
    try:
        config = load()
    except BaseException:
        settle(valid=False)
        raise
    settle(valid=True)
    return config
