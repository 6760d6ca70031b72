"""The server side of the verdict (devserve.cors.annotate): what devserve can judge of its own
responses, and how the verdict is written into the X-Devserve-Cors header. Pure, no I/O."""

from __future__ import annotations

from devserve.cors.annotate import header_value, server_verdict
from devserve.cors.verdict import Verdict
from tests.cors.helpers import PAGE

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"

Headers = list[tuple[str, str]]


# server_verdict: what the server can and cannot see.


def test_server_verdict_skips_same_origin_and_no_origin() -> None:
    def judge(request_headers: Headers) -> Verdict | None:
        return server_verdict(
            method="GET",
            request_headers=request_headers,
            status=200,
            response_headers=[(ACAO, "*")],
            serving_origin=PAGE,
        )

    assert judge([]) is None
    assert judge([("Origin", PAGE)]) is None
    assert judge([("Origin", "http://localhost:8001")]) is not None


def test_server_verdict_gives_both_credential_outcomes() -> None:
    verdict = server_verdict(
        method="GET",
        request_headers=[("Origin", PAGE)],
        status=200,
        response_headers=[(ACAO, "*")],
        serving_origin="http://localhost:8001",
    )
    assert verdict is not None and verdict.allowed
    assert verdict.credentials_note is not None
    assert verdict.credentials_note.startswith(
        "allowed without credentials; blocked with credentials: Access-Control-Allow-Origin is '*'"
    )


def test_server_verdict_no_credentials_note_when_both_agree() -> None:
    verdict = server_verdict(
        method="GET",
        request_headers=[("Origin", PAGE)],
        status=200,
        response_headers=[(ACAO, PAGE), (ACAC, "true")],
    )
    assert verdict is not None and verdict.allowed and verdict.credentials_note is None


def test_server_verdict_with_a_cookie_judges_with_credentials() -> None:
    verdict = server_verdict(
        method="GET",
        request_headers=[("Origin", PAGE), ("Cookie", "a=b")],
        status=200,
        response_headers=[(ACAO, "*")],
    )
    assert verdict is not None and not verdict.allowed and verdict.credentials_note is None


def test_server_verdict_judges_a_preflight_with_engine_notes() -> None:
    verdict = server_verdict(
        method="OPTIONS",
        request_headers=[
            ("Origin", PAGE),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "authorization,x-token"),
        ],
        status=204,
        response_headers=[(ACAO, PAGE), (ACAM, "PUT"), (ACAH, "*")],
    )
    assert verdict is not None and not verdict.allowed
    assert "'authorization'" in verdict.reasons[0]
    assert verdict.engine_notes[0].startswith("Chromium and Firefox would allow this")


# header_value: the X-Devserve-Cors response header.


def test_header_value_allowed() -> None:
    assert header_value(Verdict(allowed=True)) == "allowed"


def test_header_value_blocked_quotes_and_joins_reasons() -> None:
    verdict = Verdict(allowed=False, reasons=['a "quoted" \\ reason', "second"])
    assert header_value(verdict) == 'blocked; reason="a \\"quoted\\" \\\\ reason; second"'


def test_header_value_carries_credentials_and_engine_notes() -> None:
    verdict = Verdict(allowed=True, credentials_note="with creds: no", engine_notes=["Chromium x"])
    assert header_value(verdict) == 'allowed; note="with creds: no; Chromium x"'


def test_header_value_is_one_ascii_line_of_bounded_length() -> None:
    verdict = Verdict(allowed=False, reasons=["line\nbreak é " + "x" * 1000])
    value = header_value(verdict)
    assert value.isascii() and "\n" not in value
    assert value.startswith('blocked; reason="line break ? x')
    assert value.endswith('..."') and len(value) < 700
