"""OpenAPI tests: real public specs (specs/), a small payments spec written per test, and a
checker that validates answers with jsonschema (openapi-schema-validator's dialects)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema.protocols import Validator
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS31Validator,
    oas30_format_checker,
    oas31_format_checker,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

SPECS = Path(__file__).parent / "specs"

PAYMENTS = """\
openapi: 3.0.3
info: {title: Payments, version: "1"}
paths:
  /charges:
    get:
      operationId: listCharges
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        "200":
          description: the charges
          content:
            application/json:
              schema: {type: array, items: {$ref: "schemas.yaml#/Charge"}}
    post:
      operationId: createCharge
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "schemas.yaml#/NewCharge"}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: "schemas.yaml#/Charge"}
  /charges/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer}}
    get:
      operationId: getCharge
      responses:
        "200":
          description: one charge
          content:
            application/json:
              schema: {$ref: "schemas.yaml#/Charge"}
              examples:
                paid: {value: {id: 1, amount: 500, currency: usd, status: paid}}
                refunded: {value: {id: 1, amount: 500, currency: usd, status: refunded}}
        "404":
          description: no such charge
          content:
            application/json:
              example: {error: {code: resource_missing, message: No such charge}}
  /account:
    get:
      operationId: getAccount
      parameters:
        - {name: X-Api-Key, in: header, required: true, schema: {type: string}}
      responses:
        "200":
          description: the account
          headers:
            X-Request-Id: {schema: {type: string, format: uuid}}
          content:
            application/json:
              schema:
                type: object
                required: [id, email, created, plan]
                properties:
                  id: {type: string, pattern: "^acct_[A-Za-z0-9]{16}$"}
                  email: {type: string, format: email}
                  created: {type: string, format: date-time}
                  plan: {type: string, enum: [free, pro]}
                  balance: {type: integer, minimum: 10, maximum: 20}
                  nickname: {type: string, nullable: true}
"""

SCHEMAS = """\
Charge:
  type: object
  required: [id, amount, currency, status]
  additionalProperties: false
  properties:
    id: {type: integer, readOnly: true}
    amount: {type: integer, minimum: 50, maximum: 99999999}
    currency: {type: string, enum: [usd, eur, gbp]}
    status: {type: string, enum: [pending, paid, refunded]}
    description: {type: string, nullable: true}
NewCharge:
  type: object
  required: [amount, currency]
  additionalProperties: false
  properties:
    amount: {type: integer, minimum: 50}
    currency: {type: string, enum: [usd, eur, gbp]}
    description: {type: string}
"""


@pytest.fixture
def payments(tmp_path: Path) -> Path:
    """``payments.yaml`` (with its schemas in ``schemas.yaml``) in ``tmp_path``."""
    (tmp_path / "schemas.yaml").write_text(SCHEMAS)
    spec = tmp_path / "payments.yaml"
    spec.write_text(PAYMENTS)
    return spec


def stored(tmp_path: Path, name: str) -> Path:
    """A copy of one of the stored real specs in ``tmp_path``."""
    shutil.copy(SPECS / name, tmp_path / name)
    return tmp_path / name


def answer_validator(document: dict[str, Any], uri: str, pointer: str) -> Validator:
    """A jsonschema validator of the schema at ``pointer`` of ``document``, as the spec's
    OpenAPI version reads it (nullable, readOnly/writeOnly, formats)."""
    version_30 = str(document["openapi"]).startswith("3.0")
    registry: Registry[Any] = Registry().with_resource(
        uri,
        Resource.from_contents(
            document, default_specification=DRAFT4 if version_30 else DRAFT202012
        ),
    )
    kind = OAS30ReadValidator if version_30 else OAS31Validator
    checker = oas30_format_checker if version_30 else oas31_format_checker
    validator: Validator = kind(
        {"$ref": f"{uri}#{pointer}"}, registry=registry, format_checker=checker
    )
    return validator
