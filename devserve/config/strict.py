"""The strict base model and the checked types several config tables share."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Strict

from devserve.cors.standard import is_token

# Any HTTP token is a method (PROPFIND, PURGE), unless it looks like a typo of one of these.
STANDARD_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")


def _check_method(method: str) -> str:
    if method == "*" or method in STANDARD_METHODS:
        return method
    if not is_token(method):
        raise ValueError(
            f"{method!r} is not an HTTP method name (letters, digits and !#$%&'*+.^_`|~- only)"
        )
    if method.upper() in STANDARD_METHODS:
        return method  # case-sensitive by design (CORS rule 8): "put" is not "PUT"
    close = difflib.get_close_matches(method.upper(), STANDARD_METHODS, n=1, cutoff=0.75)
    if close:
        raise ValueError(f"{method!r} is not a standard method; did you mean {close[0]!r}?")
    return method


def _check_path(path: Path) -> Path:
    if "\x00" in str(path):
        raise ValueError("a path cannot contain a NUL character; fix the path")
    return path


MethodName = Annotated[str, AfterValidator(_check_method)]
# Paths are written as TOML strings; every other value must have exactly its type.
ConfigPath = Annotated[Path, Strict(False), AfterValidator(_check_path)]


class StrictModel(BaseModel):
    """A config table: unknown keys are errors, values are frozen and must have their type."""

    # strict: `port = true` or `port = "8000"` is an error, not port 1 or port 8000.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
