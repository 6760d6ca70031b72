"""A Jinja2 sandbox whose templates stop themselves: loops, calls and operators run on a budget.

Every loop iteration, call, filter and intercepted operator checks the render's deadline, and
the operations that can build a huge value in one step (``'a' * n``, ``a ** b``,
``x|indent(n)``, ``s.replace('', t)``, ``'%999999999s' % x``) are refused *before* they
allocate it. These give ordinary mistakes a precise message; the hard guarantee is the renderer
process around the render (``devserve.mocks.pool``): a memory cap, and a kill at the time limit.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import re
import string
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import ChainableUndefined, Context, Undefined
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import _PassArg
from jinja2.visitor import NodeTransformer

from devserve.mocks.helpers import GLOBALS

# Larger integers as arguments (widths, counts, slices) only ever serve to build huge values.
MAX_INT_ARGUMENT = 100_000
# Beyond this an int is a number no mock needs, and one it could not print: CPython refuses to
# turn an int of more than 4,300 digits (about 14,284 bits) into text.
MAX_INT_BITS = 14_000
# Loop iterations, calls and filters per render: bounds what constant text in a loop can pile up.
MAX_OPERATIONS = 2_000_000
_LOOP = "__devserve_loop"
_CONCAT = "__devserve_concat"
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?")


class BudgetError(Exception):
    """A template went over a limit; the message names the limit."""


@dataclass
class Budget:
    """The limits of one render, checked from inside the template as it runs."""

    deadline: float
    timeout_ms: int
    max_bytes: int
    operations: int = 0
    written: int = 0

    def tick(self) -> None:
        self.operations += 1
        if self.operations > MAX_OPERATIONS:
            raise BudgetError(f"the template ran more than {MAX_OPERATIONS:,} operations")
        if time.monotonic() > self.deadline:
            raise BudgetError(f"the template ran longer than {self.timeout_ms} ms")

    def charge(self, size: int) -> None:
        self.written += size
        if self.written > self.max_bytes:
            raise BudgetError(f"the template's output is over {self.max_bytes:,} bytes")


_local = threading.local()


@contextlib.contextmanager
def budget(*, timeout_ms: int, max_bytes: int) -> Iterator[Budget]:
    """Run a render under these limits (in the calling thread)."""
    deadline = time.monotonic() + timeout_ms / 1000
    _local.budget = Budget(deadline=deadline, timeout_ms=timeout_ms, max_bytes=max_bytes)
    try:
        yield _local.budget
    finally:
        _local.budget = None


def _tick() -> None:
    active: Budget | None = getattr(_local, "budget", None)
    if active is not None:
        active.tick()


def check_size(value: Any, limit: int) -> Any:
    """Refuse a value larger than ``limit`` (characters, bytes or items)."""
    if isinstance(value, str | bytes | list | tuple | dict) and len(value) > limit:
        raise BudgetError(f"a value in the template is over the size limit of {limit:,}")
    return value


class _Guard(NodeTransformer):
    """Route every loop and every ``~`` through the guard filters (no hook exists for them)."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)  # type: ignore[assignment]
        node.iter = nodes.Filter(node.iter, _LOOP, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)  # type: ignore[assignment]
        items = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(items, _CONCAT, [], [], None, None, lineno=node.lineno)


def _defaulting_undefined(convert: Callable[..., Any], zero: Any) -> Callable[..., Any]:
    def filtered(value: Any, default: Any = zero, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, Undefined):
            return default
        return convert(value, default, *args, **kwargs)

    return filtered


class GuardedEnvironment(SandboxedEnvironment):
    """Jinja2's sandbox plus size and time guards; unsafe attribute access is an error."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *, max_bytes: int) -> None:
        # optimized=False: constant folding would evaluate expressions at compile time, unguarded.
        super().__init__(
            autoescape=False,
            keep_trailing_newline=True,
            undefined=ChainableUndefined,
            optimized=False,
            finalize=self._finalize,
        )
        self.max_bytes = max_bytes
        # Jinja's int and float give their default for what is not a number; an absent value
        # (`query.page` with no ?page=) is not one either, not an error: 0, as the README shows.
        for name, zero in (("int", 0), ("float", 0.0)):
            self.filters[name] = _defaulting_undefined(self.filters[name], zero)
        self.filters = {name: self._guarded(name, f) for name, f in self.filters.items()}
        self.filters[_LOOP] = self._loop
        self.filters[_CONCAT] = self._concat
        self.globals.pop("lipsum", None)  # builds text of any size from one small call
        self.globals.update(GLOBALS)

    def _generate(self, source: nodes.Template, *args: Any, **kwargs: Any) -> str:
        return super()._generate(_Guard().visit(source), *args, **kwargs)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise SecurityError(
            f"access to attribute {attribute!r} of a {type(obj).__name__} is unsafe"
        )

    def _finalize(self, value: Any) -> Any:
        """What ``{{ value }}`` prints: JSON for data (never a Python repr), counted."""
        if isinstance(value, bool) or value is None:
            value = json.dumps(value)
        elif isinstance(value, dict | list | tuple):
            value = json.dumps(value, ensure_ascii=False, default=str)
        active: Budget | None = getattr(_local, "budget", None)
        if active is not None and isinstance(value, str):
            active.charge(len(value))
        return value

    def _loop(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            _tick()
            yield item

    def _concat(self, items: list[Any]) -> str:
        _tick()
        parts = [str(item) for item in items]
        check_size(parts, self.max_bytes)
        if sum(len(part) for part in parts) > self.max_bytes:
            raise BudgetError(f"a joined string is over the size limit of {self.max_bytes:,}")
        return "".join(parts)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        _check_binop(operator, left, right, self.max_bytes)
        return check_size(super().call_binop(context, operator, left, right), self.max_bytes)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        owner = getattr(__obj, "__self__", None)
        if inspect.isbuiltin(__obj) and isinstance(owner, str | bytes | list | dict | tuple):
            _check_arguments(__obj.__name__, owner, args, kwargs, __self.max_bytes)
        result = SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
        return check_size(result, __self.max_bytes)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        for _, _, spec, _ in string.Formatter().parse(value.__self__):
            _check_ints([int(d) for d in re.findall(r"\d+", spec or "")], "a format width")
        return wrapped

    def _guarded(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        skip = 2 if _PassArg.from_obj(func) is not None else 1

        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            _tick()
            subject = args[skip - 1] if len(args) >= skip else None
            _check_arguments(name, subject, args[skip:], kwargs, self.max_bytes)
            return check_size(func(*args, **kwargs), self.max_bytes)

        return guarded


def _check_ints(values: Iterable[Any], what: str) -> None:
    for value in values:
        if isinstance(value, int) and abs(value) > MAX_INT_ARGUMENT:
            raise BudgetError(f"{what} of {value} is over the limit of {MAX_INT_ARGUMENT:,}")


def _check_arguments(
    name: str, subject: Any, args: tuple[Any, ...], kwargs: dict[str, Any], limit: int
) -> None:
    """Refuse arguments that would make ``subject.name(...)`` (or ``subject|name``) huge."""
    _check_ints([*args, *kwargs.values()], f"argument to {name!r}")
    estimate = 0
    if isinstance(subject, str):
        text_args = [a for a in args if isinstance(a, str)]
        if name == "replace" and len(text_args) >= 2:
            old, new = text_args[0], text_args[1]
            count = subject.count(old) if old else len(subject) + 1
            estimate = len(subject) + count * len(new)
        elif name == "indent":
            width = args[0] if args else kwargs.get("width", 4)
            estimate = len(subject) + subject.count("\n") * (
                len(width) if isinstance(width, str) else int(width)
            )
        elif name == "expandtabs":
            estimate = len(subject) + subject.count("\t") * int(args[0] if args else 8)
        elif name == "join" and args and hasattr(args[0], "__len__"):
            estimate = len(subject) * len(args[0])
        elif name == "format":
            _check_percent(subject, args or tuple(kwargs.values()))
    if estimate > limit:
        raise BudgetError(f"{name!r} would build a value over the size limit of {limit:,}")


def _check_percent(template: str, values: Any) -> None:
    for width, precision in _PERCENT_SPEC.findall(template):
        _check_ints([int(w) for w in (width, precision) if w and w != "*"], "a format width")
    _check_ints(values if isinstance(values, tuple) else (values,), "a format argument")


def _check_binop(operator: str, left: Any, right: Any, limit: int) -> None:
    sized = (str, bytes, list, tuple)
    if operator == "**" and isinstance(left, int) and isinstance(right, int):
        if abs(left) > 1 and right * left.bit_length() > MAX_INT_BITS:
            raise BudgetError(f"{left} ** {right} is too large a number")
    elif operator == "*":
        if isinstance(left, int) and isinstance(right, sized):
            left, right = right, left
        if isinstance(left, sized) and isinstance(right, int) and len(left) * right > limit:
            raise BudgetError(f"repeating a value {right} times is over the size limit")
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and left.bit_length() + right.bit_length() > MAX_INT_BITS
        ):
            raise BudgetError("the product is too large a number")
    elif operator == "+" and isinstance(left, sized) and isinstance(right, sized):
        if len(left) + len(right) > limit:
            raise BudgetError(f"a joined value is over the size limit of {limit:,}")
    elif operator == "%" and isinstance(left, str):
        _check_percent(left, right)
