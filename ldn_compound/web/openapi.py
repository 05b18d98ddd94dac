"""The OpenAPI 3.1 document of the HTTP API, built from the shipped JSON Schemas.

The request and response schemas are the files in ``ldn_compound/schemas/`` (one model
of the data, the same the command line's ``--json`` follows); they are placed under
``components/schemas`` with their ``$ref`` pointers rewritten to point there.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any, Final

from ldn_compound._version import __version__

__all__ = ["SCHEMA_FILES", "openapi_document", "schema"]

#: Component name → shipped schema file.
SCHEMA_FILES: Final = {
    "BatchRequest": "batch-request.schema.json",
    "Batch": "batch.schema.json",
    "Formula": "formula.schema.json",
    "Formulas": "formulas.schema.json",
    "Problem": "problem.schema.json",
    "Lot": "lot.schema.json",
    "Lots": "lots.schema.json",
    "Recall": "recall.schema.json",
}


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """A shipped JSON Schema by component name, as loaded from its file."""
    text = resources.files("ldn_compound.schemas").joinpath(SCHEMA_FILES[name]).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _component(name: str, ids: dict[str, str]) -> dict[str, Any]:
    """A schema with its internal and cross-file references pointed into ``components/schemas``."""
    document = copy.deepcopy(schema(name))
    document.pop("$schema", None)
    document.pop("$id", None)
    prefix = f"#/components/schemas/{name}"

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            result = {}
            for key, value in node.items():
                target = value
                if key == "$ref" and isinstance(value, str):
                    if value.startswith("#"):
                        target = prefix + value[1:]
                    elif value in ids:
                        target = f"#/components/schemas/{ids[value]}"
                result[key] = rewrite(target)
            return result
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    rewritten: dict[str, Any] = rewrite(document)
    return rewritten


def _problems(*statuses: int) -> dict[str, Any]:
    descriptions = {
        400: "The body is not JSON, or not an object.",
        401: "Sign-in needed: a bearer token (Authorization: Bearer TOKEN).",
        403: "The user may not do this (their role), or the PIN is wrong.",
        404: "Not found.",
        409: "The lot's status does not allow the step (the lifecycle), or the lot number is taken.",
        413: "The body is larger than the server accepts.",
        415: "The body is not application/json.",
        422: "A field breaks a rule: `field` names it and `code` says which rule.",
    }
    ref = {"$ref": "#/components/responses/Problem"}
    return {str(status): {**ref, "description": descriptions[status]} for status in statuses}


def _json(name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }


def _pdf(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {
            "Content-Disposition": {
                "description": 'attachment; filename="record-<lot>.pdf" (letters, digits, dots and hyphens only)',
                "schema": {"type": "string"},
            }
        },
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }


STATUSES: Final = ["prepared", "compounded", "needs-changes", "verified", "released", "quarantined", "rejected"]
ACTIONS: Final = ["weigh", "compound", "verify", "release", "quarantine", "reject", "return"]
_LOT_PARAMETER: Final = {
    "name": "lot",
    "in": "path",
    "required": True,
    "description": "A lot number of the register, e.g. L2026-000123.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 40},
}
_ACTION_BODY: Final = {
    "type": "object",
    "properties": {
        "user": {"type": "string", "description": "The user who signs (with a bearer token: the token's user)."},
        "pin": {"type": "string", "description": "Their PIN: every signature is given with it."},
        "reason": {"type": ["string", "null"], "description": "quarantine, reject, return: why."},
        "lines": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": 'weigh: each line\'s actual amount, {"naltrexone-hcl": "451.2 mg"}.',
        },
    },
    "required": ["pin"],
}


def _request_body() -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/BatchRequest"},
                "example": {"formula": "ldn-capsules", "quantity": 100, "strength": "4.5 mg"},
            }
        },
    }


@functools.cache
def _document() -> str:
    ids = {schema(name)["$id"]: name for name in SCHEMA_FILES}
    components = {name: _component(name, ids) for name in SCHEMA_FILES}
    formula_id = {
        "name": "formula_id",
        "in": "path",
        "required": True,
        "description": "A formula id, e.g. ldn-capsules.",
        "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
    }
    paths: dict[str, Any] = {
        "/api/v1/formulas": {
            "get": {
                "operationId": "listFormulas",
                "summary": "The master formulas (the built-in ones and the server's own)",
                "responses": {"200": _json("Formulas", "The formulas, sorted by id."), **_problems(401)},
            }
        },
        "/api/v1/formulas/{formula_id}": {
            "get": {
                "operationId": "getFormula",
                "summary": "One formula: composition, strength range, beyond-use class",
                "parameters": [formula_id],
                "responses": {"200": _json("Formula", "The formula."), **_problems(401, 404)},
            }
        },
        "/api/v1/calculate": {
            "post": {
                "operationId": "calculate",
                "summary": "Calculate a batch: the same document as `ldn-compound batch --json`",
                "requestBody": _request_body(),
                "responses": {
                    "200": _json("Batch", "The calculated batch."),
                    **_problems(400, 401, 413, 415, 422),
                },
            }
        },
        "/api/v1/lots": {
            "get": {
                "operationId": "listLots",
                "summary": "Registered batches, newest first (filter by status, formula, since)",
                "parameters": [
                    {"name": "status", "in": "query", "required": False, "schema": {"enum": STATUSES}},
                    {"name": "formula", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "since", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
                ],
                "responses": {"200": _json("Lots", "The lots."), **_problems(401, 422)},
            },
            "post": {
                "operationId": "registerLot",
                "summary": "Register a batch: its lot number, its record (and labels with a prescription) printed and kept",
                "requestBody": _request_body(),
                "responses": {
                    "201": _json("Lot", "The registered lot."),
                    **_problems(400, 401, 413, 415, 422),
                },
            },
        },
        "/api/v1/lots/{lot}": {
            "get": {
                "operationId": "getLot",
                "summary": "A registered lot: its batch document, status, weights, signatures",
                "parameters": [_LOT_PARAMETER],
                "responses": {"200": _json("Lot", "The lot."), **_problems(401, 404)},
            }
        },
        "/api/v1/lots/{lot}/record.pdf": {
            "get": {
                "operationId": "lotRecord",
                "summary": "The lot's compounding record: the same bytes as first printed (a reprint, in the audit trail)",
                "parameters": [_LOT_PARAMETER],
                "responses": {"200": _pdf("The record."), **_problems(401, 404, 422)},
            }
        },
        "/api/v1/lots/{lot}/labels.pdf": {
            "get": {
                "operationId": "lotLabels",
                "summary": "The lot's labels: the same bytes as first printed (a reprint, in the audit trail)",
                "parameters": [_LOT_PARAMETER],
                "responses": {"200": _pdf("The labels."), **_problems(401, 404, 422)},
            }
        },
        "/api/v1/lots/{lot}/{action}": {
            "post": {
                "operationId": "lotAction",
                "summary": "Sign a step: weigh (with lines), compound, verify, release, quarantine, reject, return",
                "parameters": [
                    _LOT_PARAMETER,
                    {"name": "action", "in": "path", "required": True, "schema": {"enum": ACTIONS}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ACTION_BODY}},
                },
                "responses": {
                    "200": _json("Lot", "The lot after the step."),
                    **_problems(400, 401, 403, 404, 409, 415, 422),
                },
            }
        },
        "/api/v1/recall/{component_lot}": {
            "get": {
                "operationId": "recall",
                "summary": "Every registered batch that used a component lot (or whose own lot it is)",
                "parameters": [
                    {
                        "name": "component_lot",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1},
                    }
                ],
                "responses": {"200": _json("Recall", "The batches found."), **_problems(401, 422)},
            }
        },
    }
    document = {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "ldn-compound",
            "version": __version__,
            "description": (
                "Batch calculations, compounding records and labels for low-dose naltrexone (LDN). "
                "Errors are RFC 9457 problem details (application/problem+json) with the request `field` "
                "and the error `code`."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": paths,
        "security": [{}, {"bearer": []}],
        "components": {
            "schemas": components,
            "responses": {
                "Problem": {
                    "description": "A problem (RFC 9457).",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A user's API token (ldn-compound users token NAME); needed when sign-in is on.",
                }
            },
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def openapi_document() -> str:
    """The OpenAPI document as JSON text (built once per process)."""
    return _document()
