"""The request `devserve check` sends, checked as fetch() would before sending anything."""

from __future__ import annotations

from collections.abc import Sequence

from devserve.cors.request import normalize_method
from devserve.cors.standard import (
    FORBIDDEN_METHODS,
    METHOD_OVERRIDE_HEADERS,
    SAFELISTED_METHODS,
    is_forbidden_request_header,
    is_token,
    normalize_header_value,
    safelisted_header_problem,
)
from devserve.errors import DevserveError

# Headers `check` sets itself, as the browser does; giving them with -H is a usage error.
_RESERVED = {
    "origin": "use --origin",
    "access-control-request-method": "check sends it with the preflight",
    "access-control-request-headers": "check sends it with the preflight",
    "host": "it comes from the URL",
    "content-length": "it comes from the body",
    "transfer-encoding": "it comes from the body",
    "connection": "the HTTP client manages it",
}


def parse_header(text: str) -> tuple[str, str]:
    """A ``'Name: value'`` command-line header."""
    name, colon, value = text.partition(":")
    if not colon or not is_token(name.strip()):
        raise DevserveError(f"-H {text!r} is not a header: write it as 'Name: value'")
    return name.strip(), normalize_header_value(value)


def checked_request(
    method: str, headers: Sequence[tuple[str, str]], body: str | None, *, mode: str = "cors"
) -> tuple[str, list[tuple[str, str]], list[str]]:
    """The method and headers as fetch() sends them, and notes; DevserveError where it refuses."""
    method = _checked_method(method)
    request_headers, notes = _checked_headers(headers)
    if mode == "no-cors":
        if method not in SAFELISTED_METHODS:
            raise DevserveError(
                f"fetch() throws a TypeError: mode 'no-cors' allows only GET, HEAD and POST, "
                f"not {method}"
            )
        request_headers, dropped = _no_cors_headers(request_headers)
        notes += dropped
    if body is not None and method in ("GET", "HEAD"):
        raise DevserveError(
            f"a {method} request cannot have a body (fetch() refuses it): add -X POST"
        )
    if body is not None and not any(name.lower() == "content-type" for name, _ in headers):
        request_headers.append(("Content-Type", "text/plain;charset=UTF-8"))  # as fetch() does
    return method, request_headers, notes


def _checked_method(method: str) -> str:
    if not is_token(method):
        raise DevserveError(f"-X {method!r} is not an HTTP method")
    if method.upper() in FORBIDDEN_METHODS:
        raise DevserveError(f"a page cannot send {method.upper()}: fetch() refuses it")
    return normalize_method(method)


def _checked_headers(
    headers: Sequence[tuple[str, str]],
) -> tuple[list[tuple[str, str]], list[str]]:
    checked, notes = [], []
    for name, value in headers:
        lowered = name.lower()
        if lowered in _RESERVED:
            raise DevserveError(
                f"-H {name!r}: the browser sets this header itself; {_RESERVED[lowered]}"
            )
        if any(char in value for char in "\r\n\0"):
            raise DevserveError(f"-H {name!r}: the value must be one line (fetch() refuses it)")
        if any(ord(char) > 0xFF for char in value):
            raise DevserveError(
                f"-H {name!r}: fetch() throws a TypeError: header values are bytes, so only "
                "characters up to U+00FF (Latin-1) can be sent; percent-encode the rest"
            )
        if name.lower() in METHOD_OVERRIDE_HEADERS and is_forbidden_request_header(name, value):
            notes.append(
                f"{name}: {value} names a forbidden method: the browser drops this header "
                "silently, so it is not sent"
            )
            continue
        if is_forbidden_request_header(name):
            notes.append(
                f"{name} is a header only the browser sets, never the page's script: "
                "sent as given, and it does not count for the preflight"
            )
        checked.append((name, normalize_header_value(value)))
    return checked, notes


def _no_cors_headers(
    headers: list[tuple[str, str]],
) -> tuple[list[tuple[str, str]], list[str]]:
    """In mode 'no-cors' fetch() silently ignores every header that is not CORS-safelisted."""
    kept, notes = [], []
    for name, value in headers:
        if safelisted_header_problem(name, value) is None or is_forbidden_request_header(name):
            kept.append((name, value))
        else:
            notes.append(f"{name} is not CORS-safelisted: in mode 'no-cors' it is not sent")
    return kept, notes
