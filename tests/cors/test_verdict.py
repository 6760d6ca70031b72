"""The verdict engine (devserve.cors.verdict), one or more tests per rule: pure, no I/O."""

from __future__ import annotations

import pytest

from devserve.cors.engines import (
    CLIENT_HINTS_SAFELISTED,
    DEVIATIONS,
    ENGINES,
    WILDCARD_COVERS_AUTHORIZATION,
    Engine,
)
from devserve.cors.request import classify_request, unsafe_header_names
from devserve.cors.verdict import Verdict, check_preflight, check_response

PAGE = "http://localhost:8000"
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"

Headers = list[tuple[str, str]]


def response(
    headers: Headers, *, credentials: bool = False, origin: str = PAGE, engine: Engine = "standard"
) -> Verdict:
    return check_response(headers=headers, origin=origin, credentials=credentials, engine=engine)


def preflight(
    headers: Headers,
    *,
    method: str = "PUT",
    names: tuple[str, ...] = (),
    status: int = 204,
    credentials: bool = False,
    engine: Engine = "standard",
) -> Verdict:
    return check_preflight(
        status=status,
        headers=headers,
        origin=PAGE,
        method=method,
        request_header_names=names,
        credentials=credentials,
        engine=engine,
    )


def only_reason(verdict: Verdict) -> str:
    assert not verdict.allowed
    assert len(verdict.reasons) == 1, verdict.reasons
    return verdict.reasons[0]


# Classification: safelisted methods.


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "get", "post"])
def test_safelisted_methods_need_no_preflight(method: str) -> None:
    shape = classify_request(method, [])
    assert not shape.needs_preflight
    assert shape.method == method.upper()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "put"])
def test_other_methods_need_a_preflight(method: str) -> None:
    shape = classify_request(method, [])
    assert shape.needs_preflight
    assert repr(method.upper()) in shape.preflight_reasons[0]


def test_lowercase_patch_is_sent_as_written_and_the_reason_says_so() -> None:
    shape = classify_request("patch", [])
    assert shape.method == "patch"  # fetch() upper-cases only DELETE GET HEAD OPTIONS POST PUT
    assert "sent as written" in shape.preflight_reasons[0]


# Classification: safelisted request headers and their value rules.


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Accept", "application/json"),
        ("Accept-Language", "en-US,en;q=0.9"),
        ("Content-Language", "de"),
        ("Content-Type", "text/plain"),
        ("Content-Type", "text/plain;charset=UTF-8"),
        ("Content-Type", "Multipart/Form-Data; boundary=x"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Range", "bytes=0-99"),
        ("Range", "bytes=100-"),
    ],
)
def test_safelisted_headers_need_no_preflight(name: str, value: str) -> None:
    assert not classify_request("GET", [(name, value)]).needs_preflight


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("X-Token", "1", "'x-token' is not CORS-safelisted"),
        ("Authorization", "Bearer t", "'authorization' is not CORS-safelisted"),
        ("Content-Type", "application/json", "is not application/x-www-form-urlencoded"),
        ("Content-Type", 'text/plain; charset="utf-8"', "contains '\"'"),
        ("Content-Type", "text/plain garbage", "is not application/x-www-form-urlencoded"),
        ("Accept", "text/html(", "contains '('"),
        ("Accept-Language", "en_US", "contains '_'"),
        ("Range", "bytes=-500", "single 'bytes=start-'"),
        ("Range", "bytes=0-1,5-6", "single 'bytes=start-'"),
        ("Range", "bytes=9-1", "single 'bytes=start-'"),
        ("Range", "items=0-1", "single 'bytes=start-'"),
    ],
)
def test_unsafe_headers_and_values_need_a_preflight(name: str, value: str, words: str) -> None:
    shape = classify_request("GET", [(name, value)])
    assert shape.unsafe_header_names == [name.lower()]
    assert words in shape.preflight_reasons[0]


def test_content_type_essence_is_what_counts() -> None:
    assert not classify_request("POST", [("Content-Type", " TEXT/PLAIN ; a=b")]).needs_preflight
    assert classify_request("POST", [("Content-Type", "text/plainx")]).needs_preflight


def test_a_safelisted_value_may_be_128_bytes_not_129() -> None:
    at_limit = "a" * 128
    assert not classify_request("GET", [("Accept", at_limit)]).needs_preflight
    shape = classify_request("GET", [("Accept", at_limit + "a")])
    assert "129 bytes long, over the 128-byte limit" in shape.preflight_reasons[0]
    assert shape.unsafe_header_names == ["accept"]


def test_safelisted_values_may_total_1024_bytes_not_more() -> None:
    eight = [("Accept", "a" * 128)] * 8  # 1024 bytes: still simple
    assert not classify_request("GET", eight).needs_preflight
    shape = classify_request("GET", [*eight, ("Content-Language", "de")])
    assert shape.needs_preflight
    assert "total 1026 bytes, over the 1024-byte limit" in shape.preflight_reasons[0]
    assert shape.unsafe_header_names == ["accept", "content-language"]


def test_headers_only_the_browser_sets_do_not_count() -> None:
    assert not classify_request("GET", [("Cookie", "a=b"), ("Sec-Fetch-Mode", "x")]).needs_preflight


def test_unsafe_header_names_are_sorted_lowercase_and_unique() -> None:
    headers = [("X-B", "1"), ("x-a", "2"), ("X-B", "3"), ("Accept", "*/*")]
    assert unsafe_header_names(headers) == ["x-a", "x-b"]


def test_chromium_safelists_client_hints_and_the_standard_names_it() -> None:
    standard = classify_request("GET", [("DPR", "2")])
    chromium = classify_request("GET", [("DPR", "2")], engine="chromium")
    assert standard.needs_preflight and not chromium.needs_preflight
    assert standard.engine_notes[0].startswith("Chromium would send this without a preflight")
    assert chromium.engine_notes[0].startswith("The Fetch standard and Firefox would preflight")
    assert classify_request("GET", [("DPR", "two")], engine="chromium").needs_preflight


# The CORS check.


def test_missing_allow_origin_blocks_and_names_the_fix() -> None:
    reason = only_reason(response([]))
    assert "no Access-Control-Allow-Origin header" in reason
    assert f"send Access-Control-Allow-Origin: {PAGE}" in reason


@pytest.mark.parametrize(
    "headers",
    [
        [(ACAO, PAGE), (ACAO, PAGE)],
        [(ACAO, f"{PAGE}, http://other.test")],
        [(ACAO, "*"), (ACAO, "*")],
    ],
)
def test_several_allow_origin_values_block(headers: Headers) -> None:
    reason = only_reason(response(headers))
    assert "Access-Control-Allow-Origin has several values" in reason
    assert "exactly one" in reason


def test_star_allows_without_credentials_and_blocks_with() -> None:
    assert response([(ACAO, "*")]).allowed
    reason = only_reason(response([(ACAO, "*"), (ACAC, "true")], credentials=True))
    assert "is '*' but the request sends credentials" in reason
    assert "Access-Control-Allow-Credentials: true" in reason


@pytest.mark.parametrize(
    ("sent", "origin", "hint"),
    [
        (f"{PAGE}/", PAGE, "drop the trailing slash"),
        ("http://LOCALHOST:8000", PAGE, "mind the case"),
        ("http://localhost:80", "http://localhost", "default port"),
        ("https://example.test:443", "https://example.test", "default port"),
        ("https://localhost:8000", PAGE, "the scheme differs"),
        ("http://127.0.0.1:8000", PAGE, ""),
    ],
)
def test_allow_origin_must_match_byte_for_byte(sent: str, origin: str, hint: str) -> None:
    reason = only_reason(response([(ACAO, sent)], origin=origin))
    assert f"does not match the origin {origin!r}" in reason
    assert hint in reason
    assert reason.endswith(f"send exactly {origin!r}")


def test_null_origin_passes_star_or_null_only() -> None:
    assert response([(ACAO, "*")], origin="null").allowed
    assert response([(ACAO, "null")], origin="null").allowed
    assert "the request's origin is 'null'" in only_reason(response([(ACAO, PAGE)], origin="null"))


def test_allow_credentials_must_be_exactly_true() -> None:
    assert response([(ACAO, PAGE), (ACAC, "true")], credentials=True).allowed
    missing = only_reason(response([(ACAO, PAGE)], credentials=True))
    assert "no Access-Control-Allow-Credentials" in missing
    for bad in ("True", "1", "yes"):
        reason = only_reason(response([(ACAO, PAGE), (ACAC, bad)], credentials=True))
        assert "must be exactly 'true'" in reason
    doubled = [(ACAO, PAGE), (ACAC, "true"), (ACAC, "true")]
    assert "'true, true'" in only_reason(response(doubled, credentials=True))


def test_allow_credentials_is_not_needed_without_credentials() -> None:
    assert response([(ACAO, PAGE), (ACAC, "false")]).allowed


# Preflight validation.

PREFLIGHT_OK: Headers = [(ACAO, PAGE), (ACAM, "PUT"), (ACAH, "X-Token")]


@pytest.mark.parametrize("status", [200, 204, 299])
def test_preflight_accepts_2xx(status: int) -> None:
    assert preflight(PREFLIGHT_OK, names=("x-token",), status=status).allowed


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (301, "never follow a preflight's redirect"),
        (307, "never follow a preflight's redirect"),
        (404, "a preflight needs a 2xx status"),
        (405, "a preflight needs a 2xx status"),
        (500, "a preflight needs a 2xx status"),
    ],
)
def test_preflight_fails_on_any_other_status(status: int, words: str) -> None:
    reason = only_reason(preflight(PREFLIGHT_OK, status=status))
    assert f"answered {status}" in reason and words in reason
    assert "answer the OPTIONS request itself with 200 or 204" in reason or "200 or 204" in reason


def test_preflight_runs_the_cors_check_too() -> None:
    reason = only_reason(preflight([(ACAM, "PUT")]))
    assert "the preflight response has no Access-Control-Allow-Origin" in reason


def test_methods_match_case_sensitively() -> None:
    assert preflight([(ACAO, PAGE), (ACAM, "GET, PATCH")], method="PATCH").allowed
    reason = only_reason(preflight([(ACAO, PAGE), (ACAM, "PATCH")], method="patch"))
    assert "methods match case-sensitively" in reason
    assert "have the page send 'PATCH'" in reason
    reason = only_reason(preflight([(ACAO, PAGE), (ACAM, "patch")], method="PATCH"))
    assert "list 'PATCH' exactly" in reason


def test_missing_or_other_methods_block() -> None:
    missing = only_reason(preflight([(ACAO, PAGE)], method="DELETE"))
    assert "no Access-Control-Allow-Methods; send Access-Control-Allow-Methods: DELETE" in missing
    other = only_reason(preflight([(ACAO, PAGE), (ACAM, "GET, PUT")], method="DELETE"))
    assert "'DELETE' is not in Access-Control-Allow-Methods (got 'GET, PUT'): add it" in other


def test_safelisted_method_needs_no_allow_methods() -> None:
    assert preflight([(ACAO, PAGE), (ACAH, "x-token")], method="POST", names=("x-token",)).allowed


def test_methods_star_only_without_credentials() -> None:
    headers = [(ACAO, PAGE), (ACAC, "true"), (ACAM, "*")]
    assert preflight(headers, method="DELETE").allowed
    reason = only_reason(preflight(headers, method="DELETE", credentials=True))
    assert "Access-Control-Allow-Methods is '*'" in reason and "list 'DELETE'" in reason
    listed = [(ACAO, PAGE), (ACAC, "true"), (ACAM, "*, DELETE")]
    assert preflight(listed, method="DELETE", credentials=True).allowed


def test_headers_match_case_insensitively() -> None:
    headers = [(ACAO, PAGE), (ACAM, "PUT"), (ACAH, "X-TOKEN, content-TYPE")]
    assert preflight(headers, names=("x-token", "Content-Type")).allowed


def test_missing_or_other_headers_block() -> None:
    missing = only_reason(preflight([(ACAO, PAGE), (ACAM, "PUT")], names=("x-token",)))
    assert "no Access-Control-Allow-Headers; send Access-Control-Allow-Headers: x-token" in missing
    other = only_reason(preflight([(ACAO, PAGE), (ACAM, "PUT"), (ACAH, "x-a")], names=("x-b",)))
    assert "header 'x-b' is not in Access-Control-Allow-Headers (got 'x-a'): add it" in other


def test_headers_star_only_without_credentials() -> None:
    headers = [(ACAO, PAGE), (ACAC, "true"), (ACAM, "PUT"), (ACAH, "*")]
    assert preflight(headers, names=("x-token",)).allowed
    reason = only_reason(preflight(headers, names=("x-token",), credentials=True))
    assert "Access-Control-Allow-Headers is '*'" in reason and "list 'x-token'" in reason


@pytest.mark.parametrize("engine", ENGINES)
def test_authorization_under_star_per_engine(engine: Engine) -> None:
    # Chromium 156 and Firefox 153 ESR both allow it (tests/browser/test_oracle.py).
    headers = [(ACAO, PAGE), (ACAM, "PUT"), (ACAH, "*")]
    verdict = preflight(headers, names=("authorization",), engine=engine)
    assert verdict.allowed is (engine != "standard")
    [note] = verdict.engine_notes
    if engine == "standard":
        assert "allowed today in Chromium and Firefox, against the standard" in (verdict.reasons[0])
        assert "list 'authorization' explicitly" in verdict.reasons[0]
        assert note.startswith("Chromium and Firefox would allow this")
        assert WILDCARD_COVERS_AUTHORIZATION.summary in note
    else:
        assert note.startswith("The Fetch standard would block this")
        assert "allowed today in Chromium and Firefox" in note


def test_authorization_listed_by_name_passes_everywhere() -> None:
    headers = [(ACAO, PAGE), (ACAM, "PUT"), (ACAH, "*, Authorization")]
    for engine in ENGINES:
        verdict = preflight(headers, names=("authorization",), engine=engine)
        assert verdict.allowed and not verdict.engine_notes


def test_star_with_credentials_does_not_cover_authorization_even_in_chromium() -> None:
    headers = [(ACAO, PAGE), (ACAC, "true"), (ACAM, "PUT"), (ACAH, "*")]
    verdict = preflight(headers, names=("authorization",), credentials=True, engine="chromium")
    assert not verdict.allowed and not verdict.engine_notes


@pytest.mark.parametrize(
    ("header", "value"),
    [(ACAM, "GET PUT"), (ACAM, "PUT;DELETE"), (ACAH, "x-token x-other"), (ACAH, "x-a, (x-b)")],
)
def test_unparsable_lists_fail_the_whole_preflight(header: str, value: str) -> None:
    fields = {ACAO: PAGE, ACAM: "PUT", ACAH: "x-a", header: value}
    verdict = preflight(list(fields.items()), names=("x-a",))
    reason = only_reason(verdict)
    assert f"{header} {value!r} is not a comma-separated list" in reason
    assert "browsers reject the whole preflight" in reason


def test_a_failed_preflight_lists_every_reason() -> None:
    verdict = preflight([], status=500, method="DELETE", names=("x-token",))
    assert len(verdict.reasons) == 4  # no ACAO, the status, the method, the header


# Exposure of response headers.


def test_safelisted_response_headers_are_readable_others_are_not() -> None:
    headers = [(ACAO, "*"), ("Content-Type", "text/plain"), ("Cache-Control", "no-store"),
               ("X-Total-Count", "3"), ("ETag", "x"), ("Date", "now")]  # fmt: skip
    verdict = response(headers)
    assert verdict.readable_headers == ["content-type", "cache-control"]
    assert verdict.notes == [
        "the page cannot read the response header(s) x-total-count, etag: list them in "
        "Access-Control-Expose-Headers if it needs them"
    ]


def test_expose_headers_makes_listed_headers_readable() -> None:
    headers = [(ACAO, "*"), (ACEH, "x-total-count"), ("X-Total-Count", "3"), ("ETag", "x")]
    verdict = response(headers)
    assert "x-total-count" in verdict.readable_headers
    assert "etag" not in verdict.readable_headers


def test_expose_star_only_without_credentials() -> None:
    headers = [(ACAO, PAGE), (ACAC, "true"), (ACEH, "*"), ("X-Total-Count", "3")]
    assert "x-total-count" in response(headers).readable_headers
    with_credentials = response(headers, credentials=True)
    assert with_credentials.allowed
    assert "x-total-count" not in with_credentials.readable_headers
    assert any("Expose-Headers: * does not count" in note for note in with_credentials.notes)


def test_set_cookie_is_never_readable() -> None:
    headers = [(ACAO, "*"), (ACEH, "*, Set-Cookie"), ("Set-Cookie", "a=b")]
    assert "set-cookie" not in response(headers).readable_headers


def test_unparsable_expose_headers_exposes_nothing() -> None:
    verdict = response([(ACAO, "*"), (ACEH, "x a"), ("X-A", "1")])
    assert verdict.allowed and "x-a" not in verdict.readable_headers
    assert any("exposes nothing" in note for note in verdict.notes)


def test_a_blocked_response_has_nothing_readable() -> None:
    assert response([("Content-Type", "text/plain")]).readable_headers == []


# Engine differences: one table, each with a source; the standard is the strictest.


def test_deviations_table_names_engine_and_source() -> None:
    assert WILDCARD_COVERS_AUTHORIZATION in DEVIATIONS
    assert CLIENT_HINTS_SAFELISTED in DEVIATIONS
    for deviation in DEVIATIONS:
        assert deviation.engines and set(deviation.engines) <= {"chromium", "firefox"}
        assert deviation.source and deviation.summary


def test_no_engine_note_when_all_engines_agree() -> None:
    assert response([(ACAO, "*")]).engine_notes == []
    assert response([]).engine_notes == []


# Every failure is a plain sentence naming the header and the fix.

BLOCKED = [
    response([]),
    response([(ACAO, PAGE), (ACAO, PAGE)]),
    response([(ACAO, "*")], credentials=True),
    response([(ACAO, f"{PAGE}/")]),
    response([(ACAO, PAGE)], credentials=True),
    response([(ACAO, PAGE), (ACAC, "TRUE")], credentials=True),
    preflight([(ACAO, PAGE), (ACAM, "PUT")], status=302),
    preflight([(ACAO, PAGE), (ACAM, "PUT")], status=500),
    preflight([(ACAO, PAGE)]),
    preflight([(ACAO, PAGE), (ACAM, "GET")]),
    preflight([(ACAO, PAGE), (ACAM, "put")]),
    preflight([(ACAO, PAGE), (ACAC, "true"), (ACAM, "*")], credentials=True),
    preflight([(ACAO, PAGE), (ACAM, "PUT GET")]),
    preflight([(ACAO, PAGE), (ACAM, "PUT")], names=("x-a",)),
    preflight([(ACAO, PAGE), (ACAM, "PUT"), (ACAH, "x-b")], names=("x-a",)),
    preflight([(ACAO, PAGE), (ACAM, "PUT"), (ACAH, "*")], names=("authorization",)),
    preflight([(ACAO, PAGE), (ACAM, "PUT"), (ACAH, "x a")], names=("x-a",)),
]


@pytest.mark.parametrize("reason", [r for verdict in BLOCKED for r in verdict.reasons])
def test_every_reason_names_the_header_and_the_fix(reason: str) -> None:
    assert "Access-Control-" in reason or "preflight was answered" in reason
    fixes = ("send ", "list ", "add it", "answer OPTIONS", "answer the OPTIONS", "drop ", "echo ")
    assert any(fix in reason for fix in fixes), reason
    assert "\n" not in reason
