"""The text and JSON output of `devserve check`.

``devserve check --json`` prints one JSON object (``to_json``). Its keys are stable: new keys
may be added, none is renamed or removed. Header names are lowercased; a header sent several
times is one value joined with ", ". Example (a PUT that needs a preflight)::

    {
      "url": "http://127.0.0.1:8001/users/1",  // as given
      "origin": "http://localhost:8000",       // the page's origin, serialized as a browser does
      "method": "PUT",                         // as fetch() sends it
      "credentials": false,                    // --credentials
      "credentials_mode": "same-origin",       // "include" with --credentials (fetch's default
                                               // is "same-origin": none on cross-origin requests)
      "mode": "cors",                          // --mode: "cors" | "no-cors"
      "preflight_only": false,                 // --preflight-only: the request was not sent
      "browser": "standard",                   // "standard" | "chromium" | "firefox"
      "simple": false,                         // true: no preflight needed
      "preflight_reasons": ["method 'PUT' is not GET, HEAD or POST"],
      "preflight": {                           // null, or the first preflight
        "status": 204,
        "headers": {"access-control-allow-origin": "http://localhost:8000", ...},
        "verdict": {"allowed": true, "reasons": []}
      },
      "steps": [                               // every request sent, in order
        {
          "kind": "preflight",                 // "preflight" | "request"
          "method": "OPTIONS",
          "url": "http://127.0.0.1:8001/users/1",
          "status": 204,
          "request_headers": {"origin": "...", "access-control-request-method": "PUT"},
          "response_headers": {"access-control-allow-methods": "PUT", ...},
          "verdict": {"allowed": true, "reasons": []}  // null: same-origin, no CORS check
        },
        {"kind": "request", "method": "PUT", ...}
      ],
      "allowed": true,                         // the verdict: exit 0 if true, 1 if false
      "status": 200,                           // the status the page sees; null when blocked
      "reasons": [],                           // why it is blocked, one sentence each
      "engine_notes": [],                      // engines that would decide otherwise, and why
      "notes": [],                             // remarks, e.g. headers the page cannot read
      "readable_headers": {"content-type": "application/json"},  // what the script can read
      "local_network": {                       // Local Network Access; null when unknown (a
        "page": "loopback",                    // null origin, an unresolvable host)
        "target": "loopback",                  // "public" | "local" | "loopback"
        "applies": false,                      // true: a more private target than the page
        "allowed": true,                       // false: blocked before anything is sent
        "reasons": []                          // (then "steps" is [], "status" null)
      },
      "cookies": [                             // one per Set-Cookie of every response, in order
        {
          "name": "sid",
          "stored": false,                     // does the browser keep it
          "sent": false,                       // is it sent with the page's next credentialed
                                               // request to that URL
          "partition": null,                   // the top-level site a partitioned cookie is
                                               // kept under (e.g. "http://127.0.0.1"), or null
          "reasons": ["SameSite=Lax cookie from a cross-site response (...): open the page ..."],
          "notes": [],                         // remarks, e.g. where a partitioned cookie is seen
          "engine_notes": ["Firefox would store it (partitioned for ...) and send it back"]
        }
      ]
    }

``request_headers`` are the headers the page set plus those the browser adds for CORS
(``origin``, ``access-control-request-*``); ``response_headers`` are only the ones that matter
to CORS (``access-control-*``, ``location``, ``vary``, and devserve's own ``x-devserve-cors``).
A redirect is one more ``request`` step; after a hop between two origins other than the page's,
``origin`` is ``"null"``. ``cookies`` judge every ``Set-Cookie`` (devserve.cors.cookies): a
cross-origin request without ``--credentials`` stores none; ``--browser standard`` judges
cookies as Chromium does.
"""

from __future__ import annotations

from typing import Any

from devserve.check.report import CheckReport, Step, combined
from devserve.cors.cookies import CookieVerdict
from devserve.cors.engines import ENGINE_NAMES
from devserve.cors.lna import LnaVerdict

# X-Devserve-Cors: when the server is devserve, its own verdict, shown beside ours.
_SHOWN_RESPONSE_HEADERS = frozenset({"location", "vary", "x-devserve-cors"})


def _mattered(headers: list[tuple[str, str]], kind: str) -> list[tuple[str, str]]:
    """The headers worth showing: CORS's, Location, Vary, devserve's verdict, what the page set."""
    if kind == "request":
        return headers
    return [
        (name, value)
        for name, value in headers
        if name.lower().startswith("access-control-") or name.lower() in _SHOWN_RESPONSE_HEADERS
    ]


def _credentials(report: CheckReport) -> str:
    if report.credentials:
        return "credentials: 'include'"
    return (
        "credentials: 'same-origin' (fetch()'s default: cookies only on same-origin requests; "
        "--credentials for 'include')"
    )


def format_text(report: CheckReport) -> str:
    """The human-readable report: each step with the headers that mattered, then the verdict."""
    lines = [
        f"{report.method} {report.url}",
        f"from a page on {report.origin}, {_credentials(report)}, mode: {report.mode}, "
        f"browser: {ENGINE_NAMES[report.browser]}",
        "",
    ]
    if report.preflight_only and not report.steps:
        lines.append("Simple request: no preflight (safelisted method and headers).")
    elif not report.steps:
        lines.append("Nothing sent: the browser stops this request before it leaves.")
    elif report.shape.needs_preflight:
        lines.append("Needs a preflight:")
        lines += [f"  - {reason}" for reason in report.shape.preflight_reasons]
    elif report.steps[0].verdict is not None:
        lines.append("Simple request: no preflight (safelisted method and headers).")
    for step in report.steps:
        lines += ["", f"{step.kind}: {step.method} {step.url}"]
        lines += [
            f"  > {name}: {value}" for name, value in _mattered(step.request_headers, "request")
        ]
        lines.append(f"  < {step.status} {step.reason_phrase}".rstrip())
        lines += [
            f"  < {name}: {value}" for name, value in _mattered(step.response_headers, "response")
        ]
        if step.verdict is None:
            lines.append("  same origin: no CORS check")
        else:
            lines.append("  passed" if step.verdict.allowed else "  FAILED")
    lines.append("")
    if report.allowed and report.preflight_only:
        lines.append("SENDABLE: the browser would send the request (not sent: --preflight-only).")
    elif report.allowed:
        lines.append(f"ALLOWED: the page can read the response (status {report.status}).")
        readable = ", ".join(report.readable_headers) or "(none)"
        lines.append(f"Readable response headers: {readable}")
    elif report.mode == "no-cors":
        lines.append("OPAQUE: the page gets a response it cannot read (mode no-cors).")
    else:
        lines.append('BLOCKED: the page gets only "TypeError: Failed to fetch".')
        lines += [f"  - {reason}" for reason in report.verdict.reasons]
    lines += [f"Note: {note}" for note in report.engine_notes + report.notes]
    if report.cookies:
        lines += ["", "Cookies (Set-Cookie):"]
    for cookie in report.cookies:
        lines.append(f"  - {_cookie_line(cookie)}")
        lines += [f"    {text}" for text in cookie.reasons[1:] + cookie.notes]
        lines += [f"    Note: {note}" for note in cookie.engine_notes]
    return "\n".join(lines)


def _cookie_line(cookie: CookieVerdict) -> str:
    if not cookie.stored:
        return f"{cookie.name}: DROPPED: {cookie.reasons[0]}"
    if not cookie.sent:
        return f"{cookie.name}: stored, NOT sent back: {cookie.reasons[0]}"
    where = f", partitioned for {cookie.partition}" if cookie.partition else ""
    return f"{cookie.name}: stored{where}, sent back with the next credentialed request"


def to_json(report: CheckReport) -> dict[str, Any]:
    """The report as JSON-ready data; the keys are documented in this module's docstring."""
    steps = [_step_json(step) for step in report.steps]
    preflight = next(
        (
            {"status": s["status"], "headers": s["response_headers"], "verdict": s["verdict"]}
            for s in steps
            if s["kind"] == "preflight"
        ),
        None,
    )
    return {
        "url": report.url,
        "origin": report.origin,
        "method": report.method,
        "credentials": report.credentials,
        "credentials_mode": "include" if report.credentials else "same-origin",
        "mode": report.mode,
        "preflight_only": report.preflight_only,
        "browser": report.browser,
        "simple": not report.shape.needs_preflight,
        "preflight_reasons": report.shape.preflight_reasons,
        "preflight": preflight,
        "steps": steps,
        "allowed": report.allowed,
        "status": report.status,
        "reasons": report.verdict.reasons,
        "engine_notes": report.engine_notes,
        "notes": report.notes,
        "readable_headers": report.readable_headers,
        "local_network": _lna_json(report.local_network),
        "cookies": [
            {
                "name": cookie.name,
                "stored": cookie.stored,
                "sent": cookie.sent,
                "partition": cookie.partition,
                "reasons": cookie.reasons,
                "notes": cookie.notes,
                "engine_notes": cookie.engine_notes,
            }
            for cookie in report.cookies
        ],
    }


def _lna_json(verdict: LnaVerdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {
        "page": verdict.page,
        "target": verdict.target,
        "applies": verdict.applies,
        "allowed": verdict.allowed,
        "reasons": verdict.reasons,
    }


def _step_json(step: Step) -> dict[str, Any]:
    verdict = step.verdict
    return {
        "kind": step.kind,
        "method": step.method,
        "url": step.url,
        "status": step.status,
        "request_headers": combined(_mattered(step.request_headers, "request")),
        "response_headers": combined(_mattered(step.response_headers, "response")),
        "verdict": None
        if verdict is None
        else {"allowed": verdict.allowed, "reasons": verdict.reasons},
    }
