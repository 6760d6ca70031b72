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


# https://fetch.spec.whatwg.org/#concept-method-normalize: only these are upper-cased by fetch().
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})

# https://fetch.spec.whatwg.org/#forbidden-method: fetch() refuses them outright.
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})

# https://fetch.spec.whatwg.org/#forbidden-request-header: set by the browser, never by a page.
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)

# https://fetch.spec.whatwg.org/#cors-non-wildcard-request-header-name
NON_WILDCARD_REQUEST_HEADERS = frozenset({"authorization"})

# https://fetch.spec.whatwg.org/#cors-safelisted-request-header (Content-Type essences)
SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
SAFELISTED_VALUE_MAX_BYTES = 128
SAFELISTED_TOTAL_MAX_BYTES = 1024

# https://fetch.spec.whatwg.org/#cors-unsafe-request-header-byte
_UNSAFE_BYTES = frozenset(b'"():<>?@[\\]{}\x7f') | (frozenset(range(0x20)) - {0x09})
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LANGUAGE_BYTES = frozenset((_ALNUM + " *,-.;=").encode())
_TOKEN_CHARS = frozenset(_ALNUM + "!#$%&'*+-.^_`|~")
_HTTP_WHITESPACE = "\t\n\r "


def is_token(value: str) -> bool:
    """An HTTP token (RFC 9110): a method or header name."""
    return bool(value) and all(char in _TOKEN_CHARS for char in value)


# Headers that ask a server to treat a request as another method: forbidden when they name a
# forbidden method, so a page cannot smuggle a TRACE through a POST.
METHOD_OVERRIDE_HEADERS = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)


def is_forbidden_request_header(name: str, value: str = "") -> bool:
    """True for the headers a page's script cannot set (the browser drops them silently).

    https://fetch.spec.whatwg.org/#forbidden-request-header, method overrides included.
    """
    lowered = name.lower()
    if lowered in METHOD_OVERRIDE_HEADERS:
        return any(method.upper() in FORBIDDEN_METHODS for method in split_list(value))
    return lowered in FORBIDDEN_REQUEST_HEADERS or lowered.startswith(("proxy-", "sec-"))


def normalize_header_value(value: str) -> str:
    """fetch() strips leading and trailing HTTP whitespace from every header value."""
    return value.strip(_HTTP_WHITESPACE)


def mime_essence(value: str) -> str | None:
    """The ``type/subtype`` of a MIME type, lowercased; None where WHATWG parsing fails."""
    text = value.strip(_HTTP_WHITESPACE)
    kind, slash, rest = text.partition("/")
    subtype = rest.split(";", 1)[0].rstrip(_HTTP_WHITESPACE)
    if not slash or not is_token(kind) or not is_token(subtype):
        return None
    return f"{kind}/{subtype}".lower()


def simple_range(value: str) -> tuple[int | None, int | None] | None:
    """https://fetch.spec.whatwg.org/#simple-range-header-value without whitespace, or None."""
    if not value.startswith("bytes="):
        return None
    start, dash, end = value[len("bytes=") :].partition("-")
    if not dash or not all(part == "" or _is_digits(part) for part in (start, end)):
        return None
    first = int(start) if start else None
    last = int(end) if end else None
    if first is None and last is None:
        return None
    if first is not None and last is not None and first > last:
        return None
    return first, last


def _is_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def safelisted_header_problem(name: str, value: str) -> str | None:
    """Why ``name: value`` is not a CORS-safelisted request header (per the standard), or None.

    https://fetch.spec.whatwg.org/#cors-safelisted-request-header
    """
    lowered = name.lower()
    raw = value.encode("latin-1", errors="replace")
    if lowered not in ("accept", "accept-language", "content-language", "content-type", "range"):
        return f"header {lowered!r} is not CORS-safelisted"
    if len(raw) > SAFELISTED_VALUE_MAX_BYTES:
        return (
            f"header {lowered!r} is {len(raw)} bytes long, over the "
            f"{SAFELISTED_VALUE_MAX_BYTES}-byte limit of a CORS-safelisted value"
        )
    if lowered in ("accept", "content-type"):
        unsafe = next((chr(byte) for byte in raw if byte in _UNSAFE_BYTES), None)
        if unsafe is not None:
            return f"header {lowered!r} contains {unsafe!r}, which a CORS-safelisted value may not"
    if lowered in ("accept-language", "content-language"):
        unsafe = next((chr(byte) for byte in raw if byte not in _LANGUAGE_BYTES), None)
        if unsafe is not None:
            return f"header {lowered!r} contains {unsafe!r}, which a CORS-safelisted value may not"
    if lowered == "content-type" and mime_essence(value) not in SAFELISTED_CONTENT_TYPES:
        return (
            f"Content-Type {value!r} is not application/x-www-form-urlencoded, "
            "multipart/form-data or text/plain"
        )
    if lowered == "range":
        parsed = simple_range(value)
        if parsed is None or parsed[0] is None:
            return f"Range {value!r} is not a single 'bytes=start-' or 'bytes=start-end' range"
    return None
