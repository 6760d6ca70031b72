"""A devserve with every kind of origin per module (tests/support/everykind.py), and an upstream
with origins proxying to it (tests/proxy/conftest.py)."""

import resource

from tests.proxy.conftest import proxy_origin, upstream
from tests.support.everykind import fortress, http

__all__ = ["fortress", "http", "proxy_origin", "upstream"]

# Thousands of connections at once: this process and the devserve it starts (which inherits the
# limit) need that many file descriptors; raise the soft limit as far as the hard one allows.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
_wanted = 8192 if _hard == resource.RLIM_INFINITY else min(_hard, 8192)
if _soft != resource.RLIM_INFINITY and _soft < _wanted:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_wanted, _hard))
