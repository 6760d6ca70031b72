"""Will the browser keep a cookie and send it back? RFC 6265bis as Chromium and Firefox apply it.

For each ``Set-Cookie`` of a response to a credentialed ``fetch`` from a page, the judge says
whether the browser stores the cookie and whether it sends it with the page's next credentialed
request to the same URL, and why not, naming the fix. The rules, each measured in Chromium 156
and Firefox 153 ESR by tests/browser/test_cookie_oracle.py (http, ``localhost`` and
``127.0.0.1``) and tests/browser/test_sites_oracle.py (``*.localhost`` sites, https):

- Without credentials (``credentials: 'omit'``, or the default for a cross-origin URL), the
  browser ignores ``Set-Cookie``.
- ``Max-Age`` <= 0 or an ``Expires`` in the past deletes instead of storing.
- ``Secure`` needs a secure URL: https, or http on localhost or a loopback address.
- ``SameSite=None`` and ``Partitioned`` need ``Secure``; ``__Secure-`` needs ``Secure``;
  ``__Host-`` needs ``Secure``, ``Path=/`` and no ``Domain`` (a ``Domain`` equal to the host
  passes in Firefox, and in Chromium on an IP address).
- ``Domain`` must cover the URL's host and stay within its site; on an IP address it must be
  that address.
- A response from another site than the page's (see ``devserve.urls``; Firefox leaves the
  scheme out, so ``http://localhost`` and ``https://localhost`` are one site there): ``Lax``
  or ``Strict`` cookies are rejected; without ``SameSite`` Chromium rejects it too (Lax by
  default), Firefox does not. A third-party ``SameSite=None; Secure`` cookie is blocked by
  Chromium's defaults unless ``Partitioned``; Firefox keeps it partitioned (Total Cookie
  Protection): sent back on this page's requests, unseen by the API's own pages.
- ``Path`` (default: the URL's directory) must cover the URL to be sent back.

``standard`` judges as Chromium, the stricter of the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from devserve.cors.engines import ENGINE_NAMES, ENGINES, SCHEMELESS_COOKIE_SITES, Engine
from devserve.setcookie import SetCookie, parse_set_cookie
from devserve.urls import (
    DEFAULT_PORTS,
    Origin,
    ip_literal,
    registrable_domain,
    same_site,
    site,
    url_host,
)

MAX_NAME_VALUE_BYTES = 4096  # RFC 6265bis: browsers ignore a larger name + value


@dataclass(frozen=True)
class CookieVerdict:
    """What the browser does with one ``Set-Cookie``.

    ``partition`` is the top-level site a partitioned cookie is kept under (None: unpartitioned).
    ``reasons`` say why it is not stored or not sent back, each with the fix; ``notes`` are
    remarks that change nothing; ``engine_notes`` name engines that would decide otherwise.
    """

    name: str
    stored: bool
    sent: bool
    partition: str | None = None
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    engine_notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line: ``sid kept``, ``sid dropped: why`` or ``sid not sent back: why``."""
        if not self.stored:
            return f"{self.name} dropped: {self.reasons[0]}"
        if not self.sent:
            return f"{self.name} not sent back: {self.reasons[0]}"
        where = f" (partitioned for {self.partition})" if self.partition else ""
        return f"{self.name} kept{where}"

    @property
    def lost(self) -> bool:
        return not (self.stored and self.sent)


def judge_cookies(
    lines: list[str],
    *,
    page: str,
    url: str,
    credentials: bool = True,
    engine: Engine = "standard",
    now: datetime | None = None,
) -> list[CookieVerdict]:
    """The verdict on each Set-Cookie of a response to ``url``, fetched by a page on ``page``."""
    return [
        judge_cookie(line, page=page, url=url, credentials=credentials, engine=engine, now=now)
        for line in lines
    ]


def judge_cookie(
    line: str,
    *,
    page: str,
    url: str,
    credentials: bool = True,
    engine: Engine = "standard",
    now: datetime | None = None,
) -> CookieVerdict:
    """One Set-Cookie, as ``engine`` decides; ``engine_notes`` name the engines that differ."""
    cookie = parse_set_cookie(line)
    moment = now or datetime.now(UTC)
    outcomes = {
        name: _judge(cookie, line, page, url, credentials, name, moment) for name in ENGINES
    }
    chosen = outcomes[engine]
    # For cookies the standard engine is Chromium's rules, so only the two browsers can differ.
    notes = []
    for name in ("chromium", "firefox"):
        other = outcomes[name]
        if name == engine or _key(other) == _key(chosen):
            continue
        why = (other.reasons or other.notes or [""])[0]
        notes.append(f"{ENGINE_NAMES[name]} would {_describe(other)}" + (f": {why}" if why else ""))
    return CookieVerdict(
        name=chosen.name,
        stored=chosen.stored,
        sent=chosen.sent,
        partition=chosen.partition,
        reasons=chosen.reasons,
        notes=chosen.notes,
        engine_notes=notes,
    )


def _key(verdict: CookieVerdict) -> tuple[bool, bool, str | None]:
    return verdict.stored, verdict.sent, verdict.partition


def _describe(verdict: CookieVerdict) -> str:
    if not verdict.stored:
        return "drop it"
    where = f" (partitioned for {verdict.partition})" if verdict.partition else ""
    return f"store it{where} " + ("and send it back" if verdict.sent else "but not send it back")


def _judge(
    cookie: SetCookie | None,
    line: str,
    page: str,
    url: str,
    credentials: bool,
    engine: Engine,
    now: datetime,
) -> CookieVerdict:
    name = cookie.name if cookie else line.split("=", 1)[0].strip()[:60]
    if not credentials:
        reason = (
            "the request goes without credentials, so the browser ignores Set-Cookie: "
            "fetch with credentials: 'include'"
        )
        return CookieVerdict(name, stored=False, sent=False, reasons=[reason])
    if cookie is None:
        reason = "Set-Cookie has neither a name nor a value, so the browser ignores it"
        return CookieVerdict(name, stored=False, sent=False, reasons=[reason])
    problem = _storage_problem(cookie, page, url, engine, now)
    if problem:
        return CookieVerdict(name, stored=False, sent=False, reasons=[problem])
    cross = not _same_site(page, url, engine)
    partition = site(page) if cookie.partitioned or (cross and engine == "firefox") else None
    notes = []
    if partition and cross:
        notes.append(
            f"kept in a partition for the page's site {partition}"
            + (" (Firefox's Total Cookie Protection)" if engine == "firefox" else "")
            + f": sent back on this page's requests, but {_origin(url)}'s own pages "
            "do not see it"
        )
    path = cookie.path or default_path(url)
    request_path = _path(url)
    if not path_matches(request_path, path):
        reason = (
            f"Path={path} does not cover {request_path}: the browser keeps it but sends it only "
            f"to URLs under {path}; set Path=/"
        )
        return CookieVerdict(name, True, False, partition, reasons=[reason], notes=notes)
    return CookieVerdict(name, True, True, partition, notes=notes)


def _storage_problem(
    cookie: SetCookie, page: str, url: str, engine: Engine, now: datetime
) -> str | None:
    """Why the browser refuses to store ``cookie``, with the fix; None if it stores it."""
    if len(cookie.name.encode()) + len(cookie.value.encode()) > MAX_NAME_VALUE_BYTES:
        return f"name and value are over {MAX_NAME_VALUE_BYTES} bytes: store less in the cookie"
    if cookie.max_age is not None and cookie.max_age <= 0:
        return (
            f"Max-Age={cookie.max_age} deletes the cookie instead of storing it: give a "
            "positive Max-Age, or none for a session cookie"
        )
    if cookie.max_age is None and cookie.expires is not None and cookie.expires <= now:
        return (
            "Expires is in the past, which deletes the cookie instead of storing it: "
            "give a future date, or no Expires for a session cookie"
        )
    api = Origin.of_url(url)
    host = "" if api is None else api.host
    if cookie.secure and not (api is not None and api.is_trustworthy):
        return (
            f"Secure needs a secure URL and {_origin(url)} is plain http on a non-local host: "
            "serve it over https, or from localhost"
        )
    prefix = _prefix_problem(cookie, host, engine)
    if prefix:
        return prefix
    if cookie.same_site == "none" and not cookie.secure:
        return "SameSite=None without Secure is rejected: add Secure (accepted on http://localhost)"
    if cookie.partitioned and not cookie.secure:
        return "Partitioned without Secure is rejected: add Secure (accepted on http://localhost)"
    if cookie.domain:
        domain_problem = _domain_problem(cookie.domain, host)
        if domain_problem:
            return domain_problem
    if _same_site(page, url, engine):
        return None
    return _cross_site_problem(cookie, page, url, engine)


def _prefix_problem(cookie: SetCookie, host: str, engine: Engine) -> str | None:
    if cookie.name.startswith("__Secure-") and not cookie.secure:
        return "a __Secure- cookie needs the Secure attribute: add Secure"
    if not cookie.name.startswith("__Host-"):
        return None
    # Measured: Firefox accepts a Domain equal to the host; Chromium only on an IP address,
    # where such a Domain makes a host-only cookie anyway.
    same_host = cookie.domain == host.strip("[]")
    domain_ok = cookie.domain is None or (
        same_host and (engine == "firefox" or ip_literal(host) is not None)
    )
    if not cookie.secure or cookie.path != "/" or not domain_ok:
        return "a __Host- cookie needs Secure, Path=/ and no Domain: set exactly those"
    return None


def _domain_problem(domain: str, host: str) -> str | None:
    if ip_literal(host) is not None:
        if domain.strip("[]") == host.strip("[]"):
            return None
        return f"Domain={domain} on a request to the IP address {host}: drop Domain"
    if host != domain and not host.endswith("." + domain):
        return f"Domain={domain} does not cover the host {host}: drop Domain, or set it to {host}"
    if not domain.endswith(registrable_domain(host)):
        return (
            f"Domain={domain} is wider than the site of {host} (a public suffix): "
            f"drop Domain, or set it to {registrable_domain(host)}"
        )
    return None


def _cross_site_problem(cookie: SetCookie, page: str, url: str, engine: Engine) -> str | None:
    sites = f"the page's site {site(page)} is not the API's {site(url)}"
    fix = f"open the page from the API's host, e.g. {_same_host_page(page, url)}"
    if cookie.same_site in ("lax", "strict"):
        label = cookie.same_site.capitalize()
        return (
            f"SameSite={label} cookie from a cross-site response ({sites}): {fix}, or set "
            "SameSite=None; Secure; Partitioned"
        )
    if cookie.same_site is None and engine != "firefox":
        return (
            "no SameSite attribute, so Chromium treats it as SameSite=Lax, and it comes from a "
            f"cross-site response ({sites}): {fix}, or set SameSite=None; Secure; Partitioned"
        )
    if engine != "firefox" and not cookie.partitioned:
        return (
            f"third-party cookie, blocked by Chromium's default settings ({sites}): {fix}, "
            "or add Partitioned so it is kept for this page's site"
        )
    return None


def _same_site(page: str, url: str, engine: Engine) -> bool:
    """Schemeful same-site; Firefox leaves the scheme out for cookies (measured)."""
    if SCHEMELESS_COOKIE_SITES.applies(engine):
        a, b = Origin.of_url(page), Origin.of_url(url)
        if a is not None and b is not None and page.strip() != "null":
            return registrable_domain(a.host) == registrable_domain(b.host)
    return same_site(page, url)


def _origin(url: str) -> str:
    origin = Origin.of_url(url)
    return url if origin is None else origin.serialized


def _same_host_page(page: str, url: str) -> str:
    """The page's origin with the API's scheme and host name: the way out of cross-site."""
    api, shown = Origin.of_url(url), Origin.of_url(page)
    if api is None:
        return url
    if shown is None:  # "null", or an unparsable Origin header
        return f"{api.scheme}://{url_host(api.host)}"
    implicit = shown.port == DEFAULT_PORTS[shown.scheme]  # no port in the page's origin
    return Origin(api.scheme, api.host, api.port if implicit else shown.port).serialized


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def default_path(url: str) -> str:
    """RFC 6265bis §5.1.4: the URL's path up to, not including, its last slash; "/" at least."""
    path = _path(url)
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rindex("/")]


def path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265bis §5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    return request_path.startswith(cookie_path) and (
        cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    )
