"""RFC 9457 problem details: every error of the HTTP API as ``application/problem+json``.

A problem names the error's stable ``code`` (:attr:`ldn_compound.LDNError.code`) and the
request ``field`` it is about, and its ``detail`` is the same sentence the command line
and the page show (:func:`ldn_compound.service.describe_error`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from ldn_compound import service
from ldn_compound.exceptions import DataFileError, FormulaNotFoundError, InputError, LDNError

__all__ = ["MEDIA_TYPE", "api_field_name", "problem", "problem_for_error", "status_for_error"]

MEDIA_TYPE: Final = "application/problem+json"

TITLES: Final = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    500: "Internal error",
    503: "Service unavailable",
}

#: How the API names the request fields that are not JSON keys of the request.
_API_NAMES: Final = {
    "record": "the record (POST /api/v1/lots)",
    "labels": "the labels (POST /api/v1/lots with the prescription)",
    "pharmacy_config": "the server's pharmacy configuration (ldn-compound serve --pharmacy-config)",
    "formula_dir": "the server's formula folder (ldn-compound serve --dir)",
}


def api_field_name(field: str) -> str:
    """How the API names a request field: its JSON key (``capsule_size``)."""
    return _API_NAMES.get(field, field)


def problem(
    status: int,
    detail: str,
    *,
    code: str,
    field: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem details response."""
    body: dict[str, object] = {
        "type": f"urn:ldn-compound:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "field": field,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    return Response(text, status_code=status, media_type=MEDIA_TYPE, headers=headers)


#: The HTTP status of the register's errors, by code.
_REGISTER_STATUS: Final = {
    "unknown-lot": 404,
    "lot-exists": 409,
    "forbidden-transition": 409,
    "verification-blocked": 409,
    "not-permitted": 403,
    "wrong-pin": 403,
    "pin-locked": 403,
    "unknown-user": 403,
    "user-disabled": 403,
    "register-unavailable": 503,
    "register-too-new": 503,
    "register-error": 500,
}


def status_for_error(error: LDNError) -> int:
    """The HTTP status of a library error: 422 for input, 404 for what is not there, 409 for a conflict."""
    status = _REGISTER_STATUS.get(type(error).code) or _REGISTER_STATUS.get(error.code)
    if status is not None:
        return status
    if isinstance(error, InputError | FormulaNotFoundError):
        return 404 if isinstance(error, LookupError) and not isinstance(error, FormulaNotFoundError) else 422
    if isinstance(error, DataFileError):
        return 500
    if isinstance(error, service.DocumentUnavailableError):
        return 503
    return 422


def problem_for_error(
    error: LDNError,
    request: Request,
    batch: service.BatchRequest | None = None,
    *,
    name: Callable[[str], str] = api_field_name,
    status: int | None = None,
) -> Response:
    """The problem details of a library error, with the field and code."""
    http_status = status or status_for_error(error)
    if http_status >= 500:
        # the server's own files (formula folder, pharmacy configuration): name no path to the client
        detail = f"the server cannot answer this request ({error.code}); the server's log says why"
        return problem(http_status, detail, code=error.code, instance=request.url.path)
    detail = service.describe_error(error, name, batch)
    field = service.error_field(error, batch)
    return problem(http_status, detail, code=error.code, field=field, instance=request.url.path)
