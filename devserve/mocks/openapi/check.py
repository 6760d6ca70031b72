"""What every config load checks of an origin's OpenAPI keys: the spec is readable and valid,
the keys that need a spec have one, ``openapi_resources`` name collections that exist."""

from __future__ import annotations

from devserve.config.model import Origin
from devserve.config.proxy import SpecUrl, spec_url_problem
from devserve.mocks.openapi.fetched import fetched

# The keys that mean something only with `openapi`, by the name the config file uses.
_NEEDS_OPENAPI = {
    "validate_mode": "validate",
    "validate_status": "validate_status",
    "validate_responses": "validate_responses",
    "openapi_resources": "openapi_resources",
}


def openapi_problems(name: str, origin: Origin, *, thorough: bool = False) -> list[str]:
    """Problems as ``origins.NAME.key: what is wrong; the fix`` lines. ``thorough`` adds
    openapi-spec-validator's deeper (and slower) rules: check-config asks for them."""
    key = f"origins.{name}"
    if origin.openapi is None:
        return [
            f'{key}.{shown}: only applies with a spec; add openapi = "openapi.yaml" or remove it'
            for field, shown in _NEEDS_OPENAPI.items()
            if field in origin.model_fields_set
        ]
    # Imported here: an origin without a spec (most) needs neither the YAML reader nor the
    # schema validators, and the config loads sooner without them.
    from devserve.mocks.openapi.spec import SpecError, full_problems, load_spec

    if isinstance(origin.openapi, SpecUrl):
        # Fetched after the other checks (proxy/specfetch.py); check-config's deeper rules
        # run on what that fetched.
        problem = spec_url_problem(origin.openapi, origin.proxy)
        if problem is not None:
            return [f"{key}.openapi: {problem}"]
        spec = fetched(origin.openapi)
        deeper = full_problems(spec) if thorough and spec is not None else []
        return [f"{key}.openapi: {p}" for p in deeper] + _resource_problems(key, origin)
    if not origin.openapi.is_file():
        return [
            f"{key}.openapi: {str(origin.openapi)!r} does not exist; create it or fix the path "
            "(relative to the config file)"
        ]
    try:
        spec = load_spec(origin.openapi)
    except SpecError as exc:
        return [f"{key}.openapi: {problem}" for problem in exc.problems]
    problems = [f"{key}.openapi: {p}" for p in full_problems(spec)] if thorough else []
    return problems + _resource_problems(key, origin)


def _resource_problems(key: str, origin: Origin) -> list[str]:
    if not origin.openapi_resources:
        return []
    if origin.resources is None:
        return [
            f"{key}.openapi_resources: the collections live in a resource file; add "
            'resources = "db.json" (e.g. {"charges": []}) to this origin'
        ]
    from devserve.mocks.resources.data import ResourceDataError
    from devserve.mocks.resources.data import read as read_resources

    try:
        _, data = read_resources(origin.resources)
    except ResourceDataError:
        return []  # the resources key has its own message
    problems = []
    base = origin.resources_prefix
    for index, prefix in enumerate(origin.openapi_resources):
        inside = prefix[len(base) :] if base and prefix.startswith(base + "/") else prefix
        collection = inside.strip("/").split("/", 1)[0]
        if base and not prefix.startswith(base + "/"):
            problems.append(
                f"{key}.openapi_resources[{index}]: {prefix!r} is not under resources_prefix "
                f"{base!r}; write {base + prefix!r}"
            )
        elif not isinstance(data.get(collection), list):
            problems.append(
                f"{key}.openapi_resources[{index}]: the resource file has no collection "
                f'{collection!r}; add "{collection}": [] to {origin.resources.name}'
            )
    return problems
