"""The batch calculation, checked against values worked by hand from the reference.

Each expected value is written out with its arithmetic, so a reviewer can check
the test without running the code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from ldn_compound import (
    AliquotError,
    CapsuleOverfillError,
    CoMedicationError,
    DimensionError,
    DoseLimitError,
    FormulaNotFoundError,
    InputError,
    LDNError,
    MedicineNameError,
    QuantityError,
    Settings,
    calculate_batch,
    load_formula,
)
from ldn_compound.units import Q_, format_amount

DAY = "2026-03-01"


def amounts(result):
    return {line.id: line.describe_amount() for line in result.ingredients}


# ---------------------------------------------------------------- capsules


def test_capsules_plain():
    # 100 × 4.5 mg = 450 mg; filler (230 − 4.5) × 100 = 22 550 mg
    result = calculate_batch("ldn-capsules", quantity=100, strength="4.5 mg", date=DAY)
    assert amounts(result) == {"naltrexone-hcl": "450 mg", "mcc": "22.55 g"}
    assert result.active.role == "active"
    fill = result.capsule
    assert format_amount(fill.fill_weight) == "230 mg"
    assert (format_amount(fill.fill_low), format_amount(fill.fill_high)) == ("207 mg", "253 mg")
    assert format_amount(fill.batch_weight) == "23 g"


def test_capsules_potency_correction_as_is():
    # 450 mg ÷ 0.9771 = 460.54652... → 460.5 mg (balance readability 0.1 mg)
    result = calculate_batch("ldn-capsules", quantity=100, strength="4.5 mg", potency=97.71, date=DAY)
    assert amounts(result)["naltrexone-hcl"] == "460.5 mg"
    # filler: (230 − 4.6054652...) × 100 = 22 539.45348... → 22 539.5 mg
    assert amounts(result)["mcc"] == "22.5395 g"
    assert any("450 mg ÷ 0.9771 ≈ 460.547 mg" in step.text for step in result.trace)


def test_capsules_potency_from_assay_and_water():
    # as-is = 99.2 % × (1 − 1.5 %) = 97.712 %; 450 ÷ 0.97712 = 460.5371... → 460.5 mg
    result = calculate_batch("ldn-capsules", quantity=100, strength="4.5 mg", assay=99.2, water=1.5, date=DAY)
    assert amounts(result)["naltrexone-hcl"] == "460.5 mg"
    assert any("= 97.712 %" in step.text for step in result.trace)


def test_capsules_strength_as_base_converts_by_molecular_weight():
    # 4.5 mg base × 377.86 / 341.40 = 4.98058 mg HCl; × 100 = 498.058 → 498.1 mg
    result = calculate_batch("ldn-capsules", quantity=100, strength="4.5 mg", strength_basis="base", date=DAY)
    assert amounts(result)["naltrexone-hcl"] == "498.1 mg"
    assert str(result.strength) == "4.5 mg naltrexone base"
    assert any(step.title == "Salt conversion" for step in result.trace)


def test_capsules_overage_is_shown_separately():
    # 450 mg × 1.05 = 472.5 mg (22.5 mg overage); filler 225.5 mg × 105 = 23 677.5 mg
    result = calculate_batch("ldn-capsules", quantity=100, strength="4.5 mg", overage=5, date=DAY)
    active = result.active
    assert (format_amount(active.amount), format_amount(active.theoretical), format_amount(active.overage)) == (
        "472.5 mg",
        "450 mg",
        "22.5 mg",
    )
    assert amounts(result)["mcc"] == "23.6775 g"
    assert format_amount(result.theoretical_yield) == "100 capsules"


def test_capsules_worked_aliquot_example():
    # Reference §4: 32 × 1.5 mg = 48 mg, minimum weight 82 mg → weigh 100 mg, triturate with
    # 900 mg MCC (1 in 10), take 480 mg; the rest of the fill is MCC:
    # filler (230 − 1.5) × 32 = 7312 mg, less 432 mg carried in the aliquot = 6880 mg.
    result = calculate_batch("ldn-capsules", quantity=32, strength="1.5 mg", balance_readability="0.1 mg", date=DAY)
    plan = result.aliquot
    assert plan is not None
    assert [format_amount(q) for q in (plan.weigh, plan.dilute_to, plan.take, plan.holds)] == [
        "100 mg",
        "1 g",
        "480 mg",
        "48 mg",
    ]
    assert plan.steps[1] == "Weigh 900 mg of Microcrystalline cellulose NF (Avicel PH-105)."
    assert [(w.what, format_amount(w.amount)) for w in result.weighings][-1] == (
        "Microcrystalline cellulose NF (Avicel PH-105) (the rest)",
        "6.88 g",
    )
    minimum = result.balance.minimum_weight
    assert format_amount(minimum) == "82 mg"
    assert all(q >= minimum for q in (plan.weigh, plan.dilute_to - plan.weigh, plan.take))


def test_capsules_no_aliquot_when_the_active_is_weighable():
    assert calculate_batch("ldn-capsules", quantity=100, date=DAY).aliquot is None


def test_capsules_from_crushed_tablets():
    # 30 × 4.5 mg = 135 mg HCl → crush ceil(135 / 50) = 3 tablets; powder 135 × 200 / 50 = 540 mg;
    # 18 mg of powder per capsule displaces filler: (230 − 18) × 30 = 6360 mg
    result = calculate_batch("ldn-capsules", quantity=30, strength="4.5 mg", tablet_weight="200 mg", date=DAY)
    assert amounts(result) == {"naltrexone-hcl": "540 mg", "mcc": "6.36 g"}
    assert result.active.tablets == 3


def test_capsules_from_bulk_density_for_a_size_without_a_packing_statistic():
    # size 5 has no packing statistic: 0.13 mL × 300 mg/mL = 39 mg capacity; (39 − 1) × 10 = 380 mg
    result = calculate_batch("ldn-capsules", quantity=10, strength="1 mg", capsule_size="5", date=DAY)
    assert format_amount(result.capsule.capacity) == "39 mg"
    assert amounts(result)["mcc"] == "380 mg"


def test_capsules_packing_statistic_given_for_the_batch():
    result = calculate_batch("ldn-capsules", quantity=100, strength="4.5 mg", packing="250 mg", date=DAY)
    assert amounts(result)["mcc"] == "24.55 g"


def test_over_full_capsule_is_an_error():
    # 10 mg per capsule from tablets weighing 600 mg each: 120 mg of powder per capsule > 110 mg in a size 4
    with pytest.raises(CapsuleOverfillError) as info:
        calculate_batch(
            "ldn-capsules", quantity=10, strength="10 mg", tablet_weight="600 mg", capsule_size="4", date=DAY
        )
    assert "size 4" in str(info.value)
    assert "110 mg" in str(info.value)


# ---------------------------------------------------------------- oral liquid (Fawcett 1997)


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        # per 100 mL: 100 mg naltrexone HCl, 0.5 g ascorbic acid, 0.1 g sodium benzoate, 20 mL glycerol
        (
            "100 mL",
            {"naltrexone-hcl": "100 mg", "ascorbic-acid": "500 mg", "sodium-benzoate": "100 mg", "glycerol": "20 mL"},
        ),
        (
            "120 mL",
            {"naltrexone-hcl": "120 mg", "ascorbic-acid": "600 mg", "sodium-benzoate": "120 mg", "glycerol": "24 mL"},
        ),
        (
            "250 mL",
            {"naltrexone-hcl": "250 mg", "ascorbic-acid": "1.25 g", "sodium-benzoate": "250 mg", "glycerol": "50 mL"},
        ),
        (
            "30 mL",
            {"naltrexone-hcl": "30 mg", "ascorbic-acid": "150 mg", "sodium-benzoate": "30 mg", "glycerol": "6 mL"},
        ),
    ],
)
def test_fawcett_oral_liquid_at_other_volumes(volume, expected):
    result = calculate_batch("ldn-oral-liquid", quantity=volume, date=DAY)
    got = amounts(result)
    assert got.pop("purified-water") == f"q.s. to {volume}"
    assert got == expected


def test_oral_liquid_aliquot_is_a_stock_solution():
    # 0.5 mg/mL × 60 mL = 30 mg < 82 mg.  The stock is at most half the solubility, 100 mg/mL ÷ 2 =
    # 50 mg/mL, so the portion is at least 30 ÷ 50 = 0.6 mL: the smallest volumetric pipette, 1 mL.
    # The flask: 30 mg × S ÷ 1 mL ≥ 82 mg → S = 5 mL (2 mL gives 60 mg): weigh 150 mg, make up to 5 mL
    # (30 mg/mL), take 1 mL holding 30 mg
    result = calculate_batch("ldn-oral-liquid", quantity="60 mL", strength="0.5 mg/mL", date=DAY)
    plan = result.aliquot
    assert plan.method == "solution"
    assert [format_amount(q) for q in (plan.weigh, plan.dilute_to, plan.take, plan.holds)] == [
        "150 mg",
        "5 mL",
        "1 mL",
        "30 mg",
    ]
    assert plan.equipment == ("5 mL volumetric flask", "1 mL volumetric pipette")
    assert plan.take * plan.weigh / plan.dilute_to == plan.holds


def test_oral_liquid_from_tablets_warns_that_it_is_a_suspension():
    # 100 mL × 1 mg/mL = 100 mg → 2 tablets; powder 100 × 220 / 50 = 440 mg
    result = calculate_batch("ldn-oral-liquid", quantity="100 mL", tablet_weight="220 mg", date=DAY)
    assert amounts(result)["naltrexone-hcl"] == "440 mg"
    assert result.active.tablets == 2
    assert [w.code for w in result.warnings] == ["tablet-excipients"]


def test_liquid_dose_limits():
    warn = calculate_batch("ldn-oral-liquid", quantity="100 mL", dose="6 mg", date=DAY)
    assert [w.code for w in warn.warnings] == ["dose-above-usual"]
    with pytest.raises(DoseLimitError, match="dose must be at most 10 mg"):
        calculate_batch("ldn-oral-liquid", quantity="100 mL", dose="12 mg", date=DAY)
    allowed = calculate_batch(
        "ldn-oral-liquid", quantity="100 mL", dose="12 mg", high_dose_reason="Prescriber confirmed by phone", date=DAY
    )
    assert [(o.code, o.reason) for o in allowed.overrides] == [("dose-above-limit", "Prescriber confirmed by phone")]


# ---------------------------------------------------------------- drops and cream


def test_sublingual_drops_dose_per_drop():
    # 10 mg/mL × 30 mL = 300 mg; 10 mg/mL ÷ 20 drops/mL = 0.5 mg per drop
    result = calculate_batch("ldn-sublingual-drops", quantity="30 mL", date=DAY)
    assert amounts(result)["naltrexone-hcl"] == "300 mg"
    assert format_amount(result.dose_per_unit["drop"]) == "0.5 mg"
    calibrated = calculate_batch("ldn-sublingual-drops", quantity="30 mL", drops_per_ml=25, date=DAY)
    assert format_amount(calibrated.dose_per_unit["drop"]) == "0.4 mg"


def test_topical_cream_base_qs_to_weight():
    # 30 g × 3 mg/g = 90 mg active (weighable at d = 0.1 mg? 90 ≥ 82: yes); water 2 % = 600 mg;
    # base 30 000 − 90 − 600 = 29 310 mg
    result = calculate_batch("ldn-topical-cream", quantity="30 g", strength="3 mg/g", date=DAY)
    # the water is a liquid: measured, 600 mg ÷ 1.00 g/mL = 0.6 mL
    assert amounts(result) == {"naltrexone-hcl": "90 mg", "purified-water": "0.6 mL", "cream-base": "29.31 g"}
    assert result.aliquot is None


def test_topical_cream_aliquot_is_a_solution_in_the_aqueous_phase():
    # 30 g × 1 mg/g = 30 mg < 82 mg; the formula dissolves the active in its water, 2 % = 0.6 mL.
    # At most 50 mg/mL, the portion is at least 0.6 mL: a graduated pipette; flask ≥ 2 × 0.6 → 2 mL,
    # 30 × 2 ÷ 0.6 = 100 mg ≥ 82 mg: weigh 100 mg, make up to 2 mL (50 mg/mL), take 0.6 mL = 30 mg.
    # The portion is all the water the formula has: no water is measured besides.
    result = calculate_batch("ldn-topical-cream", quantity="30 g", date=DAY)
    plan = result.aliquot
    assert plan.method == "solution"
    assert [format_amount(q) for q in (plan.weigh, plan.dilute_to, plan.take, plan.holds)] == [
        "100 mg",
        "2 mL",
        "0.6 mL",
        "30 mg",
    ]
    assert [(w.what, format_amount(w.amount), w.instrument) for w in result.weighings] == [
        ("Naltrexone hydrochloride USP", "100 mg", "balance"),
        ("Purified water USP to the mark", "2 mL", "2 mL volumetric flask"),
        (
            "Stock solution of Naltrexone hydrochloride USP (0.6 mL of 2 mL)",
            "0.6 mL",
            "1 mL graduated pipette",
        ),
        ("Oil-in-water cream base, preserved (e.g. VersaBase Cream)", "29.37 g", "balance"),
    ]


def test_topical_cream_falls_back_to_a_trituration_when_no_solution_fits_the_water():
    # 3 g: 3 mg of active, 0.06 mL of water; a portion at ≤ 50 mg/mL needs 0.06 mL, the smallest a
    # pipette takes is 0.1 mL: triturate in the base (1 in 50: 100 mg + 4.9 g, take 150 mg), and the
    # water (a liquid) is measured, never triturated
    result = calculate_batch("ldn-topical-cream", quantity="3 g", date=DAY)
    assert result.aliquot.method == "trituration"
    water = next(line for line in result.ingredients if line.id == "purified-water")
    assert (water.measure, format_amount(water.amount), water.aliquot) == ("measure", "0.06 mL", None)
    assert [w.code for w in result.warnings] == ["aliquot-in-base"]
    assert "0.06 mL of Purified water USP" in result.warnings[0].message


# ---------------------------------------------------------------- minimum weight


@pytest.mark.parametrize(
    ("readability", "repeatability", "minimum"),
    [
        ("0.1 mg", None, "82 mg"),
        ("1 mg", None, "820 mg"),
        ("0.1 mg", "0.1 mg", "200 mg"),
        ("0.1 mg", "0.02 mg", "82 mg"),
    ],
)
def test_usp_41_minimum_weight(readability, repeatability, minimum):
    result = calculate_batch(
        "ldn-capsules", quantity=100, balance_readability=readability, balance_repeatability=repeatability, date=DAY
    )
    assert format_amount(result.balance.minimum_weight) == minimum


def test_one_mg_balance_needs_an_aliquot_for_a_normal_batch():
    # 450 mg < 820 mg: weigh 1 g, triturate 1 in 10 (9 g MCC), take 4.5 g
    result = calculate_batch("ldn-capsules", quantity=100, balance_readability="1 mg", date=DAY)
    plan = result.aliquot
    assert [format_amount(q) for q in (plan.weigh, plan.dilute_to, plan.take)] == ["1 g", "10 g", "4.5 g"]


def test_aliquot_impossible_is_an_error():
    with pytest.raises(AliquotError):
        calculate_batch("ldn-capsules", quantity=1, strength="0.5 mg", date=DAY)


# ---------------------------------------------------------------- beyond-use dates


def test_bud_by_preparation_class():
    assert calculate_batch("ldn-capsules", quantity=100, date=DAY).beyond_use_date == dt.date(2026, 8, 28)  # +180
    assert calculate_batch("ldn-oral-liquid", quantity="100 mL", date=DAY).beyond_use_date == dt.date(2026, 4, 5)  # +35


def test_bud_capped_by_a_component_expiry():
    result = calculate_batch("ldn-oral-liquid", quantity="100 mL", date=DAY, lots=["glycerol=GL-7:2026-03-20"])
    assert result.beyond_use_date == dt.date(2026, 3, 20)
    assert result.beyond_use.limited_by == "lot GL-7 of glycerol expires 2026-03-20"


def test_bud_day_counting_is_a_setting():
    settings = Settings(compounding_day_is_day_zero=False)
    assert calculate_batch("ldn-capsules", quantity=100, date=DAY, settings=settings).beyond_use_date == dt.date(
        2026, 8, 27
    )


def test_bud_legacy_rules():
    from ldn_compound.settings import BudSystem

    legacy = Settings(bud_system=BudSystem.LEGACY)
    assert calculate_batch("ldn-capsules", quantity=100, date=DAY, settings=legacy).beyond_use_date == dt.date(
        2026, 9, 1
    )
    assert calculate_batch("ldn-oral-liquid", quantity="100 mL", date=DAY, settings=legacy).beyond_use_date == dt.date(
        2026, 3, 15
    )
    assert calculate_batch("ldn-topical-cream", quantity="30 g", date=DAY, settings=legacy).beyond_use_date == dt.date(
        2026, 3, 31
    )


def test_bud_from_site_stability_evidence_only_when_named():
    result = calculate_batch("ldn-oral-liquid", quantity="100 mL", date=DAY, stability="fawcett-1997-refrigerated")
    assert result.beyond_use_date == dt.date(2026, 4, 30)  # 1 March + 60 days
    assert "Ann Pharmacother 1997" in result.beyond_use.rule
    with pytest.raises(InputError, match="stability must name stability evidence of ldn-oral-liquid"):
        calculate_batch("ldn-oral-liquid", quantity="100 mL", date=DAY, stability="made-up")


def test_expired_component_is_refused():
    with pytest.raises(InputError, match="expiry must not be before the compounding date"):
        calculate_batch("ldn-capsules", quantity=100, date=DAY, lots=["mcc=M1:2026-02-01"])


# ---------------------------------------------------------------- safety


def test_dose_above_usual_warns_and_records_it():
    result = calculate_batch("ldn-capsules", quantity=100, strength="6 mg", date=DAY)
    assert [w.code for w in result.warnings] == ["dose-above-usual"]


def test_opioid_co_medication_stops_the_batch_unless_overridden():
    with pytest.raises(CoMedicationError, match="oxycodone"):
        calculate_batch(
            "ldn-capsules", quantity=100, date=DAY, other_medicines=["Levothyroxine", "OxyContin (oxycodone) 10 mg"]
        )
    result = calculate_batch(
        "ldn-capsules",
        quantity=100,
        date=DAY,
        other_medicines=["tramadol"],
        co_medication_reason="Tramadol stopped 2026-02-20",
    )
    assert [(o.code, o.reason) for o in result.overrides] == [("opioid-co-medication", "Tramadol stopped 2026-02-20")]
    assert result.to_dict()["overrides"] == [{"code": "opioid-co-medication", "reason": "Tramadol stopped 2026-02-20"}]


def test_the_batch_carries_its_co_medication_screening():
    result = calculate_batch(
        "ldn-capsules",
        quantity=100,
        date=DAY,
        other_medicines=["Percocet 5/325 mg", "metformin"],
        co_medication_reason="stopped 2026-02-20",
    )
    assert result.screening.opioids == ("oxycodone",)
    assert [m.status.value for m in result.screening.medicines] == ["opioid", "not-listed"]
    data = result.to_dict()["screening"]
    assert data["result"] == "opioid"
    assert data["medicines"][0] == {
        "given": "Percocet 5/325 mg",
        "status": "opioid",
        "ingredients": ["oxycodone"],
        "matched": ["Percocet"],
        "suggestions": [],
        "note": None,
    }
    assert data["overrides"] == [{"code": "opioid-co-medication", "reason": "stopped 2026-02-20"}]
    assert data["summary"].startswith("Co-medication screened: Percocet 5/325 mg (oxycodone), metformin: opioid found")
    assert calculate_batch("ldn-capsules", quantity=100, date=DAY).to_dict()["screening"]["result"] == "not-screened"
    with pytest.raises(MedicineNameError, match="did you mean oxycodone"):
        calculate_batch("ldn-capsules", quantity=100, date=DAY, other_medicines=["oxycodon"])


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"quantity": "100 mL"},
            DimensionError,
            "quantity must be a number of capsules, e.g. '100', not a volume (got '100 mL')",
        ),
        ({"quantity": 0}, QuantityError, "quantity must be greater than zero (got 0)"),
        ({"quantity": -5}, QuantityError, "quantity must be greater than zero (got -5)"),
        ({"quantity": 10.5}, QuantityError, "quantity must be a whole number of capsules"),
        ({"quantity": 10**6}, QuantityError, "quantity must be at most 10000 capsules"),
        (
            {"quantity": 100, "strength": "4.5 mL"},
            DimensionError,
            "strength must be a mass per capsule, e.g. '4.5 mg', not a volume (got '4.5 mL')",
        ),
        ({"quantity": 100, "strength": "4.5 mg/capsule"}, None, ""),
        (
            {"quantity": 100, "strength": "50 mg"},
            InputError,
            "strength must be within the formula's range, 0.1 mg to 10 mg naltrexone HCl (got '50 mg')",
        ),
        ({"quantity": 100, "strength": "0.01 mg"}, InputError, "strength must be within the formula's range"),
        ({"quantity": 100, "potency": 0}, InputError, "potency must be from 90 % to 102 % (the as-is potency"),
        ({"quantity": 100, "potency": 103}, InputError, "potency must be from 90 % to 102 % (the as-is potency"),
        ({"quantity": 100, "potency": "0.9771"}, InputError, "potency must be from 90 % to 102 %"),
        ({"quantity": 100, "assay": 97}, InputError, "assay must be from 98 % to 102 % (the USP limits"),
        ({"quantity": 100, "potency": "abc"}, QuantityError, "potency must be a number (got 'abc')"),
        (
            {"quantity": 100, "assay": 99, "water": 100},
            InputError,
            "water must be at least 0 % and at most 10 % (got '100 %')",
        ),
        ({"quantity": 100, "water": 1.5}, InputError, "water must be given with an assay"),
        ({"quantity": 100, "potency": 99, "assay": 99}, InputError, "potency must not be given together with an assay"),
        ({"quantity": 100, "overage": -1}, InputError, "overage must be at least 0 % and at most 50 % (got '-1 %')"),
        ({"quantity": 100, "overage": 80}, InputError, "overage must be at least 0 % and at most 50 % (got '80 %')"),
        ({"quantity": 100, "date": "2026-13-01"}, InputError, "date must be a date written YYYY-MM-DD"),
        ({"quantity": 100, "date": "yesterday"}, InputError, "date must be a date written YYYY-MM-DD"),
        ({"quantity": 100, "lots": ["mcc"]}, InputError, "lot must be ID=LOT or ID=LOT:YYYY-MM-DD"),
        ({"quantity": 100, "lots": ["sugar=S1"]}, InputError, "lot must name a component of ldn-capsules"),
        ({"quantity": 100, "lots": ["mcc=M1:soon"]}, InputError, "lot mcc expiry must be a date"),
        ({"quantity": 100, "tablet_weight": "20 mg"}, QuantityError, "tablet weight must be at least the 50 mg"),
        ({"quantity": 100, "tablet_weight": "200 mL"}, DimensionError, "tablet weight must be a mass"),
        ({"quantity": 100, "balance_readability": "5 g"}, QuantityError, "balance readability must be at most 10 mg"),
        (
            {"quantity": 100, "capsule_size": "9"},
            InputError,
            "capsule size must be one of 000, 00, 0, 1, 2, 3, 4, 5 (got '9')",
        ),
        (
            {"quantity": 100, "strength_basis": "sulfate"},
            InputError,
            "strength basis must be one of base, hcl, hcl-dihydrate (got 'sulfate')",
        ),
        ({"quantity": 100, "lot_number": "bad lot!"}, InputError, "lot number must be 1 to 40 letters"),
    ],
)
def test_bad_capsule_inputs_name_the_field_and_value(kwargs, error, message):
    if error is None:
        calculate_batch("ldn-capsules", **{"date": DAY, **kwargs})
        return
    kwargs.setdefault("date", DAY)
    with pytest.raises(error) as info:
        calculate_batch("ldn-capsules", **kwargs)
    assert message in str(info.value)
    assert isinstance(info.value, LDNError)


@pytest.mark.parametrize(
    ("formula", "kwargs", "message"),
    [
        ("ldn-oral-liquid", {"quantity": "30 g"}, "quantity must be a volume, e.g. '120 mL', not a mass (got '30 g')"),
        (
            "ldn-oral-liquid",
            {"quantity": "100 mL", "strength": "1 mg"},
            "strength must be a mass per volume, e.g. '1 mg/mL', not a mass",
        ),
        ("ldn-oral-liquid", {"quantity": "100 L"}, "quantity must be at most 5 L"),
        (
            "ldn-oral-liquid",
            {"quantity": "100 mL", "strength": "50 mg/mL"},
            "strength must be within the formula's range",
        ),
        ("ldn-topical-cream", {"quantity": "30 mL"}, "quantity must be a mass, e.g. '4.5 mg', not a volume"),
        (
            "ldn-topical-cream",
            {"quantity": "30 g", "strength": "1 mg/mL"},
            "strength must be a mass per mass, e.g. '1 mg/g'",
        ),
        (
            "ldn-sublingual-drops",
            {"quantity": "30 mL", "drops_per_ml": 200},
            "drops per mL must be a calibrated dropper's drops per mL",
        ),
    ],
)
def test_bad_inputs_for_other_forms(formula, kwargs, message):
    with pytest.raises(LDNError) as info:
        calculate_batch(formula, date=DAY, **kwargs)
    assert message in str(info.value)


def test_unknown_formula_lists_the_known_ids():
    with pytest.raises(FormulaNotFoundError) as info:
        calculate_batch("ldn-gummies", quantity=100)
    assert "ldn-capsules, ldn-oral-liquid, ldn-sublingual-drops, ldn-topical-cream" in str(info.value)
    assert isinstance(info.value, LookupError)


# ---------------------------------------------------------------- determinism and JSON


def test_same_inputs_same_result_and_json():
    a = calculate_batch("ldn-capsules", quantity=100, potency=98, date=DAY)
    b = calculate_batch("ldn-capsules", quantity=100, potency=98, date=DAY)
    assert a == b
    assert a.to_json() == b.to_json()
    assert a.lot_number == b.lot_number == "preview"  # a lot number comes from the register


def test_json_amounts_are_strings_pint_parses():
    import pint

    data = calculate_batch("ldn-capsules", quantity=100, potency=97.71, date=DAY).to_dict()
    assert data["schema"] == "ldn-compound/batch/1"
    assert data["ingredients"][0] == {
        "id": "naltrexone-hcl",
        "name": "Naltrexone hydrochloride USP",
        "role": "active",
        "amount": "460.5 mg",
        "theoretical": "460.5 mg",
        "overage": "0 mg",
        "measure": "weigh",
        "qs": False,
        "basis": "as naltrexone HCl at 97.71 % as-is potency",
        "tablets": None,
        "lot": None,
        "aliquot": None,
    }
    registry = pint.UnitRegistry()
    for line in data["ingredients"]:
        assert registry.Quantity(line["amount"]).magnitude > 0
    assert data["beyond_use_date"] == "2026-08-28"
    assert data["aliquot"] is None


def test_a_formula_object_and_its_id_give_the_same_batch():
    formula = load_formula("ldn-capsules")
    assert calculate_batch(formula, quantity=100, date=DAY) == calculate_batch("ldn-capsules", quantity=100, date=DAY)


def test_results_are_immutable():
    result = calculate_batch("ldn-capsules", quantity=100, date=DAY)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.quantity = 5  # type: ignore[misc]


# ---------------------------------------------------------------- pharmacy variations


def _variant(tmp_path, source_id, *replacements):
    text = (Path(__file__).parents[1] / "formulas" / f"{source_id}.toml").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "variant.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_cream_dose_per_click_needs_a_measured_density(tmp_path):
    # 1 mg/g × 0.98 g/mL × 0.25 mL per click = 0.245 mg per click
    path = _variant(
        tmp_path, "ldn-topical-cream", ('click_volume = "0.25 mL"', 'click_volume = "0.25 mL"\ndensity = "0.98 g/mL"')
    )
    result = calculate_batch(path, quantity="30 g", date=DAY)
    assert format_amount(result.dose_per_unit["click"]) == "0.245 mg"
    assert "click" not in calculate_batch("ldn-topical-cream", quantity="30 g", date=DAY).dose_per_unit


def test_a_dihydrate_active_is_weighed_by_its_molecular_weight(tmp_path):
    # 4.5 mg HCl × 413.90 / 377.86 = 4.92926 mg dihydrate; × 100 = 492.926 → 492.9 mg
    path = _variant(tmp_path, "ldn-capsules", ('salt_form = "hcl"', 'salt_form = "hcl-dihydrate"'))
    result = calculate_batch(path, quantity=100, date=DAY)
    assert amounts(result)["naltrexone-hcl"] == "492.9 mg"
    assert "413.90 g/mol" in next(s.text for s in result.trace if s.title == "Salt conversion")


def test_a_fixed_minimum_weight_for_an_older_balance():
    from ldn_compound import Balance
    from ldn_compound.units import MASS, parse_quantity

    balance = Balance(
        readability=parse_quantity("1 mg", "d", MASS),
        fixed_minimum=parse_quantity("120 mg", "m", MASS),
        name="Class III",
    )
    result = calculate_batch("ldn-capsules", quantity=20, strength="4.5 mg", balance=balance, date=DAY)
    # 20 × 4.5 = 90 mg < 120 mg: weigh 200 mg, 1 in 10 → take 900 mg
    assert format_amount(result.aliquot.weigh) == "200 mg"
    assert format_amount(result.aliquot.take) == "900 mg"
    assert "Class III" in result.balance.describe()


def test_lots_as_a_mapping_and_in_formula_order():
    result = calculate_batch(
        "ldn-capsules",
        quantity=100,
        date=DAY,
        lots={"mcc": {"lot": "M-9", "expiry": dt.date(2027, 1, 1), "manufacturer": "FMC"}, "naltrexone-hcl": "NX-1"},
    )
    assert [(lot.component, lot.lot) for lot in result.lots] == [("naltrexone-hcl", "NX-1"), ("mcc", "M-9")]
    assert result.ingredients[1].lot.manufacturer == "FMC"
    with pytest.raises(InputError, match="be given once per component"):
        calculate_batch("ldn-capsules", quantity=100, date=DAY, lots=["mcc=A", "mcc=B"])


def test_powder_source_rules():
    from ldn_compound import PowderSource

    assert PowderSource().as_is_potency is None
    assert PowderSource(assay=Decimal("0.992"), water=Decimal("0.015")).as_is_potency == Decimal("0.977120")
    with pytest.raises(InputError, match="potency must be more than 0 %"):
        PowderSource(potency=Decimal("1.5"))


def test_the_strength_default_and_the_basis_of_the_default():
    result = calculate_batch("ldn-capsules", quantity=10, strength_basis="base", date=DAY)
    # the default 4.5 mg HCl written as base: 4.5 × 341.40 / 377.86 = 4.0658
    assert result.strength.describe(significant=5) == "4.0658 mg naltrexone base"
    assert format_amount(result.active.amount) == "45 mg"


def test_excipients_below_the_minimum_weight_get_their_own_aliquot():
    # drops, 30 mL: sodium benzoate 0.1 % w/v = 30 mg < 82 mg.  Its stock may hold up to half its
    # solubility (550 mg/mL ÷ 2), so the 1 mL pipette; flask: 30 × S ≥ 82 → 5 mL: weigh 150 mg
    result = calculate_batch("ldn-sublingual-drops", quantity="30 mL", date=DAY)
    benzoate = next(line for line in result.ingredients if line.id == "sodium-benzoate")
    plan = benzoate.aliquot
    assert [format_amount(q) for q in (plan.weigh, plan.dilute_to, plan.take, plan.holds)] == [
        "150 mg",
        "5 mL",
        "1 mL",
        "30 mg",
    ]
    assert result.aliquot is None  # the active (300 mg) is weighable
    assert not [w for w in result.warnings if w.code == "below-minimum-weight"]
    assert result.to_dict()["ingredients"][2]["aliquot"]["take"] == "1 mL"


def test_yield_range_follows_the_setting():
    result = calculate_batch("ldn-capsules", quantity=100, date=DAY)
    assert [format_amount(q) for q in result.yield_range] == ["95 capsules", "105 capsules"]
    wide = calculate_batch("ldn-capsules", quantity=100, date=DAY, settings=Settings(yield_tolerance=Decimal("0.1")))
    assert [format_amount(q) for q in wide.yield_range] == ["90 capsules", "110 capsules"]


# ---------------------------------------------------------------- found in review: each would be a wrong dose


def test_a_potency_typed_as_a_fraction_is_refused_not_multiplied():
    # 0.9771 (a fraction) where 97.71 (percent) belongs would ask for 100 x the naltrexone
    with pytest.raises(InputError, match="potency must be from 90 % to 102 %"):
        calculate_batch("ldn-oral-liquid", quantity="120 mL", potency="0.9771", date=DAY)
    assert amounts(calculate_batch("ldn-capsules", quantity=100, assay=100.8, date=DAY))["naltrexone-hcl"] == "446.4 mg"


def test_the_aliquot_holds_the_dose_not_the_dose_rounded_to_a_coarse_balance():
    # 17 × 0.5 mg = 8.5 mg on a 1 mg balance: rounding first would give 9 mg (+5.9 %);
    # the plan takes 850 mg of a 1 in 100 trituration of 1 g, which holds exactly 8.5 mg
    result = calculate_batch("ldn-capsules", quantity=17, strength="0.5 mg", balance_readability="1 mg", date=DAY)
    plan = result.aliquot
    assert [format_amount(q) for q in (plan.weigh, plan.dilute_to, plan.take, plan.holds)] == [
        "1 g",
        "100 g",
        "850 mg",
        "8.5 mg",
    ]
    assert format_amount(result.active.amount) == "8.5 mg"
    assert not [s for s in result.trace if s.title == "Rounding"]


def test_a_potency_corrected_aliquot_holds_the_corrected_amount_to_the_readability():
    # 30 × 1.5 mg ÷ 0.9771 = 46.0547 mg: take 460.5 mg of 1 in 10, which holds 46.05 mg (within 0.01 mg)
    result = calculate_batch("ldn-capsules", quantity=30, strength="1.5 mg", potency=97.71, date=DAY)
    assert format_amount(result.aliquot.take) == "460.5 mg"
    assert format_amount(result.aliquot.holds) == "46.05 mg"


def test_liquid_aliquots_leave_room_for_the_liquids_measured_by_volume():
    # 5 mL with only 2 mL pipettes: glycerol takes 1 mL; the active's and the ascorbic acid's portions
    # take 2 mL each, and nothing is left for the benzoate's
    only_2_ml = Settings(volumetric_pipettes=(Decimal(2),))
    with pytest.raises(AliquotError, match=r"Sodium benzoate|0 mL of Purified water USP the batch has free"):
        calculate_batch("ldn-oral-liquid", quantity="5 mL", date=DAY, settings=only_2_ml)


@pytest.mark.parametrize("volume", ["5 mL", "6 mL"])
def test_small_liquid_batches_use_each_substance_s_own_solubility(volume):
    # Before: refused ("fits in the 0 mL of the batch still free"): the 10 mg/mL limit meant for
    # naltrexone was applied to the ascorbic acid too.  5 mL at 1 mg/mL: 5 mg active, 25 mg ascorbic
    # acid, 5 mg benzoate, 1 mL glycerol.  Ascorbic acid (330 mg/mL, so up to 165 mg/mL): 1 mL of
    # a 5 mL stock of 125 mg; each portion 1 mL, 3 mL in all, within the 4 mL free.
    result = calculate_batch("ldn-oral-liquid", quantity=volume, date=DAY)
    ascorbic = next(line for line in result.ingredients if line.id == "ascorbic-acid")
    if volume == "5 mL":
        assert [format_amount(q) for q in (ascorbic.aliquot.weigh, ascorbic.aliquot.dilute_to)] == ["125 mg", "5 mL"]
    assert {line.aliquot.take for line in result.ingredients if line.aliquot} == {Q_(Decimal(1), "mL")}
    assert any("165 mg/mL" in step.text and "330 mg/mL" in step.text for step in result.trace)
    assert "1 mL volumetric pipette" in result.equipment


def test_enough_tablets_are_crushed_for_the_aliquot_weighing():
    # 30 × 0.5 mg = 15 mg HCl from 60 mg tablets: 18 mg of powder < 82 mg, so weigh 100 mg of powder:
    # one tablet (60 mg of powder) is not enough, crush 2
    result = calculate_batch("ldn-capsules", quantity=30, strength="0.5 mg", tablet_weight="60 mg", date=DAY)
    assert format_amount(result.aliquot.weigh) == "100 mg"
    assert result.active.tablets == 2
    assert any("crush 2 tablets, not 1" in s.text for s in result.trace)


def test_crushed_tablets_are_never_a_stock_solution():
    with pytest.raises(AliquotError, match="not be a stock 'solution' of crushed tablets"):
        calculate_batch(
            "ldn-oral-liquid",
            quantity="100 mL",
            strength="0.5 mg/mL",
            tablet_weight="200 mg",
            balance_readability="1 mg",
            date=DAY,
        )


def test_a_filler_below_the_minimum_weight_warns():
    result = calculate_batch(
        "ldn-capsules", quantity=2, strength="10 mg", tablet_weight="400 mg", capsule_size="4", date=DAY
    )
    assert amounts(result)["mcc"] == "60 mg"
    assert "below-minimum-weight" in [w.code for w in result.warnings]


def test_a_lot_that_shortens_the_bud_warns():
    result = calculate_batch(
        "ldn-capsules", quantity=100, date=DAY, lots={"mcc": {"lot": "M1", "expiry": "2026-03-01"}}
    )
    assert result.beyond_use.days == 0
    assert [w.code for w in result.warnings] == ["bud-shortened"]


def test_liquids_record_the_dose_they_were_checked_for():
    assert calculate_batch("ldn-oral-liquid", quantity="100 mL", date=DAY).dose is None
    checked = calculate_batch("ldn-oral-liquid", quantity="100 mL", dose="4.5 mg", date=DAY)
    assert str(checked.dose) == "4.5 mg naltrexone HCl"
    assert checked.to_dict()["dose"] == {"amount": "4.5 mg", "basis": "hcl"}
    assert str(calculate_batch("ldn-capsules", quantity=10, date=DAY).dose) == "4.5 mg naltrexone HCl"


def test_a_capsule_dose_of_several_capsules_is_checked():
    # 3 × 4.5 mg at bedtime = 13.5 mg: above the 10 mg limit
    with pytest.raises(DoseLimitError):
        calculate_batch("ldn-capsules", quantity=90, dose="13.5 mg", date=DAY)
    two = calculate_batch("ldn-capsules", quantity=60, strength="3 mg", dose="6 mg", date=DAY)
    assert [w.code for w in two.warnings] == ["dose-above-usual"]
    assert str(two.dose) == "6 mg naltrexone HCl"
    with pytest.raises(InputError, match="at least one capsule's strength, 3 mg") as caught:
        calculate_batch("ldn-capsules", quantity=60, strength="3 mg", dose="1 mg", date=DAY)  # never raised to 3 mg
    assert caught.value.code == "dose-not-measurable"
    with pytest.raises(InputError, match="whole number of 3 mg capsules"):
        calculate_batch("ldn-capsules", quantity=60, strength="3 mg", dose="4.5 mg", date=DAY)


# ---------------------------------------------------------------- the stages


def test_stages_run_by_hand_give_the_batch_result():
    from ldn_compound import batch as stages

    formula = load_formula("ldn-capsules")
    inputs = stages.read_inputs(formula, quantity=30, strength="1.5 mg", date=DAY, potency="98", settings=Settings())
    checks = stages.check_batch(inputs)
    active = stages.active_amount(inputs)
    composition = stages.excipients(inputs, active)
    weighings = stages.plan_weighings(inputs, active, composition)
    result = stages.assemble(
        inputs,
        checks=checks,
        active=active,
        composition=composition,
        weighings=weighings,
        units=stages.unit_doses(inputs),
        when=stages.dates(inputs),
    )
    assert result == calculate_batch(formula, quantity=30, strength="1.5 mg", date=DAY, potency="98")
    # 1.5 mg × 30 = 45 mg; ÷ 0.98 = 45.918367… mg → 45.9 mg on a 0.1 mg balance, below its 82 mg
    # minimum weight: an aliquot
    assert active.line.amount == Q_(Decimal("45.9"), "mg") and weighings.aliquot is not None
    for value in (inputs, checks, active, composition, weighings):
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            value.steps = ()  # type: ignore[misc]


def test_every_argument_is_read_before_any_arithmetic():
    # 1 capsule of 0.1 mg cannot be weighed (no trituration fits), but the bad lot number is named first
    with pytest.raises(InputError, match="lot number"):
        calculate_batch("ldn-capsules", quantity=1, strength="0.1 mg", date=DAY, lot_number="bad lot!")
    with pytest.raises(InputError, match="drops per mL"):
        calculate_batch("ldn-sublingual-drops", quantity="5 mL", strength="1 mg/mL", date=DAY, drops_per_ml=100)
