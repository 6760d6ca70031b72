"""What a mock does once its path fits: check ``match``, pick from ``responses``, answer.

Shared by declared routes and mock-folder files, so both answer, fail and log alike. A response
with templates is rendered by a renderer process (``devserve.mocks.pool``); one without, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from devserve.config.mocks import Behaviour
from devserve.mocks import faults
from devserve.mocks.limits import Limits, off_loop
from devserve.mocks.matching import Matcher, compile_match
from devserve.mocks.pool import AVAILABLE, POOL
from devserve.mocks.rendering import Program, Rendered
from devserve.mocks.responses import (
    ResponseTemplate,
    compile_response,
    header_items,
    render_response,
)
from devserve.mocks.sequences import Sequence
from devserve.mocks.stream import CompiledStream, compile_stream
from devserve.mocks.templates import Node, RenderError, compile_value, environment
from devserve.records import NOTE_KEY, REPLAY_KEY, Replayable


@dataclass(frozen=True)
class CompiledBehaviour:
    label: str
    config: Behaviour
    matcher: Matcher | None
    responses: tuple[ResponseTemplate, ...]
    shared_headers: tuple[tuple[str, Node], ...]
    # What a renderer process needs for each response that has templates (None: no template).
    programs: tuple[Program | None, ...]
    sequence: Sequence
    needs: frozenset[str]
    max_bytes: int  # [devserve] template_max_bytes: a rendered body may not be larger
    stream: CompiledStream | None = None  # ``stream = [...]``: the body is an event stream

    # Asked on every request: worked out once (cached_property writes past the frozen guard).
    @cached_property
    def dynamic(self) -> bool:
        """Whether the answer depends on the request: a ``match`` or a template."""
        return (
            self.matcher is not None
            or any(r.templated for r in self.responses)
            or any(node.templated for _, node in self.shared_headers)
            or (self.stream is not None and self.stream.data.templated)
        )

    @cached_property
    def fixed(self) -> Fixed | None:
        """The whole answer, built once, when nothing in it can change between requests: no
        ``match``, no template, no file (read each time so edits show), one response, no
        delay or fault. The common mock (a path and its JSON) then costs two ``send`` calls."""
        config = self.config
        if self.dynamic or len(self.responses) != 1 or config.delay_ms or config.jitter_ms:
            return None
        if self.stream is not None:
            return None
        (response,) = self.responses
        spec = response.spec
        if response.reads_file or spec.fault or spec.delay_ms or spec.jitter_ms:
            return None
        try:
            rendered = render_response(
                response, {}, extra_headers=self.shared_headers, max_bytes=self.max_bytes
            )
        except RenderError:
            return None  # answered (and its error reported) the usual way, on each request
        built = as_response(rendered)
        return Fixed(built.status_code, tuple(built.raw_headers), bytes(built.body))

    @cached_property
    def threaded(self) -> bool:
        """Whether deciding may take time here: a regex or a file is involved (templates render
        in a renderer process, not here)."""
        regex = self.matcher is not None and self.matcher.has_regex
        return regex or any(r.reads_file for r in self.responses)


@dataclass(frozen=True)
class Fixed:
    """A response sent as it is: the ASGI messages of a Starlette Response, built once."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    async def __call__(self, scope: Scope, send: Send, *, replayable: bool = False) -> None:
        """Send it; ``replayable`` (a declared route's, the same for every request it gets; a
        mock file's is read anew each time) lets the origin's fast path send it again."""
        # A new header list each time: a layer on the way out may add to it in place.
        start = {"type": "http.response.start", "status": self.status, "headers": [*self.headers]}
        body = {"type": "http.response.body", "body": self.body}
        if replayable:
            scope[REPLAY_KEY] = Replayable("fixed", start, body)
        await send(start)
        await send(body)


def compile_behaviour(
    config: Behaviour,
    *,
    label: str,
    where: str,
    limits: Limits,
    problems: list[str],
    literal: bool = False,
    sequence: Sequence | None = None,
    timing: float = 1.0,
) -> CompiledBehaviour:
    """Compile templates and regexes; problems go to ``problems`` with their key path.

    ``literal``: strings are sent as they are, never rendered (mock-folder files). ``timing``
    scales a stream's delays (0: recordings replayed with ``replay_timing = "compressed"``).
    """
    env = environment(limits.max_bytes)
    names: set[str] = set()
    matcher = None
    if config.match is not None:
        matcher = compile_match(config.match, where=f"{where}.match", problems=problems)
        names.update(["form"] if config.match.form else [])
        names.update(["json"] if config.match.has_json else [])
        names.update(["body"] if config.match.has_body else [])
    options: dict[str, Any] = {"env": env, "problems": problems, "names": names, "literal": literal}
    shared: tuple[tuple[str, Node], ...] = ()
    responses: tuple[ResponseTemplate, ...]
    if config.responses is None:
        responses = (compile_response(config, where=where, **options),)
    else:
        responses = tuple(
            compile_response(item, where=f"{where}.responses[{i}]", **options)
            for i, item in enumerate(config.responses)
        )
        shared = tuple(
            (key, compile_value(value, where=f"{where}.headers.{key}", **options))
            for key, value in header_items(config.headers)
        )
    if sequence is None or sequence.size != len(responses) or sequence.order != config.order:
        sequence = Sequence(len(responses), config.order)
    programs = _programs(responses, config, where, shared, limits.max_bytes)
    stream = compile_stream(
        config, where=where, limits=limits, problems=problems, literal=literal, timing=timing
    )
    return CompiledBehaviour(
        label,
        config,
        matcher,
        responses,
        shared,
        programs,
        sequence,
        frozenset(names) | (stream.needs if stream is not None else frozenset()),
        limits.max_bytes,
        stream,
    )


def _programs(
    responses: tuple[ResponseTemplate, ...],
    config: Behaviour,
    where: str,
    shared: tuple[tuple[str, Node], ...],
    max_bytes: int,
) -> tuple[Program | None, ...]:
    sources = tuple(
        (name, value, f"{where}.headers.{name}")
        for name, value in (header_items(config.headers) if config.responses is not None else ())
    )
    templated = any(node.templated for _, node in shared)
    return tuple(
        Program(r.compiled.source, sources, max_bytes) if r.templated or templated else None
        for r in responses
    )


Candidates = list[tuple[CompiledBehaviour, dict[str, Any]]]


@dataclass
class Decision:
    """What answers: a rendered response, a fault, a render error, or nothing (``misses``);
    or a response still to render in a renderer process (``program``, with ``data``)."""

    behaviour: CompiledBehaviour | None = None
    response: ResponseTemplate | None = None
    rendered: Rendered | None = None
    error: str | None = None
    misses: list[str] = field(default_factory=list)
    program: Program | None = None
    data: dict[str, Any] = field(default_factory=dict)


def decide(candidates: Candidates, base: dict[str, Any], limits: Limits) -> Decision:
    """Pick the first candidate whose ``match`` holds, advance its sequence, render its response
    (one with templates is left to ``render_templated``: ``program`` and ``data`` say what).

    ``base`` is the request data; each candidate adds its own ``path`` parameters.
    """
    misses: list[str] = []
    for behaviour, params in candidates:
        data = {**base, "path": params}
        if behaviour.matcher is not None:
            problem = behaviour.matcher.failure(data)
            if problem:
                misses.append(f"{behaviour.label}: {problem}")
                continue
        index = behaviour.sequence.next()
        response = behaviour.responses[index]
        decision = Decision(behaviour, response, misses=misses, data=data)
        if response.spec.fault is not None:
            return decision
        decision.program = behaviour.programs[index]
        if decision.program is not None:
            return decision
        try:
            decision.rendered = render_response(
                response, data, extra_headers=behaviour.shared_headers, max_bytes=limits.max_bytes
            )
        except RenderError as exc:
            decision.error = exc.reason
        return decision
    return Decision(misses=misses)


async def render_templated(decision: Decision, limits: Limits) -> None:
    """Render the decided response in a renderer process: ``rendered``, or ``error`` says why."""
    behaviour, program = decision.behaviour, decision.program
    assert behaviour is not None and program is not None
    # Only the request data its templates use crosses to the renderer.
    data = {name: value for name, value in decision.data.items() if name in behaviour.needs}
    try:
        if AVAILABLE:
            decision.rendered = await POOL.render(
                program, data, timeout_ms=limits.timeout_ms, memory_mb=limits.memory_mb
            )
        else:  # no renderer processes here (Windows): the sandbox's own budgets only
            response, shared = decision.response, behaviour.shared_headers
            assert response is not None
            decision.rendered = await off_loop(
                lambda: render_response(
                    response, data, extra_headers=shared, max_bytes=limits.max_bytes
                ),
                limits,
            )
    except RenderError as exc:
        decision.error = exc.reason


async def answer(decision: Decision, scope: Scope, receive: Receive, send: Send) -> None:
    """Wait the delay, then break the connection, answer a 500 naming the reason, or respond."""
    behaviour, response = decision.behaviour, decision.response
    assert behaviour is not None
    if response is not None:
        spec, config = response.spec, behaviour.config
        shared = config.responses is not None  # the route's delay adds to each response's
        await faults.delay(
            spec.delay_ms + (config.delay_ms if shared else 0),
            spec.jitter_ms + (config.jitter_ms if shared else 0),
        )
        if spec.fault is not None:
            scope[NOTE_KEY] = f"fault: {spec.fault} ({behaviour.label})"
            await faults.trigger(spec.fault, scope, receive)
            return
    if decision.rendered is None:
        await fail(behaviour.label, decision.error or "no response", scope, receive, send)
        return
    if behaviour.stream is not None:
        stream, rendered = behaviour.stream, decision.rendered
        problem = await stream.play(rendered, decision.data, scope, receive, send)
        if problem is not None:
            await fail(behaviour.label, problem, scope, receive, send)
        return
    await as_response(decision.rendered)(scope, receive, send)


def as_response(rendered: Rendered) -> Response:
    """The response, with the mock's headers over Starlette's, repeats kept (``Set-Cookie``)."""
    response = Response(
        rendered.content, status_code=rendered.status, media_type=rendered.media_type
    )
    own = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in rendered.headers]
    given = {name for name, _ in own}
    response.raw_headers = [
        *((name, value) for name, value in response.raw_headers if name not in given),
        *own,
    ]
    return response


async def fail(label: str, reason: str, scope: Scope, receive: Receive, send: Send) -> None:
    """A 500 whose JSON body names the mock and the reason; the log line shows the reason."""
    scope[NOTE_KEY] = f"{label}: {reason}"
    body = {"error": f"mock {label} failed", "route": label, "reason": reason}
    await JSONResponse(body, 500)(scope, receive, send)
