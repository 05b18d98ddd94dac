"""Property-based run of the HTTP API against its own OpenAPI document (schemathesis).

Every operation of ``/openapi.json`` gets generated requests, valid and invalid by the
schema; each answer must not be a 5xx and must match its documented status, media type
and schema (the shipped JSON Schemas).  The count of requests is checked at the end so
the run cannot silently shrink below 1,000.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ldn_compound.web import WebConfig, create_app

ROOT = Path(__file__).resolve().parent.parent
PHARMACY = str(ROOT / "docs" / "examples" / "pharmacy.toml")

#: Generated requests per operation (each gets valid and invalid ones, so most get two to three times as many).
EXAMPLES = 75
MINIMUM_REQUESTS = 1000

APP = create_app(WebConfig(pharmacy_config=PHARMACY))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)

_calls: dict[str, int] = {}


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_generated_request_gets_a_documented_answer_and_no_5xx(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A request valid by the schema may still break a rule of the calculation (a strength out of the
        # formula's range): 422 is the right answer there, so "schema-valid data is accepted" does not apply.
        response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    key = f"{case.method} {case.operation.path}"
    _calls[key] = _calls.get(key, 0) + 1
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = json.loads(response.content)
        assert "Traceback" not in body["detail"]


def test_the_run_sent_at_least_1000_requests():
    total = sum(_calls.values())
    if not _calls:
        pytest.skip("the property run did not run in this session")
    print(f"schemathesis: {total} requests: {_calls}")  # noqa: T201 - the count, for the CI log
    assert total >= MINIMUM_REQUESTS, _calls
