"""Origins in columns: the banner and `devserve status` line every origin's parts up."""

from __future__ import annotations

from devserve.state import CorsState, OriginState, aligned


def _state(name: str, url: str, serves: tuple[str, ...], enabled: bool) -> OriginState:
    cors = CorsState(enabled=enabled, mode="on" if enabled else "off", configured="off",
                     describe="on" if enabled else "off")  # fmt: skip
    return OriginState(name=name, url=url, port=1, cors=cors, serves=serves)


def test_columns_line_up_and_runtime_notes_show_only_in_status() -> None:
    states = [
        _state("page", "http://127.0.0.1:8000", ("static web",), False),
        _state("api-list", "http://localhost:18001", ("5 routes",), True),
    ]
    banner, status = aligned(states, runtime=False), aligned(states, runtime=True)
    assert len({line.index("http") for line in banner}) == 1
    assert len({line.index("| CORS") for line in banner}) == 1
    assert len({line.index("| CORS") for line in status}) == 1
    assert "switched on at runtime" in status[1] and "switched" not in banner[1]
