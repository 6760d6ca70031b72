"""A devserve with every kind of origin per module (tests/support/everykind.py), and an upstream
with origins proxying to it (tests/proxy/conftest.py)."""

from tests.proxy.conftest import proxy_origin, upstream
from tests.support.everykind import fortress, http

__all__ = ["fortress", "http", "proxy_origin", "upstream"]
