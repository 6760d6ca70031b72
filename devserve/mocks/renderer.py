"""A renderer process: renders mock templates sent by devserve, under a memory cap and a timer.

devserve starts a few of these (``devserve.mocks.pool``) and talks to each over its stdin and
stdout: one pickled request, one pickled reply. A request names a Program by its key and brings
the Program itself the first time; the renderer compiles it once and keeps it.

The guarantees do not rest on the template behaving: before each render the process caps its
own address space (RLIMIT_AS) and arms a timer whose signal ends the process, so even a render
stuck inside one C call cannot outlive devserve. devserve also kills it at the time limit.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from devserve.mocks.rendering import Compiled, Program, compile_source, render
from devserve.mocks.sandbox import budget
from devserve.mocks.templates import Node, RenderError, compile_value, environment

try:
    import resource
except ImportError:  # not on Windows, where renders run in a thread instead
    resource = None  # type: ignore[assignment]

# Compiled programs kept: a config rarely has more; an evicted one is simply sent again.
_KEPT = 512
# The timer's margin past the time limit: devserve kills at the limit plus its grace first.
_TIMER_MARGIN_SECONDS = 2.0
_LONGEST_REASON = 1000
MiB = 1024 * 1024

Reply = tuple[Any, ...]


@dataclass(frozen=True)
class _Ready:
    compiled: Compiled
    shared: tuple[tuple[str, Node], ...]
    max_bytes: int


class Renderer:
    """The compiled programs of this process, and how one request is answered."""

    def __init__(self) -> None:
        self.programs: OrderedDict[str, _Ready] = OrderedDict()

    def answer(self, request: tuple[str, Program | None, bytes, int, int]) -> Reply:
        """``("ok", Rendered)``, ``("error", reason)``, ``("unknown",)`` (send the Program) or
        ``("memory", reason)`` (the process ends after sending it)."""
        key, program, payload, timeout_ms, memory_mb = request
        if program is not None:
            where = program.response.where
        elif key in self.programs:
            where = self.programs[key].compiled.source.where
        else:
            return ("unknown",)
        out_of_memory = False
        _arm(timeout_ms, memory_mb)
        try:
            ready = self._ready(key, program)
            data = pickle.loads(payload)
            with budget(timeout_ms=timeout_ms, max_bytes=ready.max_bytes):
                rendered = render(
                    ready.compiled, data, extra_headers=ready.shared, max_bytes=ready.max_bytes
                )
            return ("ok", rendered)
        except RenderError as exc:
            return ("error", _short(exc.reason))
        except MemoryError:
            out_of_memory = True  # replied below, once the render's objects are freed
        except Exception as exc:  # never a traceback: the reason goes to the 500 and the log
            return ("error", _short(f"{where}: {type(exc).__name__}: {exc}"))
        finally:
            _disarm()
        assert out_of_memory
        used = f"the template used more than {memory_mb} MiB of memory"
        return ("memory", f"{where}: over a limit: {used}")

    def _ready(self, key: str, program: Program | None) -> _Ready:
        """The compiled program: kept from an earlier request, else compiled now."""
        if key not in self.programs:
            assert program is not None
            self.programs[key] = _compile(program)
            while len(self.programs) > _KEPT:
                self.programs.popitem(last=False)
        self.programs.move_to_end(key)
        return self.programs[key]


def _short(reason: str) -> str:
    """A reason fit for a log line (an exception's text may quote a huge value)."""
    return reason if len(reason) <= _LONGEST_REASON else reason[: _LONGEST_REASON - 3] + "..."


def _compile(program: Program) -> _Ready:
    env = environment(program.max_bytes)
    compiled = compile_source(program.response, env=env, problems=[], names=set())
    shared = tuple(
        (name, compile_value(value, env=env, where=where, problems=[], names=set()))
        for name, value, where in program.shared
    )
    return _Ready(compiled, shared, program.max_bytes)


def _arm(timeout_ms: int, memory_mb: int) -> None:
    if resource is None:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_mb * MiB
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):  # macOS refuses it: no memory cap there
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.setitimer(signal.ITIMER_REAL, timeout_ms / 1000 + _TIMER_MARGIN_SECONDS)


def _disarm() -> None:
    if resource is not None:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main() -> None:
    """Serve requests on stdin, reply on stdout, until stdin closes (devserve ended)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is devserve's to handle: it kills us
    if resource is not None:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the timer ends the process, GIL or not
    requests = Connection(os.dup(0), writable=False)
    replies = Connection(os.dup(1), readable=False)
    # Nothing else may write on the channel, and nothing is ever printed.
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    renderer = Renderer()
    replies.send_bytes(pickle.dumps(("ready",)))
    while True:
        try:
            request = pickle.loads(requests.recv_bytes())
        except EOFError:
            return
        reply = renderer.answer(request)
        replies.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        if reply[0] == "memory":
            return  # a fresh process, rather than one whose heap may stay fragmented
