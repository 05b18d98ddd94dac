"""Batch documents: ``BatchResult.from_dict`` rebuilds what ``to_dict`` wrote; ``dumps`` writes what json writes."""

from __future__ import annotations

import collections
import copy
import enum
import functools
import hashlib
import json
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ldn_compound import BatchResult, InputError, calculate_batch, load_formula, load_formulas
from ldn_compound.jsonio import dumps
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
                assay_basis="anhydrous",
                lots=[f"{load_formula(formula_id).active.id}=NX1:2027-01-31"],
                overage=3,
            )
        )
        if form != "sublingual-drops":  # 300 mg at 98 % is an aliquot that does not fit 30 mL
            out.append(calculate_batch(formula_id, quantity=quantity, potency=98, balance_readability="1 mg"))
    out.append(calculate_batch("ldn-capsules", quantity=60, tablet_weight="180 mg", strength="1.5 mg"))
    out.append(calculate_batch("ldn-capsules", quantity=60, assay=99, assay_basis="dried", loss_on_drying=0.4))
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


# --------------------------------------------------------------------------- the JSON text


def _json_module(value: object) -> str:
    """The text the json module writes, the definition :func:`ldn_compound.jsonio.dumps` follows."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _outcome(write, value: object) -> tuple[str, object]:
    try:
        return "text", write(value)
    except Exception as error:  # noqa: BLE001 - the same error, or the same text, is the test
        return "error", (type(error), str(error))


class _Colour(enum.StrEnum):
    RED = "red"


class _Size(enum.IntEnum):
    ONE = 1


#: Text the JSON writer must escape, or must keep as it is: control characters, quotes and
#: backslashes, DEL, the line and paragraph separators, bidirectional controls, astral
#: characters, a lone surrogate, combining marks.
_ODD = (
    '\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f"\\/\x7f\x85\u2028\u2029\u202e\ufeff\U0001f48a\U00010000\udcff e\u0301 Zoë'
)
odd_text = st.text(alphabet=st.sampled_from(_ODD) | st.characters(), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | odd_text
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(odd_text, children, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_dumps_writes_what_the_json_module_writes(value):
    assert _outcome(dumps, value) == _outcome(_json_module, value)


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [], "c": {}, "d": ()},
        [[[[[]]]]],
        "",
        _ODD,
        {_ODD: _ODD},
        -0.0,
        1e300,
        5e-324,
        float("nan"),
        [float("inf"), float("-inf")],
        {"colour": _Colour.RED, _Colour.RED: _Size.ONE},
        collections.OrderedDict([("b", 1), ("a", 2)]),
        {3: "three", 2.5: "two and a half", True: "yes", None: "nothing"},
        {"a": 1, 2: "b"},  # keys that cannot be sorted together
        {"amount": Decimal("4.5")},  # not JSON
        [{"x": b"bytes"}],
        functools.reduce(lambda inner, _: [inner], range(40), []),  # deeper than any document
        True,
        None,
        10**40,
    ],
    ids=repr,
)
def test_dumps_writes_odd_values_as_the_json_module_does(value):
    assert _outcome(dumps, value) == _outcome(_json_module, value)


def test_dumps_refuses_a_circular_value_as_the_json_module_does():
    circular: list[object] = []
    circular.append({"again": circular})
    assert _outcome(dumps, circular) == _outcome(_json_module, circular)


@pytest.mark.parametrize("result", batches(), ids=lambda r: r.formula.id)
def test_the_batch_text_and_fingerprint_are_the_json_modules(result):
    document = result.to_dict()
    body = {key: value for key, value in document.items() if key != "fingerprint"}
    assert document["fingerprint"] == hashlib.sha256(_json_module(body).encode()).hexdigest()[:12]
    assert result.fingerprint == document["fingerprint"]
    assert result.to_json() == _json_module(document)
