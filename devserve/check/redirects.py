"""Following a redirect in `devserve check`: the target, what ends the fetch, the next request."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from devserve.cors.mixed import mixed_content_problem
from devserve.errors import DevserveError
from devserve.urls import serialize_origin

MAX_REDIRECTS = 20  # https://fetch.spec.whatwg.org/#http-redirect-fetch
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BODY_HEADERS = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)


def resolve(url: str, location: str) -> str:
    """The redirect target; an unparsable Location is kept as is for redirect_problem."""
    try:
        return urljoin(url, location)
    except ValueError:
        return location


def redirect_problem(target: str, *, page: str, cors: bool) -> str | None:
    # A Location the browser cannot parse, or not http(s), ends the fetch in a network error.
    try:
        serialize_origin(target)
    except DevserveError:
        return (
            f"the response redirects to {target!r}, which is not a valid http(s) URL: "
            "fix its Location header"
        )
    mixed = mixed_content_problem(page, target)
    if mixed is not None:
        return f"the response redirects to {target}: {mixed}"
    parts = urlsplit(target)
    # https://fetch.spec.whatwg.org/#http-redirect-fetch: in CORS mode, or when the hop leaves
    # the page's origin, a Location with user:password@ is a network error.
    leaves = cors or serialize_origin(target) != page
    if leaves and (parts.username or parts.password):
        return (
            f"the response redirects to {target!r}, a URL with credentials in it: "
            "drop the user:password@ from its Location header"
        )
    return None


def redirected(
    status: int, method: str, headers: list[tuple[str, str]], body: str | None
) -> tuple[str, list[tuple[str, str]], str | None]:
    """The method, headers and body of the request that follows a ``status`` redirect."""
    if (status in (301, 302) and method == "POST") or (
        status == 303 and method not in ("GET", "HEAD")
    ):
        return "GET", [(n, v) for n, v in headers if n.lower() not in _BODY_HEADERS], None
    return method, headers, body
