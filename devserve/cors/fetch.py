"""Constants of the Fetch standard that both sides of the CORS protocol need."""

from __future__ import annotations

# https://fetch.spec.whatwg.org/#cors-safelisted-method
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})

# https://fetch.spec.whatwg.org/#cors-safelisted-response-header-name
SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)

# Response headers a page can never read, or that are CORS's own machinery.
UNEXPOSABLE_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, dropping empty items and surrounding spaces."""
    return [item.strip() for item in value.split(",") if item.strip()]
