"""Reading a batch document back: ``BatchResult.from_dict`` rebuilds what ``to_dict`` wrote."""

from __future__ import annotations

import copy

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ldn_compound import BatchResult, InputError, calculate_batch, load_formula, load_formulas
from tests.strategies import capsule_counts, capsule_strengths, liquid_strengths, potencies, volumes

QUANTITY = {"capsules": 100, "oral-liquid": "120 mL", "sublingual-drops": "30 mL", "topical-cream": "30 g"}


def batches() -> list[BatchResult]:
    out = []
    for formula_id in load_formulas():
        form = load_formula(formula_id).dosage_form.value
        quantity = QUANTITY[form]
        out.append(calculate_batch(formula_id, quantity=quantity, date="2026-03-01", lot_number="L2026-000001"))
        out.append(
            calculate_batch(
                formula_id,
                quantity=quantity,
                date="2026-03-01",
                assay=99.5,
                water=0.5,
                lots=[f"{load_formula(formula_id).active.id}=NX1:2027-01-31"],
                overage=3,
            )
        )
        if form != "sublingual-drops":  # 300 mg at 98 % is an aliquot that does not fit 30 mL
            out.append(calculate_batch(formula_id, quantity=quantity, potency=98, balance_readability="1 mg"))
    out.append(calculate_batch("ldn-capsules", quantity=60, tablet_weight="180 mg", strength="1.5 mg"))
    out.append(calculate_batch("ldn-oral-liquid", quantity="30 mL", strength="0.5 mg/mL", dose="1 mg"))
    out.append(calculate_batch("ldn-capsules", quantity=30, other_medicines=["metformin", "loperamide"]))
    out.append(
        calculate_batch(
            "ldn-oral-liquid", quantity="120 mL", directions="Take 4.5 mL by mouth at bedtime", dispense="60 mL"
        )
    )
    out.append(calculate_batch("ldn-capsules", quantity=100, directions="Take 1 capsule by mouth at bedtime"))
    out.append(calculate_batch("ldn-oral-liquid", quantity="120 mL", titration="1.5 mg for 7 days, then 4.5 mg"))
    out.append(calculate_batch("ldn-sublingual-drops", quantity="30 mL", directions="1 gtt sl qhs"))
    return out


@pytest.mark.parametrize("result", batches(), ids=lambda r: r.formula.id)
def test_every_builtin_formula_round_trips(result):
    document = result.to_dict()
    rebuilt = BatchResult.from_dict(copy.deepcopy(document))
    assert rebuilt.to_dict() == document
    assert rebuilt.fingerprint == result.fingerprint
    assert rebuilt.formula == result.formula
    assert rebuilt.ingredients == result.ingredients
    assert rebuilt.lots == result.lots
    assert rebuilt.source == result.source
    assert rebuilt.weighings == result.weighings
    assert rebuilt.screening == result.screening
    assert rebuilt.equipment == result.equipment
    assert rebuilt.directions == result.directions
    assert (rebuilt.daily_dose, rebuilt.dispensed, rebuilt.days_supply) == (
        result.daily_dose,
        result.dispensed,
        result.days_supply,
    )


@settings(max_examples=25, deadline=None)
@given(count=capsule_counts, strength=capsule_strengths, potency=potencies)
def test_capsule_batches_round_trip(count, strength, potency):
    try:
        result = calculate_batch("ldn-capsules", quantity=count, strength=f"{strength} mg", potency=potency)
    except InputError:  # e.g. no aliquot plan fits a tiny batch
        assume(False)
    assert BatchResult.from_dict(result.to_dict()).to_dict() == result.to_dict()


@settings(max_examples=25, deadline=None)
@given(volume=volumes, strength=liquid_strengths, form=st.sampled_from(["ldn-oral-liquid", "ldn-sublingual-drops"]))
def test_liquid_batches_round_trip(volume, strength, form):
    if form == "ldn-sublingual-drops":
        strength = strength * 2
    try:
        result = calculate_batch(form, quantity=f"{volume} mL", strength=f"{strength} mg/mL")
    except InputError:
        assume(False)
    assert BatchResult.from_dict(result.to_dict()).to_dict() == result.to_dict()


def test_a_document_of_another_formula_version_is_refused():
    document = calculate_batch("ldn-capsules", quantity=10).to_dict()
    document["formula"]["version"] = "0.0.1"
    with pytest.raises(InputError) as caught:
        BatchResult.from_dict(document)
    assert caught.value.code == "formula-version-mismatch"


@pytest.mark.parametrize(
    "damage", [lambda d: d.pop("ingredients"), lambda d: d.update(schema="x"), lambda d: d.update(quantity="lots")]
)
def test_a_damaged_document_is_an_input_error(damage):
    document = calculate_batch("ldn-capsules", quantity=10).to_dict()
    damage(document)
    with pytest.raises(InputError) as caught:
        BatchResult.from_dict(document)
    assert caught.value.code in {"invalid-document", "invalid-quantity", "wrong-dimension"}
