"""Which header, query parameter and JSON field names carry a secret.

The built-in lists, then the words that say "secret" wherever they stand (``x-goog-api-key``,
``stripe_secret``, ``passwd``), then "key" as a word of its own (``license_key``,
``privateKey``, ``Ocp-Apim-Subscription-Key``), except where it plainly names no secret
(``public_key``, ``sort_key``, ``monkey``).
"""

from __future__ import annotations

import functools
import re

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "x-csrf-token",
        "x-xsrf-token",
        "x-amz-security-token",
    }
)
SECRET_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth",
        "secret",
        "client_secret",
        "password",
        "sig",
        "signature",
        "code",
    }
)
_SECRET_WORDS = re.compile(
    r"api[-_]?key|token|secret|passw(or)?d|passphrase|signature|credential", re.IGNORECASE
)
# Headers that match the words but carry no secret and matter when replaying.
_NOT_SECRET = frozenset({"www-authenticate", "x-ratelimit-reset", "content-security-policy"})
# "key" run together with what kind of key it is: privatekey, licensekey, subscriptionkey.
_JOINED_KEY = re.compile(
    r"(private|licen[cs]e|secret|access|subscription|signing|master|session|client"
    r"|encryption|auth|app|product|serial|account)key"
)
# Words before "key" that say it is no secret: the key of a row, a sort, a cache, a public key.
_PLAIN_KEYS = frozenset(
    {"public", "primary", "foreign", "sort", "cache", "partition", "idempotency", "row", "object"}
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")


def _words(name: str) -> list[str]:
    """``privateKey``, ``private-key`` and ``PRIVATE_KEY`` all as ``["private", "key"]``."""
    return [word for word in _SEPARATORS.split(_CAMEL.sub(" ", name).lower()) if word]


def _names_a_key(name: str) -> bool:
    words = _words(name)
    for index, word in enumerate(words):
        if word == "key" and (index == 0 or words[index - 1] not in _PLAIN_KEYS):
            return True
        if _JOINED_KEY.fullmatch(word):
            return True
    return False


@functools.lru_cache(maxsize=4096)  # a JSON body repeats its field names many times
def is_secret_name(name: str, listed: frozenset[str]) -> bool:
    """Whether ``name`` carries a secret: in ``listed``, or saying so by its words."""
    lowered = name.lower()
    if lowered in _NOT_SECRET:
        return False
    return lowered in listed or bool(_SECRET_WORDS.search(lowered)) or _names_a_key(name)
