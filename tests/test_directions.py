"""Directions as a value: sig codes, English text, the label sentence, and the checks of a batch."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from importlib import resources

import attrs
import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ldn_compound import (
    Directions,
    DoseLimitError,
    InputError,
    LDNError,
    Prescription,
    Settings,
    SigCodeFileError,
    calculate_batch,
    format_amount,
    load_formula,
    parse_directions,
    parse_sig,
)
from ldn_compound.directions import builtin_sig_codes, load_sig_codes, read_directions, read_sig_codes
from ldn_compound.units import Q_
from tests import strategies

DAY = "2026-03-01"
CODES = builtin_sig_codes()


# ---------------------------------------------------------------- sig codes


@pytest.mark.parametrize(
    ("sig", "english", "spanish"),
    [
        ("1 cap po qhs", "Take 1 capsule by mouth at bedtime", "Tome 1 cápsula por vía oral al acostarse"),
        ("0.5 mL sl qam", "Place 0.5 mL under the tongue every morning", "Coloque 0.5 mL debajo de la lengua cada mañana"),
        (
            "3 gtt sl qhs",
            "Place 3 drops under the tongue at bedtime",
            "Coloque 3 gotas debajo de la lengua al acostarse",
        ),
        ("1 click top qd", "Apply 1 click to the skin once daily", "Aplique 1 pulsación en la piel una vez al día"),
        ("2 clicks top qd", "Apply 2 clicks to the skin once daily", "Aplique 2 pulsaciones en la piel una vez al día"),
        ("1 gtt sl qhs", "Place 1 drop under the tongue at bedtime", "Coloque 1 gota debajo de la lengua al acostarse"),
        ("2 caps po bid", "Take 2 capsules by mouth twice daily", "Tome 2 cápsulas por vía oral dos veces al día"),
        ("4.5 mg po qpm", "Take 4.5 mg by mouth every evening", "Tome 4.5 mg por vía oral cada noche"),
        ("po qhs", "Take by mouth at bedtime following the dosing schedule",
         "Tome por vía oral al acostarse según el calendario de dosis"),
        ("1 cap po ud", "Take 1 capsule by mouth as directed", "Tome 1 cápsula por vía oral según las indicaciones"),
        ("1 CAP PO QHS", "Take 1 capsule by mouth at bedtime", "Tome 1 cápsula por vía oral al acostarse"),
    ],
)  # fmt: skip
def test_sig_codes_render_english_and_spanish_sentences(sig, english, spanish):
    directions = parse_sig(sig)
    assert directions.text() == english
    assert directions.text("en") == english
    assert directions.text("es") == spanish
    assert str(directions) == english


@pytest.mark.parametrize("code", sorted(CODES.by_code))
def test_every_sig_code_expands_to_words_in_both_languages(code):
    meaning = CODES.by_code[code]
    kind = type(meaning).__name__
    parts = {"SigUnit": None, "Route": "po", "Timing": "qhs"}
    if kind == "SigUnit":
        route = "top" if meaning.key == "click" else ("sl" if meaning.key == "drop" else "po")
        sig = f"2 {code} {route} qhs"
    elif kind == "Route":
        sig = f"1 {'click' if code == 'top' else 'cap'} {code} {parts['Timing']}"
    else:
        sig = f"1 cap po {code}"
    directions = parse_sig(sig)
    english, spanish = directions.text(), directions.text("es")
    if kind == "SigUnit":
        assert directions.unit == meaning
        assert meaning.en_plural in english.split()
        assert meaning.es_plural in spanish.split()
    else:
        assert meaning.en in english
        assert meaning.es in spanish
    # never an abbreviation on a label: no code of the sentence's meanings is printed as a word
    words = {word.lower() for word in english.split()}
    printed = {c for c in CODES.by_code if c in words and c not in {"daily", "mg", "ml", "click", "clicks"}}
    assert printed == set()


def test_timings_know_their_administrations_a_day():
    per_day = {timing.key: timing.per_day for timing in CODES.timings.values()}
    assert per_day == {
        "bedtime": 1,
        "morning": 1,
        "evening": 1,
        "daily": 1,
        "twice-daily": 2,
        "three-times-daily": 3,
        "as-needed": None,
        "as-directed": None,
    }


@pytest.mark.parametrize(
    ("sig", "code", "message"),
    [
        ("1 cap po qhz", "unknown-sig-code", "did you mean 'qhs'?"),
        ("1 capsul po qhs", "unknown-sig-code", "did you mean 'caps'?"),
        ("1 cap po", "invalid-sig", "AMOUNT UNIT ROUTE TIMING"),
        ("1 cap qhs po", "invalid-sig", "'qhs' is a timing where a route belongs"),
        ("cap po qhs", "invalid-sig", "AMOUNT UNIT ROUTE TIMING"),
        (".5 mL sl qam", "invalid-sig", "leading zero"),
        ("1 cap po qhs prn", "invalid-sig", "AMOUNT UNIT ROUTE TIMING"),
        ("", "invalid-sig", "AMOUNT UNIT ROUTE TIMING"),
    ],
)
def test_bad_sig_codes_are_refused_with_their_code(sig, code, message):
    with pytest.raises(InputError, match=message) as caught:
        parse_sig(sig)
    assert caught.value.code == code


def test_an_unknown_code_names_the_code():
    with pytest.raises(InputError) as caught:
        parse_sig("1 cap po qod")
    assert caught.value.field == "sig code"
    assert caught.value.value == "qod"


def test_counted_units_take_whole_amounts():
    with pytest.raises(InputError, match="whole number of capsules"):
        parse_sig("1.5 cap po qhs")
    with pytest.raises(InputError, match="whole number of drops"):
        parse_directions("Place 2.5 drops under the tongue at bedtime")


# ---------------------------------------------------------------- free text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Take 3 capsules by mouth at bedtime", Directions(3, "capsule", "po", "qhs")),
        ("take one capsule by mouth at bedtime.", Directions(1, "capsule", "po", "qhs")),
        ("Take 1 capsule by mouth once daily in the morning", Directions(1, "capsule", "po", "qam")),
        ("Take 2 capsules orally twice a day", Directions(2, "capsule", "po", "bid")),
        ("Take 4.5 mL by mouth every evening", Directions("4.5", "mL", "po", "qpm")),
        ("Take 4.5 milliliters by mouth at bedtime", Directions("4.5", "mL", "po", "qhs")),
        ("Take 4.5 mg by mouth at bedtime", Directions("4.5", "mg", "po", "qhs")),
        ("Take by mouth at bedtime as on the dosing schedule", Directions(None, None, "po", "qhs")),
        ("Place 5 drops under the tongue at bedtime", Directions(5, "drop", "sl", "qhs")),
        ("Place 0.5 mL under the tongue every morning", Directions("0.5", "mL", "sl", "qam")),
        ("Take 3 drops sublingually once daily", Directions(3, "drop", "sl", "qd")),
        ("Apply 1 click to the inner wrist once daily", Directions(1, "click", "top", "qd", site="inner wrist")),
        ("Apply 2 clicks to the skin at bedtime", Directions(2, "click", "top", "qhs")),
        ("Rub 1 pump on the inner forearm twice daily", Directions(1, "click", "top", "bid", site="inner-forearm")),
        ("  Take   1  CAPSULE by mouth   AT BEDTIME ", Directions(1, "capsule", "po", "qhs")),
    ],
)
def test_english_directions_for_each_form(text, expected):
    assert parse_directions(text) == expected
    assert read_directions(text) == expected


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("Take 1 capsule by mouth at bedtime and rub in", "expected the end at 'and rub in'"),
        ("Take 1 capsule", "expected a route at the end"),
        ("Take a spoonful at night", "expected a route at 'a spoonful at night'"),
        ("Swallow 1 capsule by mouth at bedtime", "expected a verb"),
        ("Take 1 capsule by mouth", "expected a timing at the end"),
        ("Take 1 spoon by mouth at bedtime", "expected a unit at 'spoon by mouth at bedtime'"),
        ("Apply 1 capsule by mouth at bedtime", "expected a verb for by mouth"),
        ("Take 1 capsule by mouth at bedtime following the dosing schedule", "expected the end"),
    ],
)
def test_unreadable_text_is_refused_with_one_error_that_teaches(text, where):
    with pytest.raises(InputError) as caught:
        parse_directions(text)
    error = caught.value
    assert error.code == "unreadable-directions"
    assert error.field == "directions"
    message = str(error)
    assert where in message
    for phrase in ("by mouth", "under the tongue", "to the skin", "at bedtime", "twice daily", "capsule(s)"):
        assert phrase in message  # the phrases it understands
    assert "'1 cap po qhs'" in message  # and the sig code to use instead
    assert "\n" not in message


def test_long_input_is_refused_before_it_is_read():
    for text in ("Take " + "1 " * 5000 + "capsule", "1 " * 10_000, "Take 1 capsule by mouth " + "a" * 300):
        with pytest.raises(InputError) as caught:
            read_directions(text)
        assert caught.value.code == "directions-too-long"


def test_sig_or_english_is_told_by_the_first_word():
    assert read_directions("1 cap po qhs") == read_directions("Take 1 capsule by mouth at bedtime")
    with pytest.raises(InputError) as caught:
        read_directions("Swallow 1 capsule")  # not a verb it knows: read as sig codes
    assert caught.value.code == "invalid-sig"
    with pytest.raises(InputError, match="be a Directions value"):
        read_directions(42)  # type: ignore[arg-type]


@given(strategies.directions())
def test_rendering_then_reading_gives_the_same_value(directions):
    assert parse_directions(directions.text()) == directions


def test_a_value_can_be_built_from_words_and_is_checked():
    assert Directions(1, "capsule", "by mouth", "at bedtime") == parse_sig("1 cap po qhs")
    with pytest.raises(InputError, match="amount and its unit together"):
        Directions(1, None, "po", "qhs")
    with pytest.raises(InputError, match="more than 0"):
        Directions(0, "cap", "po", "qhs")
    with pytest.raises(InputError, match="a place for the route 'oral'"):
        Directions(1, "cap", "po", "qhs", site="inner-wrist")
    with pytest.raises(InputError, match="known timing"):
        Directions(1, "cap", "po", "every full moon")
    with pytest.raises(InputError) as caught:
        parse_sig("1 cap po qhs").text("fr")
    assert caught.value.code == "unsupported-language"


# ---------------------------------------------------------------- the data file and a pharmacy's own codes


def test_the_sig_code_file_names_its_sources_and_grammar():
    text = resources.files("ldn_compound").joinpath("sigcodes.toml").read_text(encoding="utf-8")
    header = text[: text.index("\n[")]
    for source in ("reference", "ISMP", "USP <17>", "Grammar", "per_day"):
        assert source in header
    for meaning in [*CODES.units.values(), *CODES.routes.values(), *CODES.timings.values(), *CODES.sites.values()]:
        assert meaning.en and meaning.es


OWN = """
[timing.nightly]
codes = ["qn"]
en = "every night"
es = "cada noche"
per_day = 1
"""


def test_a_pharmacy_adds_its_own_codes(tmp_path):
    path = tmp_path / "our-sig-codes.toml"
    path.write_text(OWN, encoding="utf-8")
    settings = Settings(sig_code_file=str(path))
    directions = parse_sig("1 cap po qn", settings=settings)
    assert directions.text() == "Take 1 capsule by mouth every night"
    assert directions.per_day == 1
    assert parse_directions("Take 1 capsule by mouth every night", settings=settings) == directions
    with pytest.raises(InputError):
        parse_sig("1 cap po qn")  # not a built-in code
    batch = calculate_batch("ldn-capsules", quantity=30, directions="1 cap po qn", date=DAY, settings=settings)
    assert batch.days_supply == 30
    assert load_sig_codes(str(path)) is load_sig_codes(str(path))  # read once


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[timing.bedtime]\ncodes = ["zz"]\nen = "x"\nes = "y"', "$.timing.bedtime: is already defined"),
        ('[timing.nightly]\ncodes = ["qhs"]\nen = "x"\nes = "y"', "'qhs' already means timing bedtime"),
        ('[timing.nightly]\ncodes = ["qn"]\nen = "x"', "$.timing.nightly.es: is required"),
        ('[timing.nightly]\ncodes = ["qn"]\nen = "x"\nes = "y"\nper_day = 0.5', "per_day: must be a whole number"),
        ('[dose.x]\nen = "x"', "$.dose: is not a known table"),
        ('[unit.spoon]\ncodes = []\nen = "a"\nen_plural = "b"\nes = "c"\nes_plural = "d"\nforms = []', "must be one of the units"),
        ('[site.ear]\nroute = "otic"\nen = "to the ear"\nes = "en el oído"', "must name a route"),
        ("not toml [", "is not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_sig_code_file_lists_its_problems(tmp_path, text, problem):
    path = tmp_path / "codes.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SigCodeFileError) as caught:
        load_sig_codes(path)
    assert problem in str(caught.value)
    assert caught.value.code == "invalid-sig-code-file"


def test_a_missing_sig_code_file_is_an_error(tmp_path):
    with pytest.raises(SigCodeFileError, match="cannot be read"):
        load_sig_codes(tmp_path / "none.toml")


def test_the_builtin_file_reads_alone():
    text = resources.files("ldn_compound").joinpath("sigcodes.toml").read_text(encoding="utf-8")
    assert read_sig_codes(text).by_code.keys() == CODES.by_code.keys()


# ---------------------------------------------------------------- doses, daily doses and days' supply, by hand


def test_the_issue_capsule_example_is_refused_without_a_reason():
    # 3 capsules × 4.5 mg = 13.5 mg at bedtime: above the 10 mg limit
    with pytest.raises(DoseLimitError) as caught:
        calculate_batch(
            "ldn-capsules", quantity=90, strength="4.5 mg", directions="Take 3 capsules by mouth at bedtime", date=DAY
        )
    assert caught.value.field == "directions"
    assert "13.5 mg naltrexone HCl" in str(caught.value)
    batch = calculate_batch(
        "ldn-capsules",
        quantity=90,
        strength="4.5 mg",
        directions="Take 3 capsules by mouth at bedtime",
        high_dose_reason="pain clinic protocol",
        date=DAY,
    )
    assert str(batch.dose) == "13.5 mg naltrexone HCl"
    assert str(batch.daily_dose) == "13.5 mg naltrexone HCl"
    assert batch.days_supply == 30  # 90 capsules ÷ 3 a day
    assert [o.code for o in batch.overrides] == ["dose-above-limit"]


def test_the_issue_liquid_example_is_a_disagreement():
    # 10 mL at 1 mg/mL is 10 mg; the dose says 4.5 mg
    with pytest.raises(InputError) as caught:
        calculate_batch(
            "ldn-oral-liquid",
            quantity="120 mL",
            strength="1 mg/mL",
            dose="4.5 mg",
            directions="Take 10 mL by mouth at bedtime",
            date=DAY,
        )
    assert caught.value.code == "dose-disagreement"
    message = str(caught.value)
    assert "the directions say 10 mg naltrexone HCl (10 mL × 1 mg per mL = 10 mg naltrexone HCl)" in message
    assert "the dose says 4.5 mg naltrexone HCl" in message


@pytest.mark.parametrize(
    ("formula", "options", "dose", "daily", "days"),
    [
        # 4.5 mL × 1 mg/mL; 120 mL ÷ 4.5 mL a day = 26.7 → 26 days
        ("ldn-oral-liquid", {"quantity": "120 mL", "directions": "Take 4.5 mL by mouth every evening"}, "4.5 mg", "4.5 mg", 26),
        # 5 drops × (10 mg/mL ÷ 20 drops/mL = 0.5 mg); 30 mL = 600 drops ÷ 5 = 120 days
        ("ldn-sublingual-drops", {"quantity": "30 mL", "directions": "Place 5 drops under the tongue at bedtime"}, "2.5 mg", "2.5 mg", 120),
        # 0.5 mL × 10 mg/mL = 5 mg each morning; 30 mL ÷ 0.5 mL = 60 days
        ("ldn-sublingual-drops", {"quantity": "30 mL", "directions": "0.5 mL sl qam"}, "5 mg", "5 mg", 60),
        # 1 capsule of 1.5 mg twice daily: 3 mg a day; 60 capsules ÷ 2 = 30 days
        ("ldn-capsules", {"quantity": 60, "strength": "1.5 mg", "directions": "1 cap po bid"}, "1.5 mg", "3 mg", 30),
        # three times daily: 4.5 mg a day, 100 ÷ 3 = 33 days
        ("ldn-capsules", {"quantity": 100, "strength": "1.5 mg", "directions": "1 cap po tid"}, "1.5 mg", "4.5 mg", 33),
        # 4.5 mg in mg at 1 mg/mL: 4.5 mL; dispensed 30 mL: 6 days
        ("ldn-oral-liquid", {"quantity": "120 mL", "dispense": "30 mL", "directions": "Take 4.5 mg by mouth at bedtime"}, "4.5 mg", "4.5 mg", 6),
        # as needed: no daily count
        ("ldn-capsules", {"quantity": 30, "strength": "3 mg", "directions": "1 cap po prn"}, "3 mg", None, None),
    ],
)  # fmt: skip
def test_dose_daily_dose_and_days_supply_worked_by_hand(formula, options, dose, daily, days):
    batch = calculate_batch(formula, date=DAY, **options)
    assert format_amount(batch.dose.amount) == dose
    assert (None if batch.daily_dose is None else format_amount(batch.daily_dose.amount)) == daily
    assert batch.days_supply == days
    assert batch.directions is not None
    assert batch.directions.dose(batch) == batch.dose
    assert batch.directions.daily_dose(batch) == batch.daily_dose
    assert batch.directions.days_supply(batch, batch.dispensed) == days


def test_the_dose_keeps_the_salt_basis_of_the_strength():
    batch = calculate_batch(
        "ldn-capsules", quantity=30, strength="4 mg", strength_basis="base", directions="1 cap po qhs", date=DAY
    )
    assert str(batch.dose) == "4 mg naltrexone base"
    # 4 mg base = 4.43 mg HCl: checked in HCl, above the usual 4.5 mg? no: 4 × 377.86 / 341.40 = 4.427 mg
    assert [w.code for w in batch.warnings] == []


def test_a_daily_dose_above_the_limit_is_refused_and_named_as_a_day():
    with pytest.raises(DoseLimitError, match=r"12 mg naltrexone HCl a day \(6 mg naltrexone HCl twice daily\)"):
        calculate_batch("ldn-capsules", quantity=60, strength="6 mg", directions="1 cap po bid", date=DAY)
    warned = calculate_batch("ldn-capsules", quantity=60, strength="3 mg", directions="1 cap po bid", date=DAY)
    assert [w.code for w in warned.warnings] == ["dose-above-usual"]


def test_as_needed_warns_that_only_the_dose_was_checked():
    batch = calculate_batch("ldn-capsules", quantity=30, strength="3 mg", directions="1 cap po prn", date=DAY)
    assert [w.code for w in batch.warnings] == ["daily-dose-unchecked"]


def test_a_titration_gives_the_days_supply_step_by_step():
    # 1.5 mL × 7 + 3 mL × 7 = 31.5 mL; then 88.5 mL ÷ 4.5 mL = 19.7 → 19 days; 14 + 19 = 33
    batch = calculate_batch(
        "ldn-oral-liquid",
        quantity="120 mL",
        directions="Take by mouth at bedtime following the dosing schedule",
        titration="1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg",
        date=DAY,
    )
    assert batch.days_supply == 33
    assert str(batch.dose) == "4.5 mg naltrexone HCl"
    assert [format_amount(step.dose) for step in batch.directions.titration] == ["1.5 mg", "3 mg", "4.5 mg"]
    # all timed: the days of the steps that fit
    timed = calculate_batch(
        "ldn-oral-liquid",
        quantity="40 mL",
        directions="po qhs",
        titration="1.5 mg for 7 days, 3 mg for 7 days",
        date=DAY,
    )
    assert timed.days_supply == 14


# ---------------------------------------------------------------- directions, dose and titration must agree


def test_directions_with_an_amount_and_a_titration_disagree():
    with pytest.raises(InputError, match="agree with the titration") as caught:
        calculate_batch(
            "ldn-oral-liquid",
            quantity="120 mL",
            directions="Take 4.5 mL by mouth at bedtime",
            titration="1.5 mg for 7 days, then 4.5 mg",
            date=DAY,
        )
    assert caught.value.code == "dose-disagreement"
    assert "1.5 mg to 4.5 mg" in str(caught.value)


def test_a_dose_and_a_titration_disagree():
    with pytest.raises(InputError, match="the titration's highest dose is 4.5 mg") as caught:
        calculate_batch(
            "ldn-oral-liquid", quantity="120 mL", dose="3 mg", titration="1.5 mg for 7 days, then 4.5 mg", date=DAY
        )
    assert caught.value.code == "dose-disagreement"
    agreed = calculate_batch(
        "ldn-oral-liquid", quantity="120 mL", dose="4.5 mg", titration="1.5 mg for 7 days, then 4.5 mg", date=DAY
    )
    assert str(agreed.dose) == "4.5 mg naltrexone HCl"


def test_directions_and_a_dose_that_agree_go_ahead():
    batch = calculate_batch(
        "ldn-capsules", quantity=90, strength="1.5 mg", dose="4.5 mg", directions="3 cap po qhs", date=DAY
    )
    assert str(batch.dose) == "4.5 mg naltrexone HCl"


def test_a_titration_is_once_a_day():
    with pytest.raises(InputError, match="one dose a day with a titration schedule"):
        calculate_batch("ldn-oral-liquid", quantity="120 mL", directions="po bid", titration="1.5 mg:7, 3 mg", date=DAY)


def test_a_directions_titration_must_match_the_one_given():
    steps = calculate_batch("ldn-oral-liquid", quantity="120 mL", titration="1 mg:7, 2 mg", date=DAY)
    del steps
    from ldn_compound.titration import parse_titration

    own = attrs.evolve(parse_sig("po qhs"), titration=parse_titration("1 mg:7, 2 mg"))
    with pytest.raises(InputError, match="same titration"):
        calculate_batch("ldn-oral-liquid", quantity="120 mL", directions=own, titration="1 mg:7, 3 mg", date=DAY)
    batch = calculate_batch("ldn-oral-liquid", quantity="120 mL", directions=own, date=DAY)
    assert batch.days_supply == 7 + (120 - 7) // 2


# ---------------------------------------------------------------- what a patient can measure


@pytest.mark.parametrize(
    ("formula", "options", "message"),
    [
        ("ldn-capsules", {"quantity": 60, "strength": "3 mg", "dose": "1 mg"}, "at least one capsule's strength, 3 mg"),
        ("ldn-capsules", {"quantity": 60, "strength": "3 mg", "dose": "4 mg"}, "whole number of 3 mg capsules"),
        ("ldn-sublingual-drops", {"quantity": "30 mL", "dose": "1.2 mg"}, "whole number of drops of 0.5 mg"),
        ("ldn-oral-liquid", {"quantity": "120 mL", "dose": "1.25 mg"}, "whole number of 0.1 mL graduations"),
        ("ldn-oral-liquid", {"quantity": "120 mL", "directions": "Take 1.25 mL by mouth at bedtime"}, "0.1 mL graduations"),
        ("ldn-oral-liquid", {"quantity": "120 mL", "directions": "Take 1.25 mg by mouth at bedtime"}, "0.1 mL graduations"),
    ],
)  # fmt: skip
def test_doses_the_patient_cannot_measure_are_refused(formula, options, message):
    with pytest.raises(InputError, match=message) as caught:
        calculate_batch(formula, date=DAY, **options)
    assert caught.value.code == "dose-not-measurable"


def test_the_syringe_graduation_is_a_setting():
    settings = Settings(syringe_graduation=Q_(Decimal("0.05"), "mL"))
    batch = calculate_batch("ldn-oral-liquid", quantity="120 mL", dose="1.25 mg", date=DAY, settings=settings)
    assert str(batch.dose) == "1.25 mg naltrexone HCl"


def test_cream_clicks_with_a_measured_density():
    formula = load_formula("ldn-topical-cream")
    assert formula.topical is not None
    dense = attrs.evolve(formula, topical=attrs.evolve(formula.topical, density=Q_(Decimal(1000), "mg/mL")))
    # 1 click = 0.25 mL × 1 g/mL = 0.25 g × 2 mg/g = 0.5 mg; 30 g ÷ 0.25 g = 120 days
    batch = calculate_batch(dense, quantity="30 g", strength="2 mg/g", directions="1 click top qd", date=DAY)
    assert str(batch.dose) == "0.5 mg naltrexone HCl"
    assert batch.days_supply == 120
    # 60 mg is below the minimum weight and too much for the 0.6 mL of water: triturated in the base
    assert [w.code for w in batch.warnings] == ["aliquot-in-base", "days-supply-beyond-bud"]  # keeps 35 days
    with pytest.raises(InputError, match="whole number of dispenser clicks"):
        calculate_batch(dense, quantity="30 g", strength="2 mg/g", dose="0.75 mg", date=DAY)


def test_cream_clicks_without_a_density_need_the_dose():
    with pytest.raises(InputError, match="no cream density") as caught:
        calculate_batch("ldn-topical-cream", quantity="30 g", directions="1 click top qd", date=DAY)
    assert caught.value.code == "directions-without-dose"
    batch = calculate_batch("ldn-topical-cream", quantity="30 g", directions="1 click top qd", dose="0.25 mg", date=DAY)
    assert [w.code for w in batch.warnings] == ["dose-per-click-unknown"]
    assert batch.days_supply is None


@pytest.mark.parametrize(
    ("formula", "directions", "code"),
    [
        ("ldn-capsules", "Place 5 drops under the tongue at bedtime", "directions-wrong-unit"),
        ("ldn-oral-liquid", "Take 1 capsule by mouth at bedtime", "directions-wrong-unit"),
        ("ldn-topical-cream", "Take 1 mg by mouth at bedtime", "directions-wrong-route"),
        ("ldn-capsules", "Take 1 mg under the tongue at bedtime", "directions-wrong-route"),
    ],
)
def test_directions_that_do_not_fit_the_form_are_refused(formula, directions, code):
    with pytest.raises(InputError) as caught:
        calculate_batch(
            formula,
            quantity={"ldn-capsules": 30}.get(formula, "30 g" if "cream" in formula else "30 mL"),
            directions=directions,
            date=DAY,
        )
    assert caught.value.code == code


# ---------------------------------------------------------------- dispensed quantity and the beyond-use date


def test_a_dispensed_quantity_below_one_dose_is_refused():
    with pytest.raises(InputError) as caught:
        calculate_batch("ldn-capsules", quantity=30, strength="1.5 mg", directions="3 cap po qhs", dispense=2, date=DAY)
    assert caught.value.code == "dispensed-below-one-dose"
    assert "at least one dose of 4.5 mg naltrexone HCl, 3 capsules" in str(caught.value)
    with pytest.raises(InputError) as caught:
        calculate_batch("ldn-oral-liquid", quantity="3 mL", directions="Take 4.5 mL by mouth at bedtime", date=DAY)
    assert caught.value.code == "dispensed-below-one-dose"


def test_a_dispensed_quantity_above_the_batch_is_refused():
    with pytest.raises(InputError) as caught:
        calculate_batch("ldn-capsules", quantity=30, directions="1 cap po qhs", dispense=31, date=DAY)
    assert caught.value.code == "dispense-above-batch"


def test_a_days_supply_beyond_the_bud_is_a_warning_in_the_json():
    # 3 drops a day of 30 mL (600 drops) = 200 days; the preserved aqueous drops keep 35 days
    batch = calculate_batch("ldn-sublingual-drops", quantity="30 mL", directions="3 gtt sl qhs", date=DAY)
    assert batch.days_supply == 200
    assert [w.code for w in batch.warnings] == ["days-supply-beyond-bud"]
    data = json.loads(batch.to_json())
    assert data["days_supply"] == 200
    assert data["warnings"][0]["code"] == "days-supply-beyond-bud"
    assert "200 days" in data["warnings"][0]["message"]
    assert "35-day beyond-use date" in data["warnings"][0]["message"]
    enough = calculate_batch(
        "ldn-sublingual-drops", quantity="30 mL", directions="3 gtt sl qhs", dispense="5 mL", date=DAY
    )
    assert enough.days_supply == 33
    assert enough.warnings == ()


# ---------------------------------------------------------------- directions that cannot be checked


def test_directions_without_a_dose_need_one_from_elsewhere_or_a_reason():
    with pytest.raises(InputError) as caught:
        calculate_batch("ldn-capsules", quantity=30, directions="po ud", date=DAY)
    assert caught.value.code == "directions-without-dose"
    batch = calculate_batch("ldn-capsules", quantity=30, directions="po ud", dose="4.5 mg", date=DAY)
    assert str(batch.dose) == "4.5 mg naltrexone HCl"
    unchecked = calculate_batch(
        "ldn-capsules", quantity=30, directions="po ud", directions_unchecked="per the prescriber's letter", date=DAY
    )
    assert unchecked.directions is None
    assert [(o.code, o.reason) for o in unchecked.overrides] == [
        ("directions-unchecked", "per the prescriber's letter")
    ]


def test_unreadable_directions_go_ahead_only_with_a_reason_on_the_record():
    text = "Take 1 capsule by mouth at bedtime; if vivid dreams, take it in the morning"
    with pytest.raises(InputError):
        calculate_batch("ldn-capsules", quantity=30, directions=text, date=DAY)
    batch = calculate_batch(
        "ldn-capsules", quantity=30, directions=text, directions_unchecked="prescriber's words", date=DAY
    )
    data = batch.to_dict()
    assert data["directions"] is None
    assert data["overrides"] == [{"code": "directions-unchecked", "reason": "prescriber's words"}]
    assert [w["code"] for w in data["warnings"]] == ["directions-unchecked"]


def test_a_reason_is_refused_where_the_directions_can_be_checked():
    with pytest.raises(InputError) as caught:
        calculate_batch(
            "ldn-capsules", quantity=30, directions="1 cap po qhs", directions_unchecked="why not", date=DAY
        )
    assert caught.value.code == "override-without-check"
    with pytest.raises(InputError) as caught:
        calculate_batch("ldn-capsules", quantity=30, directions_unchecked="no directions", date=DAY)
    assert caught.value.code == "override-without-check"
    with pytest.raises(InputError) as caught:
        calculate_batch("ldn-capsules", quantity=30, directions="Take it", directions_unchecked=" ", date=DAY)
    assert caught.value.code == "reason-missing"


def test_a_titration_only_for_measured_forms():
    with pytest.raises(InputError, match="oral liquid or sublingual drops"):
        calculate_batch("ldn-capsules", quantity=30, titration="1 mg:7, 2 mg", date=DAY)
    with pytest.raises(InputError, match="TitrationStep"):
        calculate_batch("ldn-oral-liquid", quantity="30 mL", titration=[1, 2], date=DAY)  # type: ignore[list-item]


# ---------------------------------------------------------------- the label prints the sentence from the value


def test_the_patient_label_prints_the_sentence_rendered_from_the_directions():
    pytest.importorskip("ldn_compound.render.labels")
    from ldn_compound import Pharmacy, render_labels

    batch = calculate_batch("ldn-capsules", quantity=30, strength="3 mg", directions="1 cap po qhs", date=DAY)
    rx = Prescription(
        number="1", patient="P. Patient", prescriber="Dr. B", directions="1 cap po qhs", sig=batch.directions
    )
    out = io.BytesIO()
    render_labels(batch, out, prescriptions=[rx], pharmacy=Pharmacy(name="Riverside"))
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(out.getvalue())).pages)
    assert "Take 1 capsule by mouth at bedtime" in " ".join(text.split())
    assert "qhs" not in text


# ---------------------------------------------------------------- any input: a value or one of the package's errors

WORDS = st.sampled_from(
    ["take", "place", "apply", "1", "0.5", ".5", "3", "cap", "capsules", "ml", "gtt", "drops", "click", "mg",
     "by", "mouth", "po", "sl", "top", "under", "the", "tongue", "to", "skin", "inner", "wrist", "at", "bedtime",
     "qhs", "bid", "prn", "ud", "once", "daily", "following", "dosing", "schedule", "é", "", "1e9", "-1", "0"]
)  # fmt: skip
TEXTS = st.one_of(st.text(max_size=250), st.lists(WORDS, max_size=12).map(" ".join))


@given(TEXTS)
def test_any_text_reads_as_directions_or_raises_an_ldn_error(text):
    for read in (parse_directions, parse_sig, read_directions):
        try:
            value = read(text)
        except LDNError:
            continue
        assert parse_directions(value.text()) == value


@given(
    st.sampled_from(["ldn-capsules", "ldn-oral-liquid", "ldn-sublingual-drops", "ldn-topical-cream"]),
    TEXTS,
    st.one_of(st.none(), st.sampled_from(["1", "5 mL", "0", "-1", "2 g", "1000 L", "x"])),
    st.one_of(st.none(), st.sampled_from(["1 mg", "4.5 mg", "0.25 mg", "13 mg", "1 mL"])),
)
def test_calculate_batch_with_any_directions_raises_only_its_own_errors(formula, text, dispense, dose):
    quantity = {"ldn-capsules": 100}.get(formula, "30 g" if "cream" in formula else "30 mL")
    try:
        calculate_batch(formula, quantity=quantity, directions=text, dispense=dispense, dose=dose, date=DAY)
    except LDNError:
        pass
