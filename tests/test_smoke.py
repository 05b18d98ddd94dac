"""Every shipped formula file loads and calculates, at its default strength and at both ends of its range."""

from __future__ import annotations

import pytest

from ldn_compound import calculate_batch, load_formulas
from ldn_compound.units import format_amount, parse_quantity

FORMULAS = load_formulas()
QUANTITIES = {"capsules": 100, "oral-liquid": "120 mL", "sublingual-drops": "30 mL", "topical-cream": "30 g"}


@pytest.mark.parametrize("formula_id", sorted(FORMULAS))
@pytest.mark.parametrize("which", ["default", "minimum", "maximum"])
def test_every_formula_calculates_across_its_range(formula_id, which):
    formula = FORMULAS[formula_id]
    strength = getattr(formula.strength, which)
    quantity = QUANTITIES[formula.dosage_form.value]
    if formula.reference_quantity is not None and which == "default":
        quantity = formula.reference_quantity
    result = calculate_batch(
        formula, quantity=quantity, strength=strength, date="2026-03-01", high_dose_reason="smoke test"
    )
    assert result.active.amount.magnitude > 0
    assert all(line.amount.magnitude >= 0 for line in result.ingredients)
    assert result.beyond_use.days > 0
    assert result.trace
    for line in result.ingredients:
        text = format_amount(line.amount)
        assert parse_quantity(text, "amount", _kind(line.amount)) == line.amount
    assert formula.procedure and formula.equipment and formula.quality_checks and formula.references
    assert "Do not take with opioid pain medicines" in formula.auxiliary_labels


def _kind(quantity):
    from ldn_compound.units import MASS, VOLUME

    return VOLUME if quantity.dimensionality == VOLUME.dimensionality else MASS
