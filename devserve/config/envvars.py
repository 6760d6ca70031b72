"""``{{ env.NAME }}`` in config values (``proxy_headers``): which variables, and their values.

Only this one form is accepted, not full templates: a header value is read once at load time,
and a secret kept in the environment must never be echoed anywhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

_ENV = re.compile(r"\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def env_problem(value: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Why ``value`` cannot be filled from the environment, or None."""
    environ = os.environ if environ is None else environ
    if "{{" in _ENV.sub("", value) or "}}" in _ENV.sub("", value):
        return "only {{ env.NAME }} may appear between {{ and }} here"
    missing = [name for name in _ENV.findall(value) if name not in environ]
    if missing:
        names = ", ".join(dict.fromkeys(missing))
        return (
            f"environment variable {names} is not set; export it before starting devserve "
            "(the value is never logged or recorded)"
        )
    return None


def fill_env(value: str, environ: Mapping[str, str] | None = None) -> str:
    """``value`` with every ``{{ env.NAME }}`` replaced; check ``env_problem`` first."""
    environ = os.environ if environ is None else environ
    return _ENV.sub(lambda match: environ[match.group(1)], value)
