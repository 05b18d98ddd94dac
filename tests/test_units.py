"""Quantities: reading text with a dimension check, and printing amounts as a pharmacist writes them."""

from __future__ import annotations

from decimal import Decimal

import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ldn_compound.exceptions import DimensionError, QuantityError
from ldn_compound.units import (
    CONCENTRATION,
    COUNT_CAPSULE,
    MASS,
    MASS_FRACTION,
    Q_,
    VOLUME,
    divided,
    format_amount,
    format_number,
    minus,
    new_quantity,
    parse_quantity,
    plus,
    round_to_step,
    scaled,
    sum_of,
)
from tests import strategies


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("4.5 mg", MASS, "4.5 mg"),
        ("0.0025 g", MASS, "2.5 mg"),
        ("23680 mg", MASS, "23.68 g"),
        ("0.5 mg", MASS, "0.5 mg"),
        ("0.05 mg", MASS, "50 mcg"),
        ("250 mcg", MASS, "0.25 mg"),
        ("1 mg/mL", CONCENTRATION, "1 mg/mL"),
        ("5 mg/5 mL", CONCENTRATION, "1 mg/mL"),
        ("1 g/100 mL", CONCENTRATION, "10 mg/mL"),
        ("250 mL", VOLUME, "250 mL"),
        ("1.2 L", VOLUME, "1.2 L"),
        ("30 g", MASS, "30 g"),
        ("1 mg/g", MASS_FRACTION, "1 mg/g"),
        ("100", COUNT_CAPSULE, "100 capsules"),
        ("4,5 mg", MASS, "4.5 mg"),
        ("0 mg", MASS, "0 mg"),
    ],
)
def test_text_reads_and_prints_as_a_pharmacist_writes_it(text, kind, expected):
    quantity = parse_quantity(
        text, "amount", kind, default_unit="capsule" if kind is COUNT_CAPSULE else None, positive=text != "0 mg"
    )
    assert format_amount(quantity) == expected


def test_no_float_artefacts_in_arithmetic():
    dose = parse_quantity("4.5 mg", "dose", MASS)
    total = dose * 100
    assert format_amount(total) == "450 mg"
    assert format_amount(parse_quantity(0.1, "x", MASS, default_unit="mg") * 3) == "0.3 mg"


def test_a_concentration_written_as_a_ratio_is_read_as_a_ratio_not_mg_times_ml():
    assert parse_quantity("5 mg/5 mL", "strength", CONCENTRATION) == Q_(Decimal(1), "mg/mL")


def test_megalitre_is_not_a_unit_we_know():
    with pytest.raises(QuantityError, match="units ldn_compound knows"):
        parse_quantity("1 mg/ML", "strength", CONCENTRATION)


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ("4.5 mL", MASS, "strength must be a mass, e.g. '4.5 mg', not a volume (got '4.5 mL')"),
        ("1 mg", CONCENTRATION, "strength must be a mass per volume, e.g. '1 mg/mL', not a mass (got '1 mg')"),
        ("-3 mg", MASS, "strength must be greater than zero (got '-3 mg')"),
        ("0 mg", MASS, "strength must be greater than zero (got '0 mg')"),
        ("4.5", MASS, "strength must carry a unit"),
        ("abc", MASS, "strength must be a number followed by a unit"),
        ("", MASS, "strength must be a mass"),
        ("1e400 mg", MASS, "strength must be a number of sensible size"),
        ("5 mg/0 mL", CONCENTRATION, "strength must not divide by zero"),
        ("1,000 mg", MASS, "strength must be written without a thousands separator"),
        ("4.5 furlongs", MASS, "strength must use units ldn_compound knows"),
        ("0)", MASS, "strength must use units ldn_compound knows"),
        ("5 mg)", MASS, "strength must use units ldn_compound knows"),
        (None, MASS, "strength must be a mass"),
        (True, MASS, "strength must be a mass"),
    ],
)
def test_bad_quantities_name_the_field_and_the_value(value, kind, message):
    with pytest.raises(QuantityError) as info:
        parse_quantity(value, "strength", kind)
    assert message in str(info.value)
    assert info.value.field == "strength"


def test_wrong_dimension_is_a_dimension_error_and_a_value_error():
    with pytest.raises(DimensionError) as info:
        parse_quantity("4.5 mL", "strength", MASS)
    assert isinstance(info.value, ValueError)
    assert info.value.expected.startswith("a mass")
    assert info.value.got == "a volume"


def test_a_quantity_from_another_registry_is_rebuilt_in_ours():
    other = pint.UnitRegistry()
    quantity = parse_quantity(other.Quantity(4.5, "milligram"), "dose", MASS)
    assert quantity == Q_(Decimal("4.5"), "mg")
    assert isinstance(quantity.magnitude, Decimal)
    assert (quantity * 2).magnitude == Decimal("9.0")


def test_equal_quantities_in_different_units_are_equal_and_hash_equal():
    a = parse_quantity("1 mg", "a", MASS)
    b = parse_quantity("0.001 g", "b", MASS)
    assert a == b
    assert hash(a) == hash(b)


def test_format_number_rounds_half_up_and_drops_trailing_zeros():
    assert format_number(Decimal("4.98055"), significant=4) == "4.981"
    assert format_number(Decimal("2.50")) == "2.5"
    assert format_number(Decimal("0.05"), places=1) == "0.1"
    assert format_number(Decimal("1E+2")) == "100"


def test_round_to_step_is_half_up_to_the_readability():
    assert round_to_step(Decimal("460.54678"), Decimal("0.1")) == Decimal("460.5")
    assert round_to_step(Decimal("460.55"), Decimal("0.1")) == Decimal("460.6")
    assert round_to_step(Decimal("81.01"), Decimal(1), up=True) == Decimal(82)


@given(strategies.masses_mg)
def test_printed_amounts_read_back_to_the_same_quantity(mg):
    quantity = Q_(mg, "mg")
    assert parse_quantity(format_amount(quantity), "amount", MASS) == quantity


@given(strategies.decimals("0.001", "5000", 3).filter(lambda d: d > 0))
def test_printed_volumes_read_back_to_the_same_quantity(ml):
    quantity = Q_(ml, "mL")
    assert parse_quantity(format_amount(quantity), "amount", VOLUME) == quantity


@given(strategies.masses_mg)
def test_mass_unit_round_trip_is_exact(mg):
    quantity = Q_(mg, "mg")
    assert quantity.to("g").to("mcg").to("mg") == quantity


def test_rounding_that_reaches_the_next_unit_prints_in_it():
    assert format_amount(Q_(Decimal("999.99995"), "mg"), significant=6) == "1 g"
    assert format_amount(Q_(Decimal("0.09999999"), "mg"), significant=4) == "0.1 mg"


# --------------------------------------------------------------------------- quantities built directly, caches


def _same(first: object, second: object) -> bool:
    """Whether two quantities are the same in every way that shows: class, magnitude (its repr), units."""
    assert isinstance(first, pint.Quantity)
    assert isinstance(second, pint.Quantity)
    return (
        type(first) is type(second)
        and repr(first.magnitude) == repr(second.magnitude)
        and type(first.magnitude) is type(second.magnitude)
        and first.units == second.units
    )


UNITS = ["mg", "g", "mcg", "kg", "mL", "L", "mg/mL", "mg/g", "g/mL", "capsule", "drop", "click", "", "%"]
magnitudes = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-(10**9), max_value=10**9),
    st.integers(min_value=-(10**6), max_value=10**6),
)


@given(magnitudes, st.sampled_from(UNITS))
def test_new_quantity_is_the_quantity_pint_builds(value, unit):
    assert _same(new_quantity(value, unit), Q_(value, unit))


def test_new_quantity_leaves_other_values_to_pint():
    assert _same(new_quantity(4.5, "mg"), Q_(4.5, "mg"))
    with pytest.raises(TypeError):
        new_quantity(True, "mg")


def _pint_or_error(operation):
    try:
        return operation()
    except Exception as error:  # noqa: BLE001 - the same error is the test
        return type(error)


numbers = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-1000, max_value=1000),
    st.integers(min_value=-1000, max_value=1000),
)
#: Another registry's quantities: pint's operators refuse to mix them with ours, and so must ours.
_OTHER = pint.UnitRegistry(non_int_type=Decimal)
quantities = st.one_of(
    st.builds(Q_, magnitudes, st.sampled_from(["mg", "g", "mL", "mg/mL", "capsule"])),
    st.builds(_OTHER.Quantity, magnitudes, st.sampled_from(["mg", "g", "mL"])),
)


@given(quantities, numbers)
def test_scaled_and_divided_are_pints_product_and_quotient(quantity, number):
    for mine, theirs in ((scaled, lambda a, b: a * b), (divided, lambda a, b: a / b)):
        expected = _pint_or_error(lambda: theirs(quantity, number))  # noqa: B023 - called at once
        got = _pint_or_error(lambda: mine(quantity, number))  # noqa: B023
        assert got == expected if isinstance(expected, type) else _same(got, expected)


@given(quantities, quantities)
def test_plus_and_minus_are_pints_sum_and_difference(first, second):
    for mine, theirs in ((plus, lambda a, b: a + b), (minus, lambda a, b: a - b)):
        expected = _pint_or_error(lambda: theirs(first, second))  # noqa: B023 - called at once
        got = _pint_or_error(lambda: mine(first, second))  # noqa: B023
        assert got == expected if isinstance(expected, type) else _same(got, expected)


@given(st.lists(quantities, max_size=5), quantities)
def test_sum_of_is_pints_sum(items, start):
    expected = _pint_or_error(lambda: sum(items, start))
    got = _pint_or_error(lambda: sum_of(items, start))
    assert got == expected if isinstance(expected, type) else _same(got, expected)


def test_scaled_by_a_float_is_pints():
    quantity = Q_(Decimal("4.5"), "mg")
    assert _pint_or_error(lambda: scaled(quantity, 1.5)) is _pint_or_error(lambda: quantity * 1.5)  # type: ignore[arg-type]


def test_text_read_again_is_a_new_quantity_each_time():
    first = parse_quantity("4.5 mg", "dose", MASS)
    second = parse_quantity("4.5 mg", "dose", MASS)
    assert first is not second
    first *= 2  # a caller's change to its own quantity changes nothing read later
    assert _same(parse_quantity("4.5 mg", "dose", MASS), second)
    assert format_amount(parse_quantity("4.5 mg", "dose", MASS)) == "4.5 mg"


def test_text_refused_names_its_field_every_time():
    for field in ("dose", "strength"):
        with pytest.raises(DimensionError) as caught:
            parse_quantity("4.5 mL", field, MASS)
        assert caught.value.field == field
    with pytest.raises(QuantityError, match="greater than zero"):
        parse_quantity("0 mg", "dose", MASS)
    assert format_amount(parse_quantity("0 mg", "dose", MASS, positive=False)) == "0 mg"


def test_the_same_text_read_as_another_kind_or_default_unit():
    assert format_amount(parse_quantity("100", "quantity", COUNT_CAPSULE, default_unit="capsule")) == "100 capsules"
    with pytest.raises(QuantityError, match="carry a unit"):
        parse_quantity("100", "quantity", COUNT_CAPSULE)
    assert format_amount(parse_quantity("100", "dose", MASS, default_unit="mg")) == "100 mg"
