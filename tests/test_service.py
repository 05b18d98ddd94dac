"""The application layer: one request in, the batch and its documents out, the same rules for every interface."""

from __future__ import annotations

import pytest

from ldn_compound import InputError, calculate_batch, service
from ldn_compound.service import BatchRequest, RequestError, run_batch

DAY = "2026-03-01"


def test_a_request_gives_the_same_batch_as_calculate_batch() -> None:
    outcome = run_batch(BatchRequest(formula="ldn-capsules", quantity="100", strength="4.5 mg", date=DAY))
    assert outcome.result == calculate_batch("ldn-capsules", quantity=100, strength="4.5 mg", date=DAY)
    assert (outcome.prescription, outcome.record, outcome.labels) == (None, None, None)


def test_a_request_for_documents_gets_pdf_bytes() -> None:
    outcome = run_batch(BatchRequest(formula="ldn-capsules", quantity="30", date=DAY, record=True, labels=True))
    assert outcome.record is not None
    assert outcome.record.startswith(b"%PDF-")
    assert outcome.labels is not None
    assert outcome.labels.startswith(b"%PDF-")


def test_a_request_error_names_fields_as_each_interface_names_them() -> None:
    request = BatchRequest(formula="ldn-capsules", quantity="30", co_medication_reason="known")
    with pytest.raises(RequestError) as caught:
        run_batch(request)
    error = caught.value
    assert (error.field, error.code) == ("co_medication_reason", "override-without-check")
    assert isinstance(error, InputError)
    assert str(error) == "co_medication_reason: goes with other_medicines (the medicines whose check it overrides)"
    assert error.describe(str.upper) == (
        "CO_MEDICATION_REASON: goes with OTHER_MEDICINES (the medicines whose check it overrides)"
    )


def test_a_request_error_quotes_the_value_given() -> None:
    with pytest.raises(RequestError) as caught:
        run_batch(BatchRequest(formula="ldn-capsules", quantity="30", bud_rules="usp-1990"))
    assert str(caught.value).startswith('bud_rules "usp-1990": must be one of ')
    assert caught.value.describe(lambda field: "--" + field, value="other").startswith('--bud_rules "other": ')


def test_an_empty_formula_is_refused_with_a_code() -> None:
    with pytest.raises(RequestError) as caught:
        service.read_formula("  ")
    assert caught.value.code == "unknown-formula"


def test_the_unclear_medicine_reason_goes_with_other_medicines_and_is_kept() -> None:
    with pytest.raises(RequestError) as caught:
        run_batch(BatchRequest(formula="ldn-capsules", quantity="30", unclear_medicine_reason="known"))
    assert (caught.value.field, caught.value.code) == ("unclear_medicine_reason", "override-without-check")
    with pytest.raises(RequestError) as caught:
        run_batch(
            BatchRequest(
                formula="ldn-capsules", quantity="30", other_medicines=("oxycodon",), unclear_medicine_reason=" "
            )
        )
    assert caught.value.code == "reason-missing"
    outcome = run_batch(
        BatchRequest(
            formula="ldn-capsules",
            quantity="30",
            other_medicines=("oxycodon",),
            unclear_medicine_reason="oxybutynin, misspelt",
        )
    )
    assert [(o.code, o.reason) for o in outcome.result.screening.overrides] == [
        ("medicine-name-unclear", "oxybutynin, misspelt")
    ]
