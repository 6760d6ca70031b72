"""Mixed content: an https page fetching a plain-http URL.

Chromium and Firefox block a ``fetch`` from an https page to an http URL before it is sent,
unless the URL is potentially trustworthy: a loopback address (127.0.0.0/8, ``[::1]``),
``localhost`` or a ``*.localhost`` name. Measured in Chromium 156 and Firefox 153 ESR
(tests/browser/test_sites_oracle.py): both fetch ``http://127.0.0.1``, ``http://localhost`` and
``http://api.localhost`` from an https page, and both block ``http://dev.test`` mapped to
loopback (the name decides, not the address it resolves to). A page on plain http (even on
``localhost``, a secure context) is never restricted.
"""

from __future__ import annotations

from devserve.urls import Origin


def mixed_content_problem(page: str, url: str) -> str | None:
    """Why the browser blocks fetching ``url`` from a page on ``page`` as mixed content, with
    the fix; None when it does not."""
    page_origin, target = Origin.of_url(page), Origin.of_url(url)
    if page_origin is None or target is None or page_origin.scheme != "https":
        return None
    if target.scheme in ("https", "wss") or target.is_loopback:
        return None
    return (
        f"mixed content: a page on {page_origin} (https) may not fetch {target} over plain "
        "http, and Chromium and Firefox block it before it is sent (only loopback addresses, "
        "localhost and *.localhost are exempt): serve that origin over https too "
        "(https = true), or give it a *.localhost name"
    )
