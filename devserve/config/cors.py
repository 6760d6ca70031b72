"""The ``cors`` key of an origin: a switch, a mode, or an exact policy table."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag, ValidationInfo, field_validator

from devserve.config.strict import MethodName, StrictModel
from devserve.cors.origins import origin_regex_problem
from devserve.urls import origin_url_problem


def _check_origin(origin: str) -> str:
    problem = origin_url_problem(origin)
    if problem:
        raise ValueError(problem)
    return origin


OriginUrl = Annotated[str, AfterValidator(_check_origin)]


class CorsTable(StrictModel):
    """An exact CORS policy, as a real API would configure it."""

    allow_origins: list[OriginUrl] = Field(
        default_factory=list, description='Origins allowed, or ["*"].'
    )
    allow_origin_regex: str | None = Field(
        default=None, description="Regex an origin must fully match."
    )
    allow_methods: list[MethodName] = Field(default_factory=lambda: ["GET", "HEAD", "POST"])
    allow_headers: list[str] = Field(default_factory=list)
    allow_credentials: bool = False
    expose_headers: list[str] = Field(default_factory=list)
    max_age: int = Field(default=0, ge=0, description="Access-Control-Max-Age, in seconds.")
    allow_private_network: bool = False
    preflight_status: int = Field(default=204, ge=200, le=299)

    @field_validator("allow_origin_regex")
    @classmethod
    def _regex_compiles(cls, pattern: str | None) -> str | None:
        problem = None if pattern is None else origin_regex_problem(pattern)
        if problem is not None:
            raise ValueError(problem)
        return pattern

    @field_validator("allow_credentials")
    @classmethod
    def _credentials_need_exact_origins(cls, credentials: bool, info: ValidationInfo) -> bool:
        if credentials and "*" in info.data.get("allow_origins", []):
            raise ValueError(
                'true cannot be combined with "*" in allow_origins: browsers reject '
                "credentialed responses with Access-Control-Allow-Origin: *. List the exact "
                'origins instead, or use cors = "on" to echo local origins'
            )
        return credentials


def _cors_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "<switch>"
    if isinstance(value, dict | CorsTable):
        return "<table>"
    return "<mode>"


CorsSetting = Annotated[
    Annotated[bool, Tag("<switch>")]
    | Annotated[Literal["off", "on", "*"], Tag("<mode>")]
    | Annotated[CorsTable, Tag("<table>")],
    Discriminator(_cors_kind),
]
