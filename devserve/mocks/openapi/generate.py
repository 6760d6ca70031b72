"""A value for a schema, made up deterministically: the same seed always gives the same value.

Honours ``type`` (a list too), ``enum``/``const``, ``format``, simple ``pattern``, lengths,
``minimum``/``maximum`` (exclusive too) and ``multipleOf``, item and property counts,
``allOf`` (merged), ``oneOf``/``anyOf`` (the first), ``nullable`` (never null: a value shows
more) and ``readOnly``/``writeOnly`` (left out of requests and answers respectively).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from devserve.mocks.openapi.refs import Documents
from devserve.mocks.openapi.strings import formatted, from_pattern

# Recursive schemas (a tree of categories) stop growing here: optional parts are left out.
_MAX_DEPTH = 6
_MAX_SEEN_REF = 2  # the same $ref at most this often on one branch
# A schema that requires itself (a node with a required parent node) has no finite value.
_GIVE_UP_DEPTH = 24


@dataclass(frozen=True)
class Direction:
    """Which side a value is for: an answer leaves writeOnly properties out, a request readOnly."""

    response: bool = True


def rng_for(seed: str) -> random.Random:
    """A random generator that depends on ``seed`` only (not on PYTHONHASHSEED)."""
    return random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))


def generate(
    schema: Any, documents: Documents, base: str, seed: str, direction: Direction = Direction()
) -> Any:
    """A value valid against ``schema`` (as far as these rules go), the same for the same seed."""
    return _Generator(documents, rng_for(seed), direction).value(schema, base, 0, ())


class _Generator:
    def __init__(self, documents: Documents, rng: random.Random, direction: Direction) -> None:
        self.documents = documents
        self.rng = rng
        self.direction = direction

    def value(self, schema: Any, base: str, depth: int, refs: tuple[str, ...]) -> Any:
        if depth > _GIVE_UP_DEPTH:
            return None
        schema, base, refs = self._follow(schema, base, refs)
        if schema is True or not isinstance(schema, dict):
            return "string"
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            choices = [v for v in enum if v is not None] or enum
            return choices[0]
        if "allOf" in schema and isinstance(schema["allOf"], list):
            return self._all_of(schema, base, depth, refs)
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                chosen = next((o for o in options if not _is_null(o)), options[0])
                merged = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
                if not set(merged) & {"properties", "required", "type", "items", "allOf"}:
                    return self.value(chosen, base, depth, refs)
                return self.value({"allOf": [merged, chosen]}, base, depth, refs)
        kind = _type_of(schema)
        if kind == "object":
            return self._object(schema, base, depth, refs)
        if kind == "array":
            return self._array(schema, base, depth, refs)
        if kind == "integer":
            return int(self._number(schema, integer=True))
        if kind == "number":
            return self._number(schema, integer=False)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema)

    def _follow(
        self, schema: Any, base: str, refs: tuple[str, ...]
    ) -> tuple[Any, str, tuple[str, ...]]:
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            target, where = self.documents.target(ref, base)
            refs = (*refs, f"{where}#{ref}")
            if siblings and not set(siblings) <= {"description", "summary"}:
                # OpenAPI 3.1: keywords beside a $ref apply too.
                return {"allOf": [target, siblings]}, where, refs
            schema, base = target, where
        return schema, base, refs

    def _all_of(self, schema: dict[str, Any], base: str, depth: int, refs: tuple[str, ...]) -> Any:
        merged: dict[str, Any] = {}
        self._merge(schema, base, merged, refs, 0)
        return self.value(merged, base, depth, refs)

    def _merge(
        self, schema: Any, base: str, into: dict[str, Any], refs: tuple[str, ...], hops: int
    ) -> None:
        """Fold ``schema`` (and its allOf) into one schema: properties and required united,
        other keywords from the first part that has them. Properties keep their own $ref
        resolved to inline copies, so the merged schema needs no base."""
        schema, base, refs = self._follow(schema, base, refs)
        if not isinstance(schema, dict) or hops > 16:
            return
        for key, value in schema.items():
            if key == "allOf" and isinstance(value, list):
                for part in value:
                    self._merge(part, base, into, refs, hops + 1)
            elif key == "properties" and isinstance(value, dict):
                properties = into.setdefault("properties", {})
                for name, sub in value.items():
                    sub = _anchored(sub, base)
                    # A property in several parts must satisfy each of them.
                    properties[name] = (
                        {"allOf": [properties[name], sub]} if name in properties else sub
                    )
            elif key == "required" and isinstance(value, list):
                into["required"] = sorted({*into.get("required", []), *value})
            elif key in ("items", "additionalProperties") and isinstance(value, dict):
                value = _anchored(value, base)
                into[key] = {"allOf": [into[key], value]} if key in into else value
            elif key in ("oneOf", "anyOf") and isinstance(value, list) and value:
                self._merge(value[0], base, into, refs, hops + 1)
            else:
                into.setdefault(key, value)

    def _object(self, schema: dict[str, Any], base: str, depth: int, refs: tuple[str, ...]) -> Any:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = schema.get("required")
        required = set(required) if isinstance(required, list) else set()
        deep = depth >= _MAX_DEPTH or any(refs.count(r) > _MAX_SEEN_REF for r in refs)
        result: dict[str, Any] = {}
        for name, sub in properties.items():
            if name not in required and deep:
                continue
            resolved = self.documents.value(sub, base) if isinstance(sub, dict) else sub
            if isinstance(resolved, dict) and name not in required:
                hidden = "writeOnly" if self.direction.response else "readOnly"
                if resolved.get(hidden) is True:
                    continue
            result[name] = self.value(sub, base, depth + 1, refs)
        extra = schema.get("additionalProperties")
        wanted = schema.get("minProperties", 0)
        if not properties and isinstance(extra, dict) and not deep:
            wanted = max(wanted if isinstance(wanted, int) else 0, 1)
        index = 0
        while isinstance(wanted, int) and len(result) < wanted and index < 100:
            index += 1
            key = f"key{index}"
            if key not in result:
                sub = extra if isinstance(extra, dict) else {"type": "string"}
                result[key] = self.value(sub, base, depth + 1, refs)
        return result

    def _array(self, schema: dict[str, Any], base: str, depth: int, refs: tuple[str, ...]) -> Any:
        low = schema.get("minItems", 0)
        high = schema.get("maxItems")
        low = low if isinstance(low, int) else 0
        count = max(low, 0 if depth >= _MAX_DEPTH else 1)
        if isinstance(high, int):
            count = min(count, high)
        items = schema.get("items", {})
        prefix = schema.get("prefixItems")
        values: list[Any] = []
        if isinstance(prefix, list):
            values = [self.value(item, base, depth + 1, refs) for item in prefix]
        if isinstance(items, list):  # an OpenAPI 3.0 tuple is not allowed, but be lenient
            items = items[0] if items else {}
        while len(values) < count:
            value = self.value(items, base, depth + 1, refs)
            if schema.get("uniqueItems") and value in values:
                value = self._vary(value, len(values))
                if value in values:
                    break
            values.append(value)
        return values

    def _vary(self, value: Any, index: int) -> Any:
        if isinstance(value, str):
            return f"{value}{index}"
        if isinstance(value, bool):
            return not value
        if isinstance(value, int | float):
            return value + index
        return value

    def _number(self, schema: dict[str, Any], *, integer: bool) -> float:
        low, high = _bounds(schema, integer)
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
            first = math.ceil(low / step)
            last = math.floor(high / step)
            if first <= last:
                n = first + self.rng.randrange(0, min(last - first, 1000) + 1)
                value = n * step
                return int(value) if integer or isinstance(step, int) else value
        if integer:
            return self.rng.randrange(math.ceil(low), math.floor(high) + 1)
        return round(low + (high - low) * self.rng.random(), 2) if high > low else low

    def _string(self, schema: dict[str, Any]) -> str:
        value = None
        fmt = schema.get("format")
        if isinstance(fmt, str):
            value = formatted(fmt, self.rng)
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            value = from_pattern(pattern, self.rng) or value
        if value is None:
            value = self.rng.choice(("alpha", "bravo", "charlie", "delta", "echo"))
        low, high = schema.get("minLength"), schema.get("maxLength")
        if isinstance(low, int) and len(value) < low:
            value = (value * (low // max(len(value), 1) + 1))[: max(low, len(value))]
        if isinstance(high, int) and len(value) > high:
            value = value[:high]
        return value


def _anchored(schema: Any, base: str) -> Any:
    """A sub-schema moved into a merged schema: its own ``$ref`` made absolute to ``base``."""
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        return {**schema, "$ref": urljoin(base, schema["$ref"])}
    return schema


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def _type_of(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
        return "number"
    return None


def _numeric(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _bounds(schema: dict[str, Any], integer: bool) -> tuple[float, float]:
    low, high = _numeric(schema.get("minimum")), _numeric(schema.get("maximum"))
    low_value = low if low is not None else (0.0 if high is None else min(0.0, high - 100))
    high_value = high if high is not None else low_value + 1000
    has_high = high is not None
    nudge = 1 if integer else 0.01
    exclusive_low, exclusive_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if exclusive_low is True:  # OpenAPI 3.0: a flag beside minimum
        low_value += nudge
    elif isinstance(exclusive_low, int | float) and not isinstance(exclusive_low, bool):
        low_value = max(low_value, float(exclusive_low) + nudge)
        high_value = max(high_value, low_value + (0 if has_high else 1000))
    if exclusive_high is True:
        high_value -= nudge
    elif isinstance(exclusive_high, int | float) and not isinstance(exclusive_high, bool):
        high_value = min(high_value, float(exclusive_high) - nudge)
    if integer:
        low_value, high_value = math.ceil(low_value), math.floor(high_value)
    return low_value, max(low_value, high_value)
