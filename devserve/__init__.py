"""devserve: static sites and mock APIs on several local origins, with per-origin CORS."""

from __future__ import annotations

from devserve.errors import ConfigError, DevserveError, PortInUseError

__version__ = "0.1.0"

__all__ = ["ConfigError", "DevserveError", "PortInUseError", "__version__"]
