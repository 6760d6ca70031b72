"""The config subsystem: the model (``model``), finding and loading it (``load``), and the
messages that turn validation errors into "file: key: fix" lines (``messages``)."""

from devserve.config.load import (
    CONFIG_NAME,
    PYPROJECT,
    default_config,
    find_config,
    load_config,
    parse_config,
)
from devserve.config.model import (
    Config,
    CorsTable,
    Origin,
    Route,
    Settings,
)
from devserve.origins import origin_url_problem

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
