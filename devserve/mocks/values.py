"""A config value with templates (an event's ``data``, a socket's reply), rendered where every
template that depends on the request renders: in a renderer process (``mocks/pool.py``), under
the ``[devserve]`` limits. A value with no template is worked out once, at load."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from devserve.mocks.limits import Limits, off_loop
from devserve.mocks.pool import AVAILABLE, POOL
from devserve.mocks.rendering import Program, Source
from devserve.mocks.templates import Constant, Node, RenderError, compile_value, environment


@dataclass(frozen=True)
class Value:
    """A value ready to render with request data (``needs`` says which names it uses)."""

    where: str
    node: Node
    program: Program | None  # None: no template, ``node`` renders to the same value every time
    needs: frozenset[str]
    limits: Limits

    @classmethod
    def compile(
        cls, value: Any, *, where: str, limits: Limits, problems: list[str], literal: bool = False
    ) -> Value:
        """Compile ``value``; a template syntax error goes to ``problems`` under ``where``."""
        names: set[str] = set()
        env = environment(limits.max_bytes)
        node = compile_value(
            value, env=env, where=where, problems=problems, names=names, literal=literal
        )
        if not node.templated:
            # Worked out once: a JSON round trip, so the value sent is plain data.
            return cls(where, Constant(value), None, frozenset(), limits)
        source = Source(where, 200, (), "json", value, None)
        return cls(where, node, Program(source, (), limits.max_bytes), frozenset(names), limits)

    @property
    def templated(self) -> bool:
        return self.program is not None

    async def render(self, data: dict[str, Any]) -> Any:
        """The value for this request; RenderError says where and why it could not be made."""
        if self.program is None:
            return self.node.render({})
        needed = {name: value for name, value in data.items() if name in self.needs}
        limits = self.limits
        if not AVAILABLE:  # no renderer processes here (Windows): the sandbox's budgets only
            node = self.node
            return await off_loop(lambda: node.render(needed), limits)
        try:
            rendered = await POOL.render(
                self.program, needed, timeout_ms=limits.timeout_ms, memory_mb=limits.memory_mb
            )
        except RenderError as exc:
            # The renderer names the value as a response's json; say where it really is.
            raise RenderError(exc.reason.replace(f"{self.where}.json", self.where, 1)) from None
        return json.loads(rendered.content)
