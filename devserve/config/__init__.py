"""The config subsystem: the model (model, strict, cors, mocks, proxy), loading and messages."""

from devserve.config.cors import CorsTable
from devserve.config.load import (
    CONFIG_NAME,
    PYPROJECT,
    default_config,
    find_config,
    load_config,
    parse_config,
)
from devserve.config.mocks import Route
from devserve.config.model import Config, Origin, Settings
from devserve.urls import origin_url_problem

__all__ = [
    "CONFIG_NAME",
    "PYPROJECT",
    "Config",
    "CorsTable",
    "Origin",
    "Route",
    "Settings",
    "default_config",
    "find_config",
    "load_config",
    "origin_url_problem",
    "parse_config",
]
