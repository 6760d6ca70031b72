"""What the browser gets when the upstream cannot answer (502 or 504, as JSON naming both), or
when a request may not go to it (400)."""

from __future__ import annotations

import asyncio

import httpx
from starlette.responses import JSONResponse


def upstream_failure(upstream: str, error: BaseException, *, timeout: float) -> JSONResponse:
    """A 504 for an upstream that did not answer within ``timeout``, else a 502."""
    if isinstance(error, asyncio.TimeoutError | httpx.TimeoutException):
        status = 504
        reason = f"no response within {timeout:g} s (proxy_timeout)"
        fix = "raise proxy_timeout for this origin, or check why the upstream is slow"
    else:
        status = 502
        reason = _reason(error)
        fix = "check that the upstream is running and that the proxy URL is right"
    body = {
        "error": f"upstream {upstream} {'timed out' if status == 504 else 'failed'}: {reason}",
        "upstream": upstream,
        "reason": reason,
        "fix": fix,
    }
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _reason(error: BaseException) -> str:
    if isinstance(error, httpx.ConnectError):
        detail = str(error) or "connection refused"
        return f"cannot connect ({detail})"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"the upstream broke the HTTP exchange ({error})"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def path_refused(upstream: str, path: str, reason: str) -> JSONResponse:
    """A 400 for a path that would leave the proxied part of the upstream."""
    body = {
        "error": f"the path {path} leaves the proxied path of {upstream}: {reason}",
        "upstream": upstream,
        "reason": reason,
        "fix": "send the path as a browser would, with its dot segments resolved",
    }
    return JSONResponse(body, status_code=400, headers={"Cache-Control": "no-store"})
