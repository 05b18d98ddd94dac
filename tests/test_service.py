"""The application layer: one request in, the batch and its documents out, the same rules for every interface."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from ldn_compound import InputError, LDNError, calculate_batch, service
from ldn_compound.service import BatchRequest, RequestError, describe_error, error_field, run_batch

DAY = "2026-03-01"
EXAMPLE_PHARMACY = str(Path(__file__).resolve().parent.parent / "docs" / "examples" / "pharmacy.toml")


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


def test_a_record_for_a_prescription_prints_it_without_a_label(tmp_path) -> None:
    pytest.importorskip("ldn_compound.render.record")
    import io

    import pypdf

    request = BatchRequest(
        formula="ldn-capsules",
        quantity="30",
        strength="3 mg",
        date=DAY,
        record=True,
        rx="104233",
        patient="Zoë Łukasiewicz-Núñez",
        prescriber="Dr. A. Reyes",
        directions="Take 1 capsule by mouth at bedtime",
        refills="2",
    )
    outcome = run_batch(request)
    assert outcome.prescription is not None
    assert outcome.record is not None
    text = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(outcome.record)).pages)
    for expected in (
        "Prescription (Rx) number 104233",
        "Patient Zoë Łukasiewicz-Núñez",
        "Prescriber Dr. A. Reyes",
        "Directions Take 1 capsule by mouth at bedtime",
        "Refills 2",
    ):
        assert expected in text


def test_prescription_fields_need_a_record_or_labels() -> None:
    with pytest.raises(RequestError) as caught:
        run_batch(BatchRequest(formula="ldn-capsules", quantity="30", rx="1"))
    assert (caught.value.field, caught.value.code) == ("rx", "documents-not-requested")
    with pytest.raises(RequestError) as caught:
        run_batch(BatchRequest(formula="ldn-capsules", quantity="30", record=True, rx="1"))
    assert (caught.value.field, caught.value.code) == ("patient", "prescription-incomplete")


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


# --------------------------------------------------------------------------- label language and site settings

PHARMACY = '[pharmacy]\nname = "Riverside Compounding Pharmacy"\n'
RX = {"rx": "104233", "patient": "Ana Ruiz", "prescriber": "Dr. A. Reyes"}


def test_english_is_the_default_label_language_and_may_be_asked_for(tmp_path) -> None:
    config = tmp_path / "pharmacy.toml"
    config.write_text(PHARMACY, encoding="utf-8")
    common = {"formula": "ldn-capsules", "quantity": "30", "date": DAY, "labels": True, "pharmacy_config": str(config)}
    rx = {**RX, "directions": "Take 1 capsule by mouth at bedtime"}
    # each in a register of its own, so both are lot L2026-000001
    default = run_batch(BatchRequest(**common, **rx, register=str(tmp_path / "a.sqlite3"))).labels
    asked = run_batch(BatchRequest(**common, **rx, language="en", register=str(tmp_path / "b.sqlite3"))).labels
    assert default == asked


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"language": "fr", **RX, "directions": "x"}, "language", "unsupported-language"),
        ({"language": "es"}, "language", "language-without-patient-label"),
        (
            {
                "language": "es",
                **RX,
                "directions": "Take one capsule at night",
                "directions_unchecked": "as prescribed",
            },
            "directions",
            "directions-not-translatable",
        ),
    ],
)
def test_label_language_rules(tmp_path, fields, field, code) -> None:
    config = tmp_path / "pharmacy.toml"
    config.write_text(PHARMACY, encoding="utf-8")
    pharmacy = {"pharmacy_config": str(config)} if "rx" in fields else {}
    request = BatchRequest(formula="ldn-capsules", quantity="30", date=DAY, labels=True, **pharmacy, **fields)
    with pytest.raises(RequestError) as caught:
        run_batch(request)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_a_spanish_label_from_sig_codes_or_english_directions_the_library_reads(tmp_path) -> None:
    import io

    import pypdf

    config = tmp_path / "pharmacy.toml"
    config.write_text(PHARMACY + '[settings]\nlabel_locale = "es_ES"\n', encoding="utf-8")
    common = {"formula": "ldn-oral-liquid", "quantity": "120 mL", "date": DAY, "labels": True, "language": "es"}
    for directions in ({"sig": "4.5 mL po qhs"}, {"directions": "Take 4.5 mL by mouth at bedtime"}):
        outcome = run_batch(BatchRequest(**common, **RX, **directions, pharmacy_config=str(config)))
        assert outcome.labels is not None
        text = " ".join(pypdf.PdfReader(io.BytesIO(outcome.labels)).pages[0].extract_text().split())
        # the pharmacy's locale (es_ES) writes decimal commas, in the directions too
        assert text.startswith("Tome 4,5 mL por vía oral al acostarse")
        assert "Naltrexona HCl 1 mg/mL, líquido oral, preparado magistral" in text


def test_the_pharmacy_configuration_settings_check_formulas_for_translations(tmp_path) -> None:
    from ldn_compound import FormulaFileError

    config = tmp_path / "pharmacy.toml"
    config.write_text(PHARMACY + '[settings]\nlabel_languages = ["en", "es"]\n', encoding="utf-8")
    own = tmp_path / "formulas"
    own.mkdir()
    text = (Path(__file__).parents[1] / "formulas" / "ldn-capsules.toml").read_text(encoding="utf-8")
    (own / "site.toml").write_text(text.replace('"Protect from light",\n]', '"Keep dry",\n]'), encoding="utf-8")
    request = BatchRequest(
        formula="ldn-capsules", quantity="30", date=DAY, formula_dir=str(own), labels=True, pharmacy_config=str(config)
    )
    with pytest.raises(FormulaFileError, match=r"auxiliary_labels\[2\]: must have a Spanish translation"):
        run_batch(request)
    # without documents the configuration is not read (and is refused on its own rule)
    assert run_batch(attrs.evolve(request, labels=False, pharmacy_config=None)).result.formula.source.endswith(
        "site.toml"
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"sig": "1 cap po qzz"}, "sig"),
        ({"sig": "3 cap po qhs"}, "sig"),  # the directions' dose, read from the sig codes
        ({"directions": "Take 3 capsules by mouth at bedtime"}, "directions"),
        ({"directions": "Take 1 capsule on the elbow"}, "directions"),
        ({"directions": "Take 1 capsule by mouth at bedtime", "dispense": "0.5"}, "dispense"),
    ],
)
def test_an_error_names_the_field_it_came_from_in_every_interface(tmp_path, capsys, extra, field):
    """The page marks this field; the API's problem names it; the command line names its option, same words."""
    from ldn_compound.cli import main

    prescription = {"rx": "1", "patient": "Ann Lee", "prescriber": "Dr. Amelia Hart"}
    request = BatchRequest(
        formula="ldn-capsules", quantity="100", strength="4.5 mg", record=True, pharmacy_config=EXAMPLE_PHARMACY,
        **prescription, **extra,
    )  # fmt: skip
    with pytest.raises(LDNError) as caught:
        run_batch(request)
    assert error_field(caught.value, request) == field
    argv = ["batch", "ldn-capsules", "--quantity", "100", "--strength", "4.5 mg", "--pharmacy-config", EXAMPLE_PHARMACY]
    argv += ["--record", str(tmp_path / "record.pdf")]
    for name, value in {**prescription, **extra}.items():
        argv += [f"--{name}", value]
    assert main(argv) == 2
    option = "--" + field
    expected = describe_error(caught.value, lambda name: "--" + name.replace("_", "-"), request)
    assert capsys.readouterr().err.replace(" REASON", "") == f"error: {expected}\n"  # the CLI shows the metavar
    assert expected.startswith(f"{option} ")
    assert not (tmp_path / "record.pdf").exists()
