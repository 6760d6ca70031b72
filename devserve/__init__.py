"""devserve: static sites and mock APIs on several local origins, with per-origin CORS.

The embedding API (see the README's "devserve in test suites")::

    import devserve

    config = devserve.config_from_file("devserve.toml")
    with devserve.run_in_thread(config) as running:
        running.url("api")
"""

# No ``from __future__ import annotations`` and only private helper names: every public name of
# this module is in ``__all__`` (tests/test_exports.py checks it both ways).
import importlib as _importlib
import typing as _typing

from devserve.errors import ConfigError, DevserveError, PortInUseError
from devserve.version import __version__

if _typing.TYPE_CHECKING:
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
    from devserve.records import RequestRecord

# Loaded on first use: the CLI's quick commands (check, status) need neither uvicorn nor Starlette.
_LAZY = {
    "Config": "devserve.config",
    "RequestRecord": "devserve.records",
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


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY:
        return getattr(_importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'devserve' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, the lazily loaded ones included (they are not in the module's dict
    until first used), so ``dir(devserve)`` and editors see the whole API."""
    return sorted({*globals(), *_LAZY})
