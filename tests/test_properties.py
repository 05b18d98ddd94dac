"""Laws the calculation must obey, checked over many generated batches."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from ldn_compound import AliquotError, CapsuleOverfillError, LDNError, Strength, calculate_batch
from ldn_compound.substances import salt_form
from ldn_compound.units import MASS, Q_, magnitude, parse_quantity
from ldn_compound.weighing import trituration_plan
from tests import strategies

DAY = "2026-03-01"
READABILITY = Decimal("0.1")


def _mg_or_ml(quantity):
    return (
        magnitude(quantity, "mL")
        if quantity.dimensionality == Q_(Decimal(1), "mL").dimensionality
        else magnitude(quantity, "mg")
    )


@given(strategies.capsule_strengths, st.integers(1, 1000), strategies.potencies, strategies.overages)
def test_doubling_a_capsule_batch_doubles_every_amount(strength, count, potency, overage):
    one = calculate_batch(
        "ldn-capsules",
        quantity=count,
        strength=f"{strength} mg",
        potency=potency,
        overage=overage,
        date=DAY,
        balance_readability="0.001 mg",
    )
    two = calculate_batch(
        "ldn-capsules",
        quantity=2 * count,
        strength=f"{strength} mg",
        potency=potency,
        overage=overage,
        date=DAY,
        balance_readability="0.001 mg",
    )
    for a, b in zip(one.ingredients, two.ingredients, strict=True):
        # each amount is rounded to the readability once, so doubling agrees to within one step
        assert abs(_mg_or_ml(b.amount) - 2 * _mg_or_ml(a.amount)) <= Decimal("0.001")


@given(strategies.liquid_strengths, strategies.volumes)
def test_doubling_a_liquid_batch_doubles_every_amount(strength, volume):
    one = calculate_batch(
        "ldn-oral-liquid",
        quantity=f"{volume} mL",
        strength=f"{strength} mg/mL",
        date=DAY,
        balance_readability="0.01 mg",
    )
    two = calculate_batch(
        "ldn-oral-liquid",
        quantity=f"{2 * volume} mL",
        strength=f"{strength} mg/mL",
        date=DAY,
        balance_readability="0.01 mg",
    )
    for a, b in zip(one.ingredients, two.ingredients, strict=True):
        step = Decimal("0.1") if a.measure == "measure" else Decimal("0.01")
        assert abs(_mg_or_ml(b.amount) - 2 * _mg_or_ml(a.amount)) <= step


@given(strategies.decimals("0.01", "100", 3).filter(lambda d: d > 0), strategies.bases, strategies.bases)
def test_converting_a_strength_to_another_basis_and_back_returns_it(mg, start, other):
    strength = Strength(Q_(mg, "mg"), salt_form(start))
    back = strength.to_basis(salt_form(other)).to_basis(salt_form(start))
    assert abs(back.amount.magnitude - mg) <= mg * Decimal("1e-20")


@given(strategies.decimals("0.01", "100", 3).filter(lambda d: d > 0))
def test_base_is_lighter_than_hcl_by_the_molecular_weight_ratio(mg):
    hcl = Strength(Q_(mg, "mg"), salt_form("hcl"))
    base = hcl.to_basis(salt_form("base")).amount.magnitude
    assert base < mg
    assert abs(base / mg - Decimal("341.40") / Decimal("377.86")) < Decimal("1e-20")


@given(
    strategies.decimals("0.1", "81.9", 1),
    st.sampled_from(["82 mg", "120 mg", "200 mg"]),
    strategies.decimals("5000", "100000", 1),
)
def test_the_active_in_an_aliquot_equals_the_dose_and_every_weighing_is_weighable(need, minimum_text, filler):
    minimum = parse_quantity(minimum_text, "minimum", MASS)
    required = Q_(need, "mg")
    try:
        plan = trituration_plan(required, minimum, "filler", Q_(filler, "mg"), (10, 20, 50, 100, 200, 500, 1000))
    except LDNError:
        assume(False)
        return
    # the part taken holds exactly the dose: take × weigh / total
    assert plan.take * plan.weigh / plan.dilute_to == required
    for weighed in (plan.weigh, plan.dilute_to - plan.weigh, plan.take):
        assert weighed >= minimum


@given(
    strategies.capsule_strengths,
    strategies.capsule_counts,
    strategies.capsule_sizes,
    st.one_of(st.none(), strategies.decimals("50", "2000", 0)),
)
def test_no_amount_is_negative_and_a_fill_never_exceeds_capacity_silently(strength, count, size, tablet_weight):
    try:
        result = calculate_batch(
            "ldn-capsules",
            quantity=count,
            strength=f"{strength} mg",
            capsule_size=size,
            tablet_weight=None if tablet_weight is None else f"{tablet_weight} mg",
            date=DAY,
        )
    except CapsuleOverfillError as error:
        assert error.field == "fill"
        return
    except LDNError:
        return  # e.g. an aliquot that cannot be planned for a single tiny capsule: refused, never silent
    assert all(line.amount.magnitude >= 0 for line in result.ingredients)
    fill = result.capsule
    assert fill.filler_per_capsule.magnitude >= 0
    assert fill.active_per_capsule <= fill.capacity


@given(strategies.cream_strengths, strategies.masses_g)
def test_cream_components_add_up_to_the_batch_weight(strength, grams):
    try:
        result = calculate_batch("ldn-topical-cream", quantity=f"{grams} g", strength=f"{strength} mg/g", date=DAY)
    except LDNError:
        return
    # the water is measured by volume: 1.00 g/mL
    total = sum(
        magnitude(line.amount, "mg") if line.measure == "weigh" else magnitude(line.amount, "mL") * 1000
        for line in result.ingredients
    )
    assert abs(total - grams * 1000) <= READABILITY


@given(strategies.liquid_strengths, strategies.volumes, st.sampled_from(["0.01 mg", "0.1 mg", "1 mg"]))
def test_a_liquid_aliquot_always_holds_exactly_the_dose(strength, volume, readability):
    try:
        result = calculate_batch(
            "ldn-oral-liquid",
            quantity=f"{volume} mL",
            strength=f"{strength} mg/mL",
            date=DAY,
            balance_readability=readability,
        )
    except AliquotError:
        return  # a few mL on a coarse balance: the stock solutions do not all fit; refused, never silent
    plan = result.aliquot
    if plan is None:
        assert result.active.amount >= result.balance.minimum_weight
        return
    assert plan.take * plan.weigh / plan.dilute_to == result.active.amount
    assert plan.weigh >= result.balance.minimum_weight
    assert plan.take <= result.theoretical_yield
