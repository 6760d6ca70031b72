"""devserve: static sites and mock APIs on several local origins, with per-origin CORS.

The embedding API (see the README's "devserve in test suites")::

    import devserve

    config = devserve.config_from_file("devserve.toml")
    with devserve.run_in_thread(config) as running:
        running.url("api")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devserve.errors import ConfigError, DevserveError, PortInUseError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from devserve.config import Config
    from devserve.embed import (
        Running,
        RunningInThread,
        config_from_dict,
        config_from_file,
        config_from_toml,
        run_in_thread,
        serve,
    )
    from devserve.serving.requestlog import RequestRecord

# Loaded on first use: the CLI's quick commands (check, status) need neither uvicorn nor Starlette.
_LAZY = {
    "Config": "devserve.config",
    "RequestRecord": "devserve.serving.requestlog",
    "Running": "devserve.embed",
    "RunningInThread": "devserve.embed",
    "config_from_dict": "devserve.embed",
    "config_from_file": "devserve.embed",
    "config_from_toml": "devserve.embed",
    "run_in_thread": "devserve.embed",
    "serve": "devserve.embed",
}

__all__ = [
    "Config",
    "ConfigError",
    "DevserveError",
    "PortInUseError",
    "RequestRecord",
    "Running",
    "RunningInThread",
    "__version__",
    "config_from_dict",
    "config_from_file",
    "config_from_toml",
    "run_in_thread",
    "serve",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'devserve' has no attribute {name!r}")
