"""Static serving never leaves its folder, in any encoding a URL can carry, over real HTTP."""

from __future__ import annotations

import asyncio
import itertools
from urllib.parse import quote

import pytest

from tests.support.everykind import SECRET, EveryKind
from tests.support.rawhttp import Reply, async_exchange, request_bytes

DOTS = [
    "..",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "%2e.",
    "%252e%252e",
    "%25252e%25252e",
    "%c0%ae%c0%ae",  # overlong UTF-8
    "%ef%bc%8e%ef%bc%8e",  # fullwidth full stops
    "%u002e%u002e",  # IIS-style
    "...",
]
SEPARATORS = ["/", "%2f", "%2F", "%252f", "\\", "%5c", "%5C", "%255c", "/./", "//", ";/"]
PREFIXES = ["/", "/sub/", "/__devserve/", "/sub/..%2f"]
HIDDEN = [
    ".env",
    "%2eenv",
    "%252eenv",
    "sub/../.env",
    "sub/%2e%2e/.env",
    ".git/config",
    ".git%2fconfig",
    "%2egit/config",
    "%2Egit%2Fconfig",
    ".git/",
    "link.txt",  # a symlink to a file outside the folder
    "up/secret.txt",  # a symlink to a folder outside it
    "up%2fsecret.txt",
    "hello.txt%00",
    "%00/../secret.txt",
    "hello.txt%00.html",
    "secret.txt",
]


def targets(root: str) -> list[str]:
    """Every way of naming secret.txt (one folder above the web root) or a hidden file."""
    found = []
    for prefix, dots, sep in itertools.product(PREFIXES, DOTS, SEPARATORS):
        for depth in (1, 2, 3):
            found.append(prefix + (dots + sep) * depth + "secret.txt")
    found += ["/" + hidden for hidden in HIDDEN]
    absolute = root + "/secret.txt"
    found += ["/" + absolute, "/" + quote(absolute, safe=""), "//" + absolute.lstrip("/")]
    found += ["/" + absolute.replace("/", "\\"), "/C:%5c..%5csecret.txt", "/~/secret.txt"]
    return found


async def _fetch_all(port: int, paths: list[str]) -> list[tuple[str, Reply]]:
    limit = asyncio.Semaphore(16)

    async def one(path: str) -> tuple[str, Reply]:
        async with limit:
            reply = await async_exchange(port, request_bytes("GET", path, host="localhost"))
            return path, reply

    return await asyncio.gather(*(one(path) for path in paths))


@pytest.mark.parametrize("kind", ["site", "spa"])
def test_no_encoding_reaches_outside_the_folder_or_a_hidden_file(
    fortress: EveryKind, kind: str
) -> None:
    port = fortress.origins[kind]
    paths = targets(str(fortress.root))
    assert len(paths) > 1400
    replies = asyncio.run(_fetch_all(port, paths))
    leaks = [(path, reply.status) for path, reply in replies if SECRET in reply.text]
    assert leaks == []
    errors = [(path, reply.status) for path, reply in replies if reply.status >= 500]
    assert errors == []
    if kind == "site":  # no SPA fallback: nothing but refusals and redirects
        served = [(p, r.status) for p, r in replies if r.status == 200]
        assert served == []
    assert "Traceback" not in fortress.server.output()


def test_the_folder_itself_is_served(fortress: EveryKind) -> None:
    """The control: the same client reads what is meant to be read."""
    [(_, reply)] = asyncio.run(_fetch_all(fortress.site, ["/hello.txt"]))
    assert reply.status == 200 and reply.text == "hello"
    [(_, reply)] = asyncio.run(_fetch_all(fortress.site, ["/sub/page.html"]))
    assert reply.status == 200 and "<p>sub</p>" in reply.text
