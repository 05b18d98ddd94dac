"""Compounding records and master formulation records: every USP <795> element with this batch's values."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import attrs
import pypdf
import pytest

import ldn_compound
from ldn_compound import calculate_batch, load_formula
from ldn_compound.exceptions import InputError, RenderError
from ldn_compound.model import Amount, AmountKind, BatchResult, Component, DosageForm, MasterFormula, Pharmacy
from ldn_compound.render.record import SAMPLED_CAPSULES, render_batch_record, render_master_formula
from ldn_compound.units import CONCENTRATION, format_amount, parse_quantity
from ldn_compound.weighing import procedure_steps, reconciliation, reconciliation_text

FORMULAS = ["ldn-capsules", "ldn-oral-liquid", "ldn-sublingual-drops", "ldn-topical-cream"]
HOSTILE = 'Zoë Łukasiewicz-Núñez <b>&</b> <img src="/etc/passwd"/>'
PHARMACY = Pharmacy(
    name="Riverside Compounding Pharmacy",
    address=("12 Mill Lane", "Springfield, IL 62701"),
    phone="(217) 555-0142",
    pharmacist="Dana Whitfield, PharmD",
)
OPIOID_REASON = "Prescriber confirmed tramadol stopped on 2026-02-01; patient counselled"

needs_qpdf = pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")

# Batches by name: (formula, keyword arguments); each is rendered once per test session.
BATCHES = {
    "capsules-aliquot": ("ldn-capsules", {"quantity": 32, "strength": "1.5 mg"}),
    "capsules-overage-lots-override": (
        "ldn-capsules",
        {
            "quantity": 100,
            "strength": "4.5 mg",
            "overage": 5,
            "potency": 97.71,
            "lots": {
                "naltrexone-hcl": {"lot": "NX2291", "expiry": dt.date(2026, 6, 30), "manufacturer": "Medisca"},
                "mcc": "MC881",
            },
            "other_medicines": ["tramadol"],
            "co_medication_reason": OPIOID_REASON,
        },
    ),
    "oral-liquid": ("ldn-oral-liquid", {"quantity": "120 mL"}),
    "oral-liquid-aliquot": ("ldn-oral-liquid", {"quantity": "30 mL", "strength": "1 mg/mL"}),
    "oral-liquid-tablets": (
        "ldn-oral-liquid",
        {"quantity": "100 mL", "strength": "0.5 mg/mL", "tablet_weight": "180 mg"},
    ),
    "sublingual-drops": ("ldn-sublingual-drops", {"quantity": "30 mL"}),
    "topical-cream-aliquot": ("ldn-topical-cream", {"quantity": "30 g"}),
    "topical-cream": ("ldn-topical-cream", {"quantity": "100 g", "strength": "2 mg/g"}),
}


def batch(name: str) -> BatchResult:
    formula, options = BATCHES[name]
    return calculate_batch(formula, date="2026-03-01", **options)


def render(result: BatchResult, **options: object) -> bytes:
    out = io.BytesIO()
    render_batch_record(result, out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def render_mfr(formula: MasterFormula, **options: object) -> bytes:
    out = io.BytesIO()
    render_master_formula(formula, out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def flat(text: str) -> str:
    """Text with every run of white space made one space, so wrapped lines read as one."""
    return " ".join(text.split())


def pages_text(data: bytes) -> list[str]:
    """The text of each page, in drawing order (pdftotext -raw when installed, else pypdf)."""
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
        )
        return [flat(page) for page in out.stdout.decode("utf-8").split("\f")[:-1]]
    return [flat(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def records() -> dict[str, tuple[BatchResult, bytes, list[str]]]:
    out = {}
    for name in BATCHES:
        result = batch(name)
        data = render(result, pharmacy=PHARMACY)
        out[name] = (result, data, pages_text(data))
    return out


def expected_record_texts(result: BatchResult) -> list[str]:
    """What the issue asks a compounding record to hold, with this batch's values."""
    formula = result.formula
    beyond = result.beyond_use
    texts = [
        PHARMACY.name,
        *PHARMACY.address,
        PHARMACY.phone,
        "Compounding record",
        f"Lot / batch number {result.lot_number}",
        f"Preparation {formula.name}",
        f"Strength {result.strength.describe()}",
        f"Dosage form {formula.dosage_form.display_name}",
        f"Quantity made {format_amount(result.quantity)}",
        f"Master formulation record {formula.id}, version {formula.version}",
        f"Compounding date and time {result.compounding_date.isoformat()}, time: ___",
        f"Beyond-use date {beyond.date.isoformat()} ({beyond.days} days after the compounding date)",
        f"Storage {beyond.storage}",
        beyond.rule,
        "Manufacturer / vendor, lot, expiry",
        "Amount in the batch",
        "How: weighings",
        "Initials",
        f"Balance {result.balance.describe()}",
        "Deviations",
        "Compounded by",
        "Verified by (pharmacist)",
        "Name (print) Signature Date and time",
    ]
    if beyond.limited_by:
        texts.append(f"limited by {beyond.limited_by}")
    for number, line in enumerate(result.ingredients, 1):
        texts += [f"{number} {line.name}", line.role, line.describe_amount()]
        if line.overage.magnitude:
            texts += [f"= {format_amount(line.theoretical)} theoretical", f"+ {format_amount(line.overage)} overage"]
        lot = line.lot
        texts.append(f"Lot {lot.lot}" if lot else "Lot ____")
        texts.append(f"Exp {lot.expiry.isoformat()}" if lot and lot.expiry else "Exp ____")
        texts.append(f"Mfr {lot.manufacturer}" if lot and lot.manufacturer else "Mfr ____")
    for number, step in enumerate(result.trace, 1):
        texts.append(f"{number}. {step.title} {step.text}")
    for number, step in enumerate(result.procedure, 1):
        texts.append(f"{number} {step} ☐")
    for number, item in enumerate((*formula.equipment, *result.equipment), 1):
        texts.append(f"{number} {item}")
    texts += ["Weighings and measurements, in the order they are done", "Actual amount", "Instrument"]
    for number, weighing in enumerate(result.weighings, 1):
        texts += [f"W{number} {weighing.what}", f"{format_amount(weighing.amount)} ({weighing.rule})"]
    texts += [reconciliation_text(line, parts) for line, parts in reconciliation(result.ingredients, result.weighings)]
    for override in result.overrides:
        texts.append(f"Override {override.code} {override.reason}")
    for warning in result.warnings:
        texts.append(f"Warning {warning.code} {warning.message}")
    if not result.overrides and not result.warnings:
        texts.append("No warnings or overrides for this batch.")
    for line in result.ingredients:
        plan = line.aliquot
        if plan is None:
            continue
        texts += [
            f"Aliquot plan: {line.name} ({plan.method})",
            f"weigh {format_amount(plan.weigh)}, dilute with {plan.diluent} to {format_amount(plan.dilute_to)}",
            f"take {format_amount(plan.take)}, which holds {format_amount(plan.holds)}",
        ]
    return texts


def test_the_batches_cover_every_formula_with_and_without_an_aliquot_plan() -> None:
    results = [batch(name) for name in BATCHES]
    assert {r.formula.id for r in results} == set(FORMULAS)
    for form in DosageForm:
        has_plan = {r.aliquot is not None for r in results if r.formula.dosage_form is form}
        assert has_plan == ({True, False} if form is not DosageForm.SUBLINGUAL_DROPS else {False})
    assert any(r.overrides for r in results)
    assert any(r.overage for r in results)


@pytest.mark.parametrize("name", list(BATCHES))
def test_record_holds_every_required_element_with_this_batchs_values(records, name: str) -> None:
    result, _, pages = records[name]
    text = " ".join(pages)
    missing = [item for item in expected_record_texts(result) if flat(item) not in text]
    assert not missing


@pytest.mark.parametrize("name", list(BATCHES))
def test_every_page_says_page_n_of_n_with_lot_and_fingerprint(records, name: str) -> None:
    result, data, pages = records[name]
    assert len(pages) == len(pypdf.PdfReader(io.BytesIO(data)).pages) >= 2
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in page
        assert f"Lot {result.lot_number}" in page
        assert f"Fingerprint {result.fingerprint}" in page


@pytest.mark.parametrize("name", ["capsules-aliquot", "capsules-overage-lots-override"])
def test_capsule_quality_control_has_the_weight_range_sample_rows_and_yield(records, name: str) -> None:
    result, _, pages = records[name]
    text = " ".join(pages)
    capsule = result.capsule
    assert capsule is not None
    low, high = format_amount(capsule.fill_low), format_amount(capsule.fill_high)
    assert f"each capsule {low} to {high} (theoretical fill weight {format_amount(capsule.fill_weight)} ± 10 %)" in text
    sample_header = "Capsule " + " ".join(str(n) for n in range(1, SAMPLED_CAPSULES + 1))
    assert sample_header in text
    assert f"Weight (mg), each {low} to {high}" in text
    assert f"Mean of the {SAMPLED_CAPSULES} weights: ___" in text
    count = int(result.quantity.magnitude)
    yield_range = f"{format_amount(result.quantity * Decimal('0.95'))} to {format_amount(result.quantity * Decimal('1.05'))} (95–105 %)"
    assert f"theoretical yield {count} capsules; acceptable {yield_range}" in text
    assert "actual ___" in text
    assert "Final volume" not in text


def test_capsule_values_are_the_hand_worked_ones(records) -> None:
    text = " ".join(records["capsules-aliquot"][2])
    assert "each capsule 207 mg to 253 mg (theoretical fill weight 230 mg ± 10 %)" in text
    assert (
        "theoretical yield 32 capsules; acceptable 30.4 capsules to 33.6 capsules (95–105 %), i.e. 31 to 33 whole capsules"
        in text
    )
    assert "1 Naltrexone hydrochloride USP active, USP" in text
    assert "48 mg by the aliquot plan" in text
    assert "2 Microcrystalline cellulose NF (Avicel PH-105) filler, NF formula: to fill" in text
    assert "7.312 g" in text
    assert "0.048 g" not in text
    text = " ".join(records["capsules-overage-lots-override"][2])
    assert "483.6 mg = 460.5 mg theoretical + 23.1 mg overage" in text
    assert "Mfr Medisca Lot NX2291 Exp 2026-06-30" in text
    assert "Lot MC881 Exp ___" in text
    assert "theoretical yield 100 capsules; acceptable 95 capsules to 105 capsules (95–105 %)" in text
    assert "whole capsules" not in text


@pytest.mark.parametrize(
    ("name", "check", "theoretical", "unit", "has_ph"),
    [
        ("oral-liquid", "Final volume", "120 mL", "mL", True),
        ("oral-liquid-tablets", "Final volume", "100 mL", "mL", True),
        ("sublingual-drops", "Final volume", "30 mL", "mL", False),
        ("topical-cream", "Final weight", "100 g", "g", False),
    ],
)
def test_liquid_and_cream_quality_control_has_final_amount_appearance_and_ph_when_asked(  # noqa: PLR0917
    records, name: str, check: str, theoretical: str, unit: str, has_ph: bool
) -> None:
    pages = records[name][2]
    text = " ".join(pages)
    assert f"{check} {theoretical} (theoretical)" in text
    assert re.search(rf"measured _+ {unit}\b", text)
    assert "Appearance" in text
    assert "☐ conforms ☐ does not conform" in text
    assert bool(re.search(r"\bpH _+", text)) is has_ph
    assert "Individual capsule weight" not in text
    assert f"theoretical yield {theoretical}; acceptable" in text
    if name == "sublingual-drops":
        assert "Dropper calibration Drops per mL of this liquid within 10 % of the formula's value result ___" in text


def test_qs_lines_print_as_qs_to_the_final_volume(records) -> None:
    text = " ".join(records["oral-liquid"][2])
    assert "5 Purified water USP vehicle, USP formula: q.s." in text
    assert "q.s. to 120 mL" in text
    assert re.search(r"q\.s\. to 120 mL q\.s\. to volume: W\d+", text)
    cream = " ".join(records["topical-cream-aliquot"][2])
    assert "formula: q.s. to 30 g" in cream
    assert "29.37 g" in cream


def test_tablet_source_and_its_warning_are_printed(records) -> None:
    result, _, pages = records["oral-liquid-tablets"]
    text = " ".join(pages)
    assert "Active ingredient source crushed tablets (180 mg average weight per 50 mg tablet); crush 1 tablet" in text
    assert "Warning tablet-excipients the tablet excipients do not dissolve" in text
    assert result.active.tablets == 1


def test_overrides_are_printed_with_their_reasons(records) -> None:
    result, _, pages = records["capsules-overage-lots-override"]
    assert [o.code for o in result.overrides] == ["opioid-co-medication"]
    assert f"Override opioid-co-medication {OPIOID_REASON}" in pages[0]
    assert "Warnings and overrides (review each before compounding)" in pages[0]


def test_dose_per_unit_is_printed_for_drops(records) -> None:
    text = " ".join(records["sublingual-drops"][2])
    assert "Dose per unit 0.5 mg per drop; 10 mg per mL" in text


# --------------------------------------------------------------------------- many components, hostile names


def many_components(count: int = 60) -> MasterFormula:
    """The oral liquid with extra excipients, some with long names, to make ``count`` components."""
    formula = load_formula("ldn-oral-liquid")
    extra = []
    for number in range(1, count - len(formula.components) + 1):
        name = f"Excipient {number:02d}" + (
            " with a deliberately long descriptive name that has to wrap inside its table cell"
            if number % 7 == 0
            else ""
        )
        amount = parse_quantity(f"{number} mg/mL", "amount", CONCENTRATION)
        extra.append(
            Component(id=f"excipient-{number:02d}", name=name, role="excipient", amount=Amount(AmountKind.W_V, amount))
        )
    components = (*formula.components[:-1], *extra, formula.components[-1])  # water stays last, as q.s.
    return attrs.evolve(formula, components=components)


@pytest.fixture(scope="module")
def sixty() -> tuple[BatchResult, bytes]:
    formula = many_components()
    assert len(formula.components) == 60
    result = calculate_batch(formula, quantity="120 mL", date="2026-03-01")
    return result, render(result, pharmacy=PHARMACY, page_size="a4")


def test_sixty_components_flow_onto_further_pages_with_the_header_repeated(sixty) -> None:
    result, data = sixty
    formula = result.formula
    pages = pages_text(data)
    assert len(pages) >= 5
    text = " ".join(pages)
    assert not [item for item in expected_record_texts(result) if flat(item) not in text]
    pages_with_rows = [page for page in pages if "Mfr ___" in page]  # the components table's rows
    assert len(pages_with_rows) >= 3
    for page in pages_with_rows:
        assert "# Component Manufacturer / vendor, lot, expiry Amount in the batch How: weighings" in page
    assert "60 Purified water USP" in text
    assert f"{flat(formula.components[20].name)}" in text  # a long name, wrapped, read back whole
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in page
        assert f"Fingerprint {result.fingerprint}" in page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_no_word_leaves_the_text_frame(sixty, tmp_path: Path) -> None:
    path = tmp_path / "record.pdf"
    path.write_bytes(sixty[1])
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    boxes = [(float(a), float(b)) for a, b in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', html)]
    assert len(boxes) > 1000
    left, right = 18 * 72 / 25.4, (210 - 18) * 72 / 25.4  # A4 with 18 mm margins
    assert all(left - 0.5 <= x_min and x_max <= right + 0.5 for x_min, x_max in boxes)


def test_hostile_names_print_literally_and_open_no_file() -> None:
    formula = load_formula("ldn-capsules")
    hostile_filler = attrs.evolve(formula.components[1], name=HOSTILE)
    formula = attrs.evolve(formula, components=(formula.components[0], hostile_filler))
    pharmacy = Pharmacy(name=HOSTILE, address=(HOSTILE, "Kraków <PL> & more"), pharmacist=HOSTILE)
    result = calculate_batch(formula, quantity=32, strength="1.5 mg", date="2026-03-01")
    data = render(result, pharmacy=pharmacy)
    text = " ".join(pages_text(data))
    assert text.count(HOSTILE) >= 5  # pharmacy name and address, pharmacist, component, aliquot steps
    assert "Kraków <PL> & more" in text
    assert f"Pharmacist in charge: {HOSTILE}" in text
    assert b"/Subtype /Image" not in data
    assert all(not page.images for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    mfr = render_mfr(formula, pharmacy=pharmacy)
    assert " ".join(pages_text(mfr)).count(HOSTILE) >= 3
    assert b"/Subtype /Image" not in mfr


# --------------------------------------------------------------------------- determinism and output


def test_same_batch_gives_byte_identical_records() -> None:
    result = batch("capsules-overage-lots-override")
    first = render(result, pharmacy=PHARMACY)
    assert render(batch("capsules-overage-lots-override"), pharmacy=PHARMACY) == first
    assert render(result) != first  # the pharmacy is part of the record


def test_record_metadata_carries_the_compounding_date_and_lot(records) -> None:
    result, data, _ = records["oral-liquid"]
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.metadata is not None
    assert reader.metadata.title == f"Compounding record {result.lot_number}"
    assert str(reader.metadata["/CreationDate"]) == "D:20260301000000+00'00'"
    assert reader.metadata.author == PHARMACY.name


@needs_qpdf
@pytest.mark.parametrize("name", ["capsules-overage-lots-override", "topical-cream-aliquot"])
def test_records_pass_qpdf_check(records, name: str, tmp_path: Path) -> None:
    path = tmp_path / "record.pdf"
    path.write_bytes(records[name][1])
    mfr = tmp_path / "mfr.pdf"
    render_master_formula(records[name][0].formula, mfr, pharmacy=PHARMACY)
    for pdf in (path, mfr):
        result = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No syntax or stream encoding errors found" in result.stdout


def test_writes_to_a_path_or_a_file_object_the_same_bytes(records, tmp_path: Path) -> None:
    result, data, _ = records["sublingual-drops"]
    path = tmp_path / "record.pdf"
    render_batch_record(result, path, pharmacy=PHARMACY)
    render_batch_record(result, str(tmp_path / "as-text.pdf"), pharmacy=PHARMACY)
    assert path.read_bytes() == data == (tmp_path / "as-text.pdf").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["as-text.pdf", "record.pdf"]
    with (tmp_path / "opened.pdf").open("wb") as stream:
        render_batch_record(result, stream, pharmacy=PHARMACY)
    assert (tmp_path / "opened.pdf").read_bytes() == data


def test_unwritable_path_raises_render_error_and_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "no such folder" / "record.pdf"
    with pytest.raises(RenderError, match=r"^output path must be writable"):
        render_batch_record(batch("oral-liquid"), target)
    with pytest.raises(RenderError, match=r"^output path must be writable"):
        render_master_formula(load_formula("ldn-oral-liquid"), target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("pharmacy", "formula_name", "field"),
    [
        (Pharmacy(name="さくら薬局"), None, "pharmacy name"),
        (Pharmacy(name="Riverside", address=("東京都",)), None, "pharmacy address"),
        (None, "ナルトレキソン", "components row 1, Component"),
    ],
)
def test_a_character_the_font_lacks_raises_before_anything_is_written(
    tmp_path: Path, pharmacy: Pharmacy | None, formula_name: str | None, field: str
) -> None:
    formula = load_formula("ldn-capsules")
    if formula_name:
        formula = attrs.evolve(
            formula, components=(attrs.evolve(formula.components[0], name=formula_name), formula.components[1])
        )
    result = calculate_batch(formula, quantity=100, date="2026-03-01")
    target = tmp_path / "record.pdf"
    stream = io.BytesIO()
    for out in (target, stream):
        with pytest.raises(RenderError, match=rf"^{re.escape(field)} must use characters the font can print \(got U\+"):
            render_batch_record(result, out, pharmacy=pharmacy)
    assert list(tmp_path.iterdir()) == []
    assert stream.getvalue() == b""
    if pharmacy is not None:
        with pytest.raises(RenderError, match=r"must use characters the font can print"):
            render_master_formula(formula, target, pharmacy=pharmacy)
        assert list(tmp_path.iterdir()) == []


def size_of(data: bytes) -> tuple[float, float]:
    box = pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox
    return round(float(box.width), 3), round(float(box.height), 3)


def test_page_size_is_letter_or_a4_in_any_case(records, sixty) -> None:
    letter, a4 = (612.0, 792.0), (595.276, 841.89)
    assert size_of(records["oral-liquid"][1]) == letter  # the default
    assert size_of(sixty[1]) == a4  # "a4"
    assert size_of(render(records["oral-liquid"][0], page_size="A4")) == a4
    assert size_of(render_mfr(load_formula("ldn-capsules"), page_size="LETTER")) == letter


@pytest.mark.parametrize("page_size", ["legal", "", "A5", None])
def test_unknown_page_size_is_an_input_error(records, page_size: object) -> None:
    with pytest.raises(InputError, match=r"^page size must be 'letter' or 'a4'"):
        render(records["oral-liquid"][0], page_size=page_size)
    with pytest.raises(InputError, match=r"^page size must be 'letter' or 'a4'"):
        render_mfr(load_formula("ldn-capsules"), page_size=page_size)


def test_renderers_are_reachable_from_the_package() -> None:
    assert ldn_compound.render_batch_record is render_batch_record
    assert ldn_compound.render_master_formula is render_master_formula


# --------------------------------------------------------------------------- master formulation records


@pytest.fixture(scope="module")
def mfrs() -> dict[str, tuple[MasterFormula, BatchResult, list[str]]]:
    out = {}
    for formula_id in FORMULAS:
        formula = load_formula(formula_id)
        reference = calculate_batch(formula, quantity=formula.reference_quantity, date="2026-03-01")
        out[formula_id] = (formula, reference, pages_text(render_mfr(formula, pharmacy=PHARMACY)))
    return out


UNIT_WORDS = {
    DosageForm.CAPSULES: "capsule",
    DosageForm.ORAL_LIQUID: "mL",
    DosageForm.SUBLINGUAL_DROPS: "mL",
    DosageForm.TOPICAL_CREAM: "g",
}


@pytest.mark.parametrize("formula_id", FORMULAS)
def test_master_formulation_record_holds_every_usp_795_element(mfrs, formula_id: str) -> None:
    formula, reference, pages = mfrs[formula_id]
    text = " ".join(pages)
    expected = [
        PHARMACY.name,
        "Master formulation record",
        f"Master formula {formula.id}, version {formula.version}",
        f"Preparation {formula.name}",
        f"Strength {reference.strength.describe()}",
        f"Strength range of the formula {formula.strength.describe()}",
        f"Dosage form {formula.dosage_form.display_name} ({formula.dosage_form.route})",
        f"Preparation class (USP <795>) {formula.preparation_class.value}",
        f"Description of the finished preparation {formula.description}",
        f"Container-closure {formula.container}",
        f"Storage {formula.storage}",
        f"Beyond-use date {reference.beyond_use.days} days after the compounding date: {reference.beyond_use.rule}",
        f"Reference batch {format_amount(reference.quantity)}",
        f"# Component In the formula Per {UNIT_WORDS[formula.dosage_form]} Per {format_amount(reference.quantity)}",
        "Prepared by",
        "Approved by (pharmacist)",
    ]
    for number, component in enumerate(formula.components, 1):
        expected += [f"{number} {component.name}", component.role]
        if component.grade:
            expected.append(f"grade {component.grade}")
    expected += [line.describe_amount() for line in reference.ingredients]
    expected += [f"{n} {step}" for n, step in enumerate(procedure_steps(formula.procedure), 1)]
    expected += [f"{n} {item}" for n, item in enumerate(formula.equipment, 1)]
    expected += [f"{check.name} {check.specification}" for check in formula.quality_checks]
    expected += [f"{n} {ref.citation} {ref.supports}" for n, ref in enumerate(formula.references, 1)]
    expected += [evidence.citation for evidence in formula.stability]
    trace = [step for step in reference.trace if step.title != "Beyond-use date"]
    expected += [f"{n}. {step.title} {step.text}" for n, step in enumerate(trace, 1)]
    missing = [item for item in expected if flat(item) not in text]
    assert not missing
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Fingerprint " in page
        assert f"{formula.id} v{formula.version}" in page


@pytest.mark.parametrize("formula_id", FORMULAS)
def test_master_formulation_record_carries_no_date(mfrs, formula_id: str) -> None:
    text = " ".join(mfrs[formula_id][2])
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)


def test_mfr_components_per_unit_and_per_reference_batch(mfrs) -> None:
    text = " ".join(mfrs["ldn-capsules"][2])
    assert "1 Naltrexone hydrochloride USP active; grade USP; naltrexone HCl, C20H23NO4·HCl, 377.86 g/mol" in text
    assert "per strength: 4.5 mg naltrexone HCl per capsule 4.5 mg 450 mg" in text
    assert "to fill 225.5 mg 22.55 g" in text
    assert "Capsule fill 230 mg per capsule; packing statistic of the formula" in text
    text = " ".join(mfrs["ldn-oral-liquid"][2])
    assert "0.5 % w/v 5 mg 500 mg" in text
    assert "20 % v/v 0.2 mL 20 mL" in text
    assert "q.s. q.s. to 1 mL q.s. to 100 mL" in text
    text = " ".join(mfrs["ldn-topical-cream"][2])
    assert "q.s. q.s. to 1 g 29.37 g (q.s. to 30 g)" in text
    assert "Aliquot plan for the reference batch (solution):" in text


def test_mfr_at_another_strength_recalculates_the_reference_batch() -> None:
    pages = pages_text(render_mfr(load_formula("ldn-capsules"), strength="1.5 mg"))
    text = " ".join(pages)
    assert "Strength 1.5 mg naltrexone HCl per capsule" in text
    assert "per strength: 1.5 mg naltrexone HCl per capsule 1.5 mg 150 mg" in text
    assert "Master formulation record · 1.5 mg naltrexone HCl per capsule" in pages[0]
    with pytest.raises(InputError, match=r"^strength must be within the formula's range"):
        render_mfr(load_formula("ldn-capsules"), strength="20 mg")


def test_mfr_is_byte_identical_wherever_the_formula_file_lies(tmp_path: Path) -> None:
    builtin = load_formula("ldn-sublingual-drops")
    first = render_mfr(builtin, pharmacy=PHARMACY)
    copy = tmp_path / "copy" / "ldn-sublingual-drops.toml"
    copy.parent.mkdir()
    copy.write_text((Path(__file__).parents[1] / "formulas" / "ldn-sublingual-drops.toml").read_text("utf-8"))
    assert render_mfr(load_formula(copy), pharmacy=PHARMACY) == first
    assert render_mfr(attrs.evolve(builtin, version="1.1"), pharmacy=PHARMACY) != first


def test_a_long_formula_id_shortens_the_running_header_instead_of_overprinting() -> None:
    capsules = load_formula("ldn-capsules")
    formula = attrs.evolve(capsules, id="a-site-specific-formula-" + "x" * 30, version="2026.03-rev7")
    pages = pages_text(render_mfr(formula))
    assert all(f"{formula.id} v{formula.version} Master formulation record Fingerprint" in page for page in pages)
    assert "Master formulation record · 4.5 mg" not in " ".join(pages)
    formula = attrs.evolve(capsules, id="a-site-specific-formula-" + "x" * 40, version="2026.03-rev7")
    pages = pages_text(render_mfr(formula))
    assert all(re.search(r"\) Master formulation record Fingerprint \w+ Page \d of \d$", page) for page in pages)
    assert f"Master formula {formula.id}" in pages[0]  # the page's first lines name it


def test_a_lot_number_too_long_for_the_page_header_is_refused_not_cut_off(tmp_path: Path) -> None:
    result = attrs.evolve(batch("oral-liquid"), lot_number="W" * 120)
    target = tmp_path / "record.pdf"
    with pytest.raises(RenderError, match=r"^header text must fit in one line"):
        render_batch_record(result, target)
    assert not target.exists()


def test_without_a_pharmacy_the_record_has_lines_to_write_it_on(records) -> None:
    text = " ".join(pages_text(render(records["oral-liquid"][0])))
    assert re.search(r"Pharmacy: _{20,} Address: _{20,}", text)
    assert PHARMACY.name not in text


def test_the_yield_range_on_the_record_follows_the_sites_setting() -> None:
    from ldn_compound import Settings

    result = calculate_batch(
        "ldn-capsules", quantity=100, date="2026-03-01", settings=Settings(yield_tolerance=Decimal("0.1"))
    )
    text = " ".join(pages_text(render(result)))
    assert "90 capsules to 110 capsules (90–110 %)" in text


def test_an_excipient_below_the_minimum_weight_has_its_own_plan_on_the_record() -> None:
    text = " ".join(pages_text(render(batch("sublingual-drops"))))
    assert "Aliquot plan: Sodium benzoate NF (solution)" in text
    assert "Weigh 150 mg of Sodium benzoate NF." in text


def test_the_co_medication_screen_is_printed(records) -> None:
    overridden = records["capsules-overage-lots-override"][2][0]
    assert (
        "Co-medication screen Co-medication screened: tramadol (tramadol): opioid found (tramadol); "
        f"overridden (opioid-co-medication): {OPIOID_REASON}"
    ) in overridden
    assert "Co-medication screen No other medicines given: not screened" in records["oral-liquid"][2][0]
    screened = calculate_batch(
        "ldn-capsules", quantity=30, date="2026-03-01", other_medicines=["metformin", "levothyroxine"]
    )
    text = " ".join(pages_text(render(screened)))
    assert "Co-medication screen Co-medication screened: metformin, levothyroxine: no opioid" in text
    unclear = calculate_batch(
        "ldn-capsules",
        quantity=30,
        date="2026-03-01",
        other_medicines=["Percoset"],
        unclear_medicine_reason="patient confirmed: Percogesic (no opioid)",
    )
    text = " ".join(pages_text(render(unclear)))
    assert "Percoset (unclear: close to Percocet (oxycodone)): no opioid recognised; unclear name accepted" in text
    assert "Override medicine-name-unclear patient confirmed: Percogesic (no opioid)" in text
