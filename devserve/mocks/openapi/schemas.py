"""The spec's schemas as validators (jsonschema, with openapi-schema-validator's OpenAPI
dialects), compiled once each, and their errors as failures a person can act on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from devserve.mocks.openapi.refs import Located, pointer
from devserve.mocks.openapi.spec import Spec

_SHOWN = 80  # characters of a value quoted in a failure


@dataclass(frozen=True)
class Failure:
    """One field that breaks the spec: where (a JSON pointer), what the spec wants, what came."""

    pointer: str
    wanted: str
    got: str

    def as_json(self) -> dict[str, str]:
        return {"pointer": self.pointer, "wanted": self.wanted, "got": self.got}

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: wanted {self.wanted}, got {self.got}"


def shown(value: Any) -> str:
    """A value as JSON, cut to a readable length."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


class Validators:
    """One compiled validator per schema location and direction, built on first use."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._registry: Any = None
        self._compiled: dict[tuple[str, bool], Any] = {}

    def _validator(self, schema: Located, request: bool) -> Any:
        key = (schema.ref, request)
        compiled = self._compiled.get(key)
        if compiled is None:
            # Imported on first use: openapi-schema-validator takes a moment to import.
            import openapi_schema_validator as oas

            if self.spec.version == "3.0":
                kind = oas.OAS30WriteValidator if request else oas.OAS30ReadValidator
                checker = oas.oas30_format_checker
            else:
                kind, checker = oas.OAS31Validator, oas.oas31_format_checker
            compiled = kind(
                {"$ref": schema.ref}, registry=self._registry_of(), format_checker=checker
            )
            self._compiled[key] = compiled
        return compiled

    def _registry_of(self) -> Any:
        if self._registry is None:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT4, DRAFT202012

            default = DRAFT4 if self.spec.version == "3.0" else DRAFT202012
            self._registry = Registry().with_resources(
                (uri, Resource.from_contents(document, default_specification=default))
                for uri, document in self.spec.documents.documents.items()
            )
        return self._registry

    def failures(self, schema: Located, instance: Any, *, request: bool, at: str) -> list[Failure]:
        """What in ``instance`` breaks ``schema``; pointers start with ``at`` (``/body``)."""
        from referencing.exceptions import Unresolvable

        validator = self._validator(schema, request)
        found: list[Failure] = []
        try:
            for error in validator.iter_errors(instance):
                found.extend(describe(error, at))
        except (Unresolvable, RecursionError) as exc:
            found.append(
                Failure(at, "a schema devserve can follow", f"an error in the spec ({exc})")
            )
        return sorted(set(found), key=lambda failure: failure.pointer)


def describe(error: Any, at: str) -> list[Failure]:
    """One failure per field a jsonschema error is about, in the words of the schema."""
    where = at + pointer(*error.absolute_path)
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword == "required" and isinstance(instance, dict):
        missing = [name for name in expected if name not in instance] or list(expected)
        return [Failure(f"{where}/{name}", "a value (required)", "nothing") for name in missing]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        allowed = set((error.schema.get("properties") or {}).keys())
        extra = [name for name in instance if name not in allowed] or ["?"]
        known = ", ".join(sorted(allowed)) or "none"
        return [
            Failure(
                f"{where}/{name}", f"no such property (known: {known})", shown(instance.get(name))
            )
            for name in extra
        ]
    if keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return [Failure(where, wanted, f"{_kind(instance)} {shown(instance)}")]
    if keyword == "enum":
        return [Failure(where, "one of " + ", ".join(shown(v) for v in expected), shown(instance))]
    if keyword in ("oneOf", "anyOf"):
        return [
            Failure(
                where,
                f"a value matching {keyword} ({error.message.split(' is ')[-1]})",
                shown(instance),
            )
        ]
    if keyword == "format":
        return [Failure(where, f"format {expected}", shown(instance))]
    if keyword == "nullable":
        return [Failure(where, "a value (not nullable)", "null")]
    return [Failure(where, f"{keyword} {shown(expected)}", shown(instance))]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def validators_of(spec: Spec) -> Validators:
    """The spec's validators, one set per loaded spec."""
    found = spec.cache.get("validators")
    if found is None:
        found = spec.cache["validators"] = Validators(spec)
    assert isinstance(found, Validators)
    return found
