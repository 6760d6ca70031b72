"""Read an OpenAPI 3.0/3.1 document once: parse YAML or JSON, check it against the OpenAPI
schema, load the local files its ``$ref`` name and check that every ``$ref`` resolves."""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import jsonschema_rs
import yaml

from devserve.mocks.openapi.parsecache import yaml_value
from devserve.mocks.openapi.refs import Documents, RefError, lookup, pointer, refs_in
from devserve.mocks.openapi.yamlload import Refused

# Enough errors to fix a broken document in one go, not a wall of text.
_MAX_PROBLEMS = 20
# (path, mtime_ns, size) of each file: a spec is read again only when one of them changed.
Signature = tuple[tuple[str, int, int], ...]


class SpecError(Exception):
    """The spec cannot be served; ``problems`` are ``file, at /pointer: what is wrong`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, eq=False)
class Spec:
    """A loaded, checked OpenAPI document and the local files it refers to."""

    location: str  # the file's path, or the URL it was fetched from
    version: str  # "3.0" or "3.1"
    documents: Documents
    signature: Signature  # () for a spec fetched from a URL
    # Built on first use by the modules that need them (operations, validators).
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def document(self) -> dict[str, Any]:
        root: dict[str, Any] = self.documents.documents[self.documents.main]
        return root

    @property
    def name(self) -> str:
        """The file's name, or the last segment of the URL's path."""
        return self.location.split("?", 1)[0].rstrip("/").rpartition("/")[2] or self.location


def signature_of(files: list[str]) -> Signature | None:
    """The files' current signature, None if one of them is gone."""
    try:
        stats = [(name, os.stat(name)) for name in files]
    except OSError:
        return None
    return tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)


_loaded: dict[Path, Spec] = {}


def load_spec(path: Path) -> Spec:
    """The spec at ``path``, read again only when one of its files changed; SpecError if bad."""
    path = path.resolve()
    known = _loaded.get(path)
    if known is not None and signature_of([f for f, _, _ in known.signature]) == known.signature:
        return known
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError([f"{path}: cannot read it ({exc.strerror})"]) from None
    shown = str(path)
    spec = _checked(path.as_uri(), shown, _parse(raw, shown, path.suffix.lower() == ".json"))
    files = [urlsplit(uri).path for uri in spec.documents.documents]
    signature = signature_of(files)
    if signature is None:
        raise SpecError([f"{path}: a file of the spec disappeared while it was read"])
    spec = Spec(str(path), spec.version, spec.documents, signature)
    _loaded[path] = spec
    return spec


def spec_from_bytes(raw: bytes, url: str) -> Spec:
    """The spec fetched from ``url``; only ``$ref`` inside it (``#/...``) are followed."""
    return _checked(url, url, _parse(raw, url, raw.lstrip()[:1] in (b"{", b"[")))


def _checked(main: str, shown: str, parsed: tuple[Any, bool]) -> Spec:
    """The parsed document checked against the OpenAPI schema, its ``$ref`` resolved."""
    root, refs = parsed
    if not isinstance(root, dict):
        raise SpecError([f"{shown}: an OpenAPI document is a mapping (openapi, info, paths)"])
    version = _version(root, shown)
    problems = [
        f"{shown}, at {where}: {problem}" for where, problem in _schema_problems(root, version)
    ]
    if problems:
        raise SpecError(problems[:_MAX_PROBLEMS])
    documents = {main: root}
    problems = _load_references(documents, [main] if refs else [])
    if problems:
        raise SpecError(problems[:_MAX_PROBLEMS])
    return Spec(shown, version, Documents(main, documents), ())


def _parse(raw: bytes, shown: str, as_json: bool) -> tuple[Any, bool]:
    """The document's value, and whether it may hold a ``$ref`` (a document that never says
    "$ref" is not walked: a large spec with its schemas inline starts faster)."""
    refs = b"$ref" in raw or b"\\u0024ref" in raw
    try:
        return (json.loads(raw) if as_json else yaml_value(raw)), refs
    except RecursionError:
        raise SpecError([f"{shown}: nested too deeply to be read"]) from None
    except ValueError as exc:
        raise SpecError([f"{shown}: not valid {'JSON' if as_json else 'YAML'} ({exc})"]) from None
    except Refused as exc:  # nested too deeply, or aliases that repeat too much
        mark = exc.problem_mark
        where = f" (at line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise SpecError([f"{shown}: {exc.problem}{where}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError([f"{shown}: not valid YAML{where} ({problem})"]) from None


def _version(root: dict[str, Any], path: str) -> str:
    given = root.get("openapi")
    if isinstance(given, str) and given.startswith(("3.0.", "3.1.")):
        return given[:3]
    if "swagger" in root:
        raise SpecError(
            [
                f"{path}, at /swagger: Swagger 2.0 is not read; convert it to OpenAPI 3 "
                "(e.g. with swagger2openapi)"
            ]
        )
    raise SpecError([f'{path}, at /openapi: expected "3.0.x" or "3.1.x" (got {json.dumps(given)})'])


_validators: dict[str, Any] = {}


def _schema_problems(root: dict[str, Any], version: str) -> list[tuple[str, str]]:
    """The document against the official OpenAPI schema (openapi-spec-validator ships it)."""
    validator = _validators.get(version)
    if validator is None:
        validator = _validators[version] = jsonschema_rs.validator_for(
            _official_schema(version), validate_formats=False
        )
    try:
        errors = list(validator.iter_errors(root))
    except ValueError as exc:  # a value JSON Schema cannot hold (a YAML date, a set)
        return [("/", f"holds a value JSON cannot ({exc})")]
    problems = []
    for error in errors:
        where = pointer(*error.instance_path) or "/"
        problems.append((where, _short(error.message, error.instance)))
    return sorted(set(problems))


def _official_schema(version: str) -> Any:
    """The OpenAPI schema of ``version`` from openapi-spec-validator's files, read without
    importing the package (a second of start-up)."""
    found = importlib.util.find_spec("openapi_spec_validator")
    assert found is not None and found.submodule_search_locations is not None
    folder = Path(next(iter(found.submodule_search_locations)))
    return json.loads(
        (folder / "resources" / "schemas" / f"v{version}" / "schema.json").read_bytes()
    )


def _short(message: str, instance: Any) -> str:
    """A message without the value it is about spelled out in full (the pointer names it)."""
    try:
        shown = json.dumps(instance, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return message
    if len(shown) > 60 and message.startswith(shown):
        return (
            "this " + ("object" if isinstance(instance, dict) else "value") + message[len(shown) :]
        )
    return message


def _load_references(documents: dict[str, Any], pending: list[str]) -> list[str]:
    """Read the local files the ``$ref`` of the ``pending`` documents name, then theirs;
    every ``$ref`` must resolve."""
    problems: list[str] = []
    while pending:
        uri = pending.pop()
        shown = urlsplit(uri).path if uri.startswith("file:") else uri
        # The same $ref comes back hundreds of times in a large spec: checked once.
        checked: dict[str, str | None] = {}
        for ref, where in refs_in(documents[uri]):
            if ref not in checked:
                checked[ref] = _reference_problem(documents, uri, ref, pending)
            problem = checked[ref]
            if problem is not None:
                problems.append(f"{shown}, at {where}/$ref: {problem}")
    return problems


def _reference_problem(
    documents: dict[str, Any], uri: str, ref: str, pending: list[str]
) -> str | None:
    """What is wrong with ``ref`` (seen in ``uri``), None when it resolves; files it names
    are read into ``documents`` (and queued in ``pending`` to be checked in turn)."""
    target, fragment = urldefrag(urljoin(uri, ref))
    if target not in documents and not uri.startswith("file:"):
        return (
            f"'{ref}' is outside the spec fetched from its URL: only references inside it "
            "(#/...) are followed; download the spec's files into the project and give its path"
        )
    if target not in documents and urlsplit(target).scheme != "file":
        return f"'{ref}' is not a local file; download it and refer to it by a relative path"
    if target not in documents:
        try:
            raw = Path(urlsplit(target).path).read_bytes()
        except OSError as exc:
            documents[target] = None
            return f"{target}: cannot read it ({exc.strerror})"
        try:
            documents[target], refs = _parse(raw, target, target.lower().endswith(".json"))
        except SpecError as exc:
            documents[target] = None
            return exc.problems[0]
        if refs:
            pending.append(target)
    if documents[target] is None:
        return f"'{ref}' names a file that cannot be read"
    try:
        lookup(documents[target], fragment)
    except RefError as exc:
        return f"'{ref}' points at nothing ({exc})"
    return None


def full_problems(spec: Spec) -> list[str]:
    """What openapi-spec-validator's deeper rules find (defaults and examples against their
    schemas, operation ids, path parameters): thorough but slow, so for check-config only."""
    from openapi_spec_validator.validation.validators import (
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
    )

    kind = OpenAPIV30SpecValidator if spec.version == "3.0" else OpenAPIV31SpecValidator
    validator = kind(spec.document, base_uri=spec.documents.main)
    problems = []
    try:
        for error in validator.iter_errors():
            where = pointer(*getattr(error, "path", ())) or "/"
            message = str(getattr(error, "message", error)).splitlines()[0]
            problems.append(f"{spec.location}, at {where}: {message}")
            if len(problems) >= _MAX_PROBLEMS:
                break
    except (RefError, LookupError, ValueError, RecursionError) as exc:
        problems.append(f"{spec.location}: {exc}")
    return problems
