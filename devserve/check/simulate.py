"""`devserve check`: send a request the way a browser's fetch() would, and explain the verdict.

Exit codes: 0 the page can read the response, 1 the browser blocks it, 2 usage or network error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

import httpx

from devserve.check.deadline import before
from devserve.check.flow import Flow
from devserve.check.report import CheckReport, Mode
from devserve.check.request import checked_request, parse_header
from devserve.cors.engines import Engine
from devserve.cors.lna import (
    AddressSpace,
    LnaVerdict,
    judge_local_network,
    page_space,
    target_space,
)
from devserve.cors.mixed import mixed_content_problem
from devserve.cors.request import RequestShape, classify_request
from devserve.cors.verdict import Verdict
from devserve.errors import DevserveError
from devserve.localnet import LocalTransport
from devserve.urls import serialize_origin

# parse_header is re-exported: the CLI parses -H with it before calling run_check.
__all__ = ["parse_header", "run_check"]


def run_check(
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    body: str | None = None,
    credentials: bool = False,
    engine: Engine = "standard",
    timeout: float = 10.0,
    address_spaces: Mapping[str, AddressSpace] | None = None,
    mode: Mode = "cors",
    preflight_only: bool = False,
) -> CheckReport:
    """Fetch ``url`` as a page on ``origin`` would, and judge every step as ``engine`` does.

    ``address_spaces`` overrides the address space of ``host`` or ``host:port`` (the page's or
    the target's), as Chromium's --ip-address-space-overrides does. A request mixed content
    or Local Network Access stops is not sent at all, as in the browser. Raises DevserveError
    for a request fetch() itself would refuse and for network errors.
    """
    page = _page_origin(origin)
    target = serialize_origin(url)
    method, request_headers, notes = checked_request(method, headers, body, mode=mode)
    shape = classify_request(method, request_headers, engine=engine)
    if target == page:
        shape = RequestShape(shape.method, [], [], [])  # a same-origin request is never preflighted
    report = CheckReport(
        url=url,
        origin=page,
        method=method,
        credentials=credentials,
        browser=engine,
        shape=shape,
        steps=[],
        verdict=Verdict(allowed=True),
        notes=notes,
        local_network=_local_network(page, url, engine, address_spaces or {}),
        mode=mode,
        preflight_only=preflight_only,
    )
    stopped = _stopped(page, url, report.local_network)
    if stopped is not None:
        return replace(report, verdict=stopped)  # not sent at all, as in the browser
    return _fetched(report, request_headers, body, timeout)


def _fetched(
    report: CheckReport, headers: list[tuple[str, str]], body: str | None, timeout: float
) -> CheckReport:
    """``report`` with what the browser's fetch loop found: its steps, verdict and cookies."""
    # The client only builds requests (default headers); Flow sends them through the
    # transport itself, see Flow._send. The client closes the transport.
    transport = LocalTransport()  # *.localhost reaches loopback; devserve's CA is trusted
    deadline = time.monotonic() + timeout
    with httpx.Client(follow_redirects=False, transport=transport) as client:
        flow = Flow(
            client,
            transport,
            page=report.origin,
            credentials=report.credentials,
            engine=report.browser,
            deadline=deadline,
            mode=report.mode,
            preflight_only=report.preflight_only,
        )
        url = report.url
        verdict = before(deadline, lambda: flow.run(url, report.method, headers, body), url)
    notes = report.notes + verdict.notes
    return replace(report, steps=flow.steps, verdict=verdict, notes=notes, cookies=flow.cookies)


def _page_origin(origin: str) -> str:
    try:
        return serialize_origin(origin)
    except DevserveError:
        raise DevserveError(
            f"--origin {origin!r} is not an origin: give the page's origin, "
            "e.g. http://localhost:8000"
        ) from None


def _stopped(page: str, url: str, local_network: LnaVerdict | None) -> Verdict | None:
    """What the browser refuses before sending anything: mixed content, Local Network Access."""
    mixed = mixed_content_problem(page, url)
    if mixed is not None:
        return Verdict(allowed=False, reasons=[mixed])
    if local_network is not None and not local_network.allowed:
        return Verdict(
            allowed=False,
            reasons=local_network.reasons,
            engine_notes=local_network.engine_notes,
        )
    return None


def _local_network(
    page: str, url: str, engine: Engine, overrides: Mapping[str, AddressSpace]
) -> LnaVerdict | None:
    """The Local Network Access verdict; None when the page is opaque or the host unresolvable."""
    if page == "null":
        return None  # a sandboxed or file: page: its address space is its document's, unknown
    target = target_space(url, overrides)
    if target is None:
        return None
    return judge_local_network(
        page_space(page, overrides), target, engine=engine, page_origin=page, target_url=url
    )
