"""An origin's ``openapi`` spec at a URL, fetched from its proxy's upstream at each config load
(start-up, hot reload) and from nowhere else: devserve's client for upstreams (no environment
proxy, ``*.localhost`` and devserve's CA as a browser has them), the origin's ``proxy_headers``
and ``proxy_timeout``, a size cap on the wire and after decoding, and redirects followed only
while they stay on the upstream's origin."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import httpx

from devserve.config import Config
from devserve.config.envvars import env_problem, fill_env
from devserve.config.proxy import SpecUrl, same_origin, spec_url_problem
from devserve.localnet import AsyncLocalTransport
from devserve.mocks.openapi.fetched import remember
from devserve.mocks.openapi.spec import SpecError, spec_from_bytes
from devserve.proxy.decode import Decoder, TooLarge, UnknownEncoding

# The largest spec fetched, as sent and once decoded (a 5 MB spec is a very large one).
MOST_SPEC_BYTES = 20 * 1024 * 1024
_MOST_REDIRECTS = 5
_ACCEPT = "application/json, application/yaml;q=0.9, */*;q=0.5"
_ENCODINGS = "gzip, deflate, br, zstd"


def fetched_spec_problems(data: dict[str, Any], config: Config | None, base: Path) -> list[str]:
    """Fetch every origin's spec at a URL (a ``config.load.ConfigCheck``, run last): a spec
    that cannot be fetched or is invalid is a config error, as an invalid spec file is."""
    if config is None:
        return []
    problems: list[str] = []
    for name, origin in config.origins.items():
        url = origin.openapi
        if not isinstance(url, SpecUrl) or spec_url_problem(url, origin.proxy) is not None:
            continue  # no URL, or one the origin's own check refuses
        headers = {
            header: fill_env(value)
            for header, value in origin.proxy_headers.items()
            if env_problem(value) is None  # a missing variable has its own message
        }
        try:
            remember(url, spec_from_bytes(fetch_spec(url, headers, origin.proxy_timeout), url))
        except SpecError as exc:
            problems.extend(f"origins.{name}.openapi: {problem}" for problem in exc.problems)
    return problems


def fetch_spec(url: str, headers: dict[str, str], timeout: float) -> bytes:
    """The decoded body of ``url``; SpecError naming the URL and what went wrong. The whole
    fetch, redirects and all, takes at most ``timeout`` seconds. It runs on an event loop of
    its own in a thread of its own: the caller may be the serving loop (a hot reload)."""
    with ThreadPoolExecutor(1, thread_name_prefix="devserve-spec") as pool:
        return pool.submit(anyio.run, _fetch, url, headers, timeout).result()


async def _fetch(url: str, headers: dict[str, str], timeout: float) -> bytes:
    try:
        with anyio.fail_after(timeout):
            async with httpx.AsyncClient(
                timeout=httpx.Timeout(timeout),
                follow_redirects=False,  # followed below, on the upstream's origin only
                trust_env=False,  # a corporate HTTP_PROXY must not see localhost traffic
                transport=AsyncLocalTransport(),  # *.localhost upstreams, devserve's CA
            ) as client:
                return await _follow(client, url, headers)
    except (TimeoutError, httpx.TimeoutException):
        raise _failed(url, f"the upstream did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        why = str(exc) or type(exc).__name__
        raise _failed(url, f"cannot reach the upstream ({why})") from None


async def _follow(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> bytes:
    target = url
    for _ in range(_MOST_REDIRECTS + 1):
        body, location = await _get(client, target, headers)
        if location is None:
            return body
        if not same_origin(location, url):
            raise _failed(
                url,
                f"the upstream redirects to {location}, off its own origin, which devserve "
                "does not follow; give the spec's final URL on the upstream",
            )
        target = location
    raise _failed(url, f"more than {_MOST_REDIRECTS} redirects")


async def _get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> tuple[bytes, str | None]:
    """The body of a 2xx answer, or the absolute URL a redirect points at."""
    asked = {**headers, "accept": _ACCEPT, "accept-encoding": _ENCODINGS}
    async with client.stream("GET", url, headers=asked) as response:
        if response.is_redirect:
            return b"", str(response.url.join(response.headers["location"]))
        if not response.is_success:
            status = f"{response.status_code} {response.reason_phrase}".strip()
            raise _failed(url, f"the upstream answered {status}")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > MOST_SPEC_BYTES:
            raise _too_large(url)
        try:
            decoder = Decoder(response.headers.get("content-encoding"), MOST_SPEC_BYTES)
        except UnknownEncoding as exc:
            why = f"the upstream sent it in an encoding devserve cannot undo ({exc})"
            raise _failed(url, why) from None
        return await _body(url, response, decoder), None


async def _body(url: str, response: httpx.Response, decoder: Decoder) -> bytes:
    """The body, decoded; at most ``MOST_SPEC_BYTES`` as sent and as decoded."""
    pieces: list[bytes] = []
    received = made = 0
    try:
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > MOST_SPEC_BYTES:
                raise TooLarge
            for piece in decoder.feed(chunk):
                made += len(piece)
                if made > MOST_SPEC_BYTES:
                    raise TooLarge
                pieces.append(piece)
    except TooLarge:
        raise _too_large(url) from None
    except httpx.HTTPError:
        raise  # the connection failed mid-body: said by the caller
    except Exception as exc:  # zlib.error, brotli.error, ZstdError: a corrupt body
        raise _failed(url, f"its body could not be decoded ({exc})") from None
    return b"".join(pieces)


def _failed(url: str, why: str) -> SpecError:
    return SpecError([f"{url}: cannot fetch the spec from the proxy's upstream: {why}"])


def _too_large(url: str) -> SpecError:
    return _failed(
        url,
        f"it is larger than {MOST_SPEC_BYTES // (1024 * 1024)} MiB; download it into the "
        "project and give its path",
    )
