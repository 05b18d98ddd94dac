"""Arbitrary input never escapes as anything but one of the package's own errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ldn_compound import LDNError, calculate_batch
from ldn_compound.loader import parse_formula
from ldn_compound.units import CONCENTRATION, COUNT_CAPSULE, MASS, MASS_FRACTION, VOLUME, parse_quantity

KINDS = st.sampled_from([MASS, VOLUME, CONCENTRATION, MASS_FRACTION, COUNT_CAPSULE])
UNITISH = st.text(alphabet="0123456789.,-+eE /*%mgLlcapsuledropµMkK()^", max_size=20)
VALUES = st.one_of(
    st.text(max_size=30),
    UNITISH,
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
)
BASE = tomllib.loads((Path(__file__).parents[1] / "formulas" / "ldn-capsules.toml").read_text(encoding="utf-8"))


@given(VALUES, KINDS)
def test_the_quantity_parser_raises_only_its_own_errors(value, kind):
    try:
        parse_quantity(value, "field", kind)
    except LDNError as error:
        assert "field" in str(error)


@given(st.sampled_from(sorted(BASE)), VALUES)
def test_the_loader_reports_any_value_at_any_top_level_key_as_a_problem(key, value):
    data = dict(BASE)
    data[key] = value
    try:
        parse_formula(data, "fuzz")
    except LDNError:
        pass


@given(
    st.sampled_from(["default", "minimum", "maximum", "basis"]),
    VALUES,
    st.integers(min_value=0, max_value=1),
    st.sampled_from(["id", "name", "role", "amount", "salt_form", "grade"]),
    VALUES,
)
def test_the_loader_survives_any_value_in_nested_tables(
    strength_key, strength_value, index, component_key, component_value
):
    data = dict(BASE)
    data["strength"] = {**BASE["strength"], strength_key: strength_value}
    components = [dict(c) for c in BASE["components"]]
    components[index][component_key] = component_value
    data["components"] = components
    try:
        parse_formula(data, "fuzz")
    except LDNError:
        pass


@given(
    st.sampled_from(["ldn-capsules", "ldn-oral-liquid", "ldn-sublingual-drops", "ldn-topical-cream"]),
    st.sampled_from(
        ["quantity", "strength", "overage", "potency", "tablet_weight", "balance_readability", "date", "dose"]
    ),
    VALUES,
)
def test_calculate_batch_raises_only_its_own_errors(formula, field, value):
    defaults = {
        "ldn-capsules": 100,
        "ldn-oral-liquid": "120 mL",
        "ldn-sublingual-drops": "30 mL",
        "ldn-topical-cream": "30 g",
    }
    kwargs = {"quantity": defaults[formula], "date": "2026-03-01", field: value}
    try:
        calculate_batch(formula, **kwargs)
    except LDNError:
        pass


OPTIONS = st.sampled_from(
    [
        "--quantity",
        "--strength",
        "--strength-basis",
        "--overage",
        "--potency",
        "--assay",
        "--water",
        "--tablets",
        "--balance-readability",
        "--lot",
        "--date",
        "--capsule-size",
        "--dose",
        "--titration",
        "--lot-number",
    ]
)


@given(
    st.sampled_from(
        ["ldn-capsules", "ldn-oral-liquid", "ldn-sublingual-drops", "ldn-topical-cream", "no-such-formula"]
    ),
    st.lists(st.tuples(OPTIONS, st.one_of(st.text(max_size=20), UNITISH, st.integers().map(str))), max_size=4),
)
def test_the_batch_command_fails_only_with_one_clean_error_line(formula, options):
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    from ldn_compound.cli import main

    argv = ["batch", formula]
    for option, value in options:
        argv += [option, value]
    if "--quantity" not in argv:
        argv += ["--quantity", "100" if formula == "ldn-capsules" else "30 mL"]
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main([*argv, "--date", "2026-03-01", "--json"] if "--date" not in argv else [*argv, "--json"])
    assert status in {0, 1, 2}
    assert "Traceback" not in err.getvalue()
    if status:
        lines = err.getvalue().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("error: ")
        assert out.getvalue() == ""
