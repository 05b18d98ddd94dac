"""Titration schedules: doses → mL or drops, the quantity the schedule needs, and what is refused."""

from __future__ import annotations

import pytest

from ldn_compound import DoseLimitError, InputError, TitrationStep, calculate_batch
from ldn_compound.titration import parse_titration, titration_plan
from ldn_compound.units import MASS, VOLUME, format_amount, parse_quantity

DAY = "2026-03-01"


def mg(text):
    return parse_quantity(text, "dose", MASS)


def test_parse_titration_forms():
    expected = (TitrationStep(mg("1.5 mg"), 7), TitrationStep(mg("3 mg"), 7), TitrationStep(mg("4.5 mg"), None))
    assert parse_titration("1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg") == expected
    assert parse_titration("1.5mg:7; 3 mg x 7; 4.5 mg") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "titration must be steps such as"),
        ("1.5 mg, 3 mg", "give a number of days"),
        ("lots for a week", "be a step such as"),
        ("1.5 mg for 0 days, 3 mg", "last from 1 to 365 days"),
        ("1.5 mL for 7 days", "titration dose must be a mass"),
    ],
)
def test_bad_schedules(text, message):
    with pytest.raises(InputError, match=message):
        parse_titration(text)


def test_oral_liquid_schedule_in_ml():
    # 1 mg/mL: 1.5 mg = 1.5 mL × 7 = 10.5 mL; 3 mg = 3 mL × 7 = 21 mL; total 31.5 mL;
    # then 4.5 mL a day from the remaining 120 − 31.5 = 88.5 mL → 19 whole days
    batch = calculate_batch("ldn-oral-liquid", quantity="120 mL", date=DAY)
    plan = titration_plan(batch, parse_titration("1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg"))
    assert [format_amount(r.measure) for r in plan.rows] == ["1.5 mL", "3 mL", "4.5 mL"]
    assert [None if r.used is None else format_amount(r.used) for r in plan.rows] == ["10.5 mL", "21 mL", None]
    assert format_amount(plan.total) == "31.5 mL"
    assert plan.days_remaining == 19


def test_drops_schedule_in_whole_drops():
    # 10 mg/mL at 20 drops/mL = 0.5 mg per drop: 1.5 mg = 3 drops (0.15 mL a day × 7 = 1.05 mL)
    batch = calculate_batch("ldn-sublingual-drops", quantity="30 mL", date=DAY)
    plan = titration_plan(batch, parse_titration("1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg"))
    assert [r.measure_text for r in plan.rows] == ["3 drops", "6 drops", "9 drops"]
    assert format_amount(plan.total) == "3.15 mL"
    assert plan.rows[-1].text == "then 4.5 mg (9 drops) once daily"


def test_a_dose_that_is_not_whole_drops_is_refused():
    batch = calculate_batch("ldn-sublingual-drops", quantity="30 mL", date=DAY)
    with pytest.raises(
        InputError, match=r"titration dose must be a whole number of drops of 0.5 mg \(it is 2.5 drops\)"
    ):
        titration_plan(batch, parse_titration("1.25 mg"))


def test_a_volume_the_syringe_cannot_measure_is_refused():
    batch = calculate_batch("ldn-oral-liquid", quantity="120 mL", date=DAY)
    with pytest.raises(InputError, match="whole number of 0.1 mL graduations"):
        titration_plan(batch, parse_titration("1.25 mg"))


def test_a_schedule_longer_than_the_batch_is_refused():
    batch = calculate_batch("ldn-oral-liquid", quantity="30 mL", date=DAY)
    with pytest.raises(InputError, match="fit in the 30 mL given to the patient"):
        titration_plan(batch, parse_titration("4.5 mg for 30 days"))


def test_a_schedule_is_checked_against_what_is_dispensed_not_the_overage():
    # 100 mL made with 10 % overage (110 mL), 30 mL dispensed: 1.5 mL × 14 + 3 mL × 14 = 63 mL > 30 mL
    batch = calculate_batch("ldn-oral-liquid", quantity="100 mL", overage=10, date=DAY)
    steps = parse_titration("1.5 mg for 14 days, 3 mg for 14 days")
    assert format_amount(titration_plan(batch, steps).total) == "63 mL"
    with pytest.raises(InputError, match="fit in the 30 mL given to the patient"):
        titration_plan(batch, steps, quantity=parse_quantity("30 mL", "q", VOLUME))
    with pytest.raises(InputError, match="fit in the 100 mL given"):
        titration_plan(batch, parse_titration("4.5 mg for 23 days"))  # 103.5 mL: more than asked for, less than made


def test_a_schedule_must_end_by_the_beyond_use_date():
    batch = calculate_batch("ldn-oral-liquid", quantity="200 mL", date=DAY)  # BUD 35 days
    with pytest.raises(InputError, match="end by the beyond-use date, 35 days after compounding"):
        titration_plan(batch, parse_titration("1 mg for 20 days, 2 mg for 20 days, then 3 mg"))
    plan = titration_plan(batch, parse_titration("1 mg for 7 days, then 3 mg"))
    assert plan.days_remaining == 28  # the volume would last longer; the BUD does not


def test_whole_drops_are_counted_exactly_with_a_dropper_of_30_drops_per_ml():
    # 10 mg/mL at 30 drops/mL = 1/3 mg per drop: 1 mg = 3 drops, 2 mg = 6 drops
    batch = calculate_batch("ldn-sublingual-drops", quantity="30 mL", drops_per_ml=30, date=DAY)
    plan = titration_plan(batch, parse_titration("1 mg for 7 days, 2 mg for 7 days, then 3 mg"))
    assert [r.measure_text for r in plan.rows] == ["3 drops", "6 drops", "9 drops"]


def test_titration_doses_are_held_to_the_dose_limit():
    batch = calculate_batch("ldn-oral-liquid", quantity="120 mL", date=DAY)
    with pytest.raises(DoseLimitError):
        titration_plan(batch, parse_titration("12 mg"))
    allowed = calculate_batch(
        "ldn-oral-liquid", quantity="120 mL", dose="12 mg", high_dose_reason="Specialist protocol", date=DAY
    )
    assert titration_plan(allowed, parse_titration("12 mg")).rows[0].measure_text == "12 mL"


def test_capsules_cannot_be_titrated_by_measure():
    batch = calculate_batch("ldn-capsules", quantity=100, date=DAY)
    with pytest.raises(InputError, match="oral liquid or sublingual drops"):
        titration_plan(batch, parse_titration("4.5 mg"))


def test_a_titration_longer_than_a_line_is_refused_before_it_is_matched() -> None:
    from ldn_compound.titration import parse_titration as parse

    with pytest.raises(InputError, match=r"titration must be at most 1000 characters \(got 100011\)"):
        parse("1 mg" + " " * 100_000 + "x, 3 mg")
