"""Prescription and container labels: content, fit, continuation, barcodes, hostile text, determinism."""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import attrs
import pypdf
import pytest
from PIL import Image

import ldn_compound
from ldn_compound import (
    BatchResult,
    CoMedicationError,
    InputError,
    LabelFitError,
    MedicineNameError,
    Pharmacy,
    Prescription,
    RenderError,
    calculate_batch,
    format_amount,
)
from ldn_compound.render import labels
from ldn_compound.render._labelfit import TextBlock
from ldn_compound.render.labels import OPIOID_WARNING, render_label_sheet, render_labels
from ldn_compound.render.stocks import load_stocks
from ldn_compound.titration import parse_titration

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
needs_qpdf = pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")

DATE = "2026-03-01"
PHARMACY = Pharmacy(
    name="Riverside Compounding Pharmacy",
    address=("12 Main Street", "Springfield, IL 62701"),
    phone="(217) 555-0142",
    pharmacist="J. Doe, PharmD",
)
HOSTILE = '<b>Dr</b> Ana <img src="/etc/passwd"> & Co'
DIRECTIONS_400 = (
    "Take one capsule by mouth at bedtime. Start with 1.5 mg for 2 weeks, then 3 mg for 2 weeks, then 4.5 mg "
    "nightly. If vivid dreams disturb sleep, take in the morning instead. Do not take with opioid pain "
    "medicines, opioid cough products or opioid antidiarrhoeals. Stop 3 days before planned surgery and tell "
    "your surgeon. Keep out of reach of children. Ask your pharmacist first. Keep dry, below 25 °C."
)
QUANTITIES = {
    "ldn-capsules": 30,
    "ldn-oral-liquid": "120 mL",
    "ldn-sublingual-drops": "30 mL",
    "ldn-topical-cream": "30 g",
}
DIRECTIONS = {
    "ldn-capsules": "Take 1 capsule by mouth at bedtime",
    "ldn-oral-liquid": "Take 4.5 mL by mouth at bedtime",
    "ldn-sublingual-drops": "Place 9 drops under the tongue at bedtime",
    "ldn-topical-cream": "Apply 1 click to the inner wrist at bedtime",
}
FORMULAS = sorted(QUANTITIES)
STOCKS = sorted(load_stocks())
# Stocks whose labels are tall enough for a whole patient label (a4-2x7 is 38.1 mm high).
PATIENT_STOCKS = [s for s in STOCKS if s != "a4-2x7"]


# The dose per administration each patient label is checked for (a capsule's dose is its strength):
# 4.5 mL of 1 mg/mL, 9 drops of 0.5 mg, 1 click (0.25 mL) of 1 mg/g cream.
DOSES = {"ldn-oral-liquid": "4.5 mg", "ldn-sublingual-drops": "4.5 mg", "ldn-topical-cream": "0.25 mg"}


@functools.cache
def batch(formula: str, **options: Any) -> BatchResult:
    if formula in DOSES:
        options.setdefault("dose", DOSES[formula])
    return calculate_batch(formula, quantity=QUANTITIES[formula], date=DATE, **options)


def prescription(formula: str = "ldn-capsules", /, **changes: Any) -> Prescription:
    rx = Prescription(
        number="1234567",
        patient="Zoë Łukasiewicz-Núñez",
        prescriber=HOSTILE,
        directions=DIRECTIONS[formula],
        refills=2,
        date_filled=dt.date(2026, 3, 2),
    )
    return attrs.evolve(rx, **changes)


def render(result: BatchResult, **options: Any) -> bytes:
    out = io.BytesIO()
    render_labels(result, out, **options)
    return out.getvalue()


def text_of(data: bytes, tmp_path: Path) -> str:
    """The text in drawing order, with every run of white space made one space (lines wrap anywhere)."""
    source = tmp_path / "labels.pdf"
    source.write_bytes(data)
    result = subprocess.run(["pdftotext", "-raw", str(source), "-"], capture_output=True, check=True, text=True)
    return " ".join(result.stdout.split())


def pages(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def runs(data: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    """(text, font size, baseline height) of every line drawn on a page; no-break spaces read as spaces."""
    found: list[tuple[str, float, float]] = []

    def visit(text: str, _cm: object, tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            found.append((" ".join(text.split()), size, tm[5]))

    pypdf.PdfReader(io.BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return found


def barcodes(data: bytes, tmp_path: Path) -> list[str]:
    """The Code 128 values read from every page rendered at 300 dpi, page by page."""
    source = tmp_path / "barcodes.pdf"
    source.write_bytes(data)
    # PGM rather than PNG: poppler's PNG encoder takes ten times as long as the rendering
    subprocess.run(["pdftoppm", "-r", "300", "-gray", str(source), str(tmp_path / "page")], check=True)
    values: list[str] = []
    zxingcpp = pytest.importorskip("zxingcpp")
    for image in sorted(tmp_path.glob("page*.pgm")):
        found = zxingcpp.read_barcodes(Image.open(image))
        assert all(r.format.name == "Code128" for r in found)
        values += [r.text for r in found]
    return values


def patient_elements(result: BatchResult, rx: Prescription) -> list[str]:
    strength = format_amount(result.strength.amount)
    form = result.formula.dosage_form.display_name
    return [
        rx.directions,
        rx.patient,
        f"Naltrexone HCl {strength} {form}",
        "compounded",
        f"Qty: {format_amount(result.quantity)}",
        f"Refills: {rx.refills}",
        "Filled: 2026-03-02",
        f"Prescriber: {rx.prescriber}",
        f"Lot: {result.lot_number}",
        f"Discard after {result.beyond_use.date.isoformat()}",
        result.beyond_use.storage,
        OPIOID_WARNING,
        "Tell your doctor or surgeon that you take naltrexone.",
        f"Rx {rx.number}",
        "RPh ____",  # the place for the verifying pharmacist's initials
        "Riverside Compounding Pharmacy",
        "12 Main Street, Springfield, IL 62701",
        "Tel. (217) 555-0142",
    ]


# --------------------------------------------------------------------------- every formula on every stock


@needs_poppler
@pytest.mark.parametrize("stock", PATIENT_STOCKS)
@pytest.mark.parametrize("formula", FORMULAS)
def test_patient_label_shows_every_required_element(formula: str, stock: str, tmp_path: Path) -> None:
    result = batch(formula)
    rx = prescription(formula)
    data = render(result, prescriptions=[rx], pharmacy=PHARMACY, stock=stock)
    text = text_of(data, tmp_path)
    missing = [element for element in patient_elements(result, rx) if element not in text]
    assert missing == []
    if formula == "ldn-sublingual-drops":
        assert "sublingual drops (0.5 mg per drop), compounded" in text
    assert "Override" not in text


@needs_poppler
@pytest.mark.parametrize("stock", STOCKS)
@pytest.mark.parametrize("formula", FORMULAS)
def test_container_label_shows_every_required_element(formula: str, stock: str, tmp_path: Path) -> None:
    result = batch(formula)
    data = render(result, pharmacy=PHARMACY, stock=stock)
    assert pages(data) == 1
    text = text_of(data, tmp_path)
    form = result.formula.dosage_form
    elements = [
        f"{result.formula.name}, {result.strength.describe()}",
        f"Compounded preparation · {form.display_name} ({form.route})",
        f"Quantity: {format_amount(result.quantity)}",
        f"Compounded: {result.compounding_date.isoformat()}",
        f"Beyond-use date: {result.beyond_use.date.isoformat()}",
        result.beyond_use.storage,
        OPIOID_WARNING,
        f"Lot {result.lot_number}",
        "Riverside Compounding Pharmacy",
    ]
    assert [element for element in elements if element not in text] == []
    assert "Override" not in text
    assert "RPh" not in text  # a container label is not a dispensed prescription


@pytest.mark.parametrize("stock", [s for s in STOCKS if load_stocks()[s].kind == "roll"])
@pytest.mark.parametrize("formula", FORMULAS)
def test_directions_come_first_and_largest_at_11_pt_or_more(formula: str, stock: str) -> None:
    data = render(batch(formula), prescriptions=[prescription(formula)], pharmacy=PHARMACY, stock=stock)
    lines = runs(data)
    directions = [line for line in lines if line[0] in DIRECTIONS[formula]]
    others = [line for line in lines if line not in directions]
    assert " ".join(line[0] for line in directions) == DIRECTIONS[formula]
    assert min(size for _, size, _ in directions) >= 11
    assert max(size for _, size, _ in directions) > max(size for _, size, _ in others)
    assert max(height for _, _, height in directions) > max(height for _, _, height in others)
    assert lines[0] == directions[0]


@pytest.mark.parametrize("stock", ["roll-3x2in", "roll-4x2in", "letter-2x5"])
def test_an_amount_is_never_split_from_its_unit_at_a_line_end(stock: str) -> None:
    unit = re.compile(r"^(mcg|mg|g|mL|capsules?|drops?|days?|°C)\b")
    jobs: list[tuple[BatchResult, Prescription | None]] = [(batch(f), prescription(f)) for f in FORMULAS]
    jobs += [(batch(f), None) for f in FORMULAS]
    out = io.BytesIO()
    render_label_sheet(jobs, out, pharmacy=PHARMACY, stock=stock)
    for page in range(pages(out.getvalue())):
        lines = [text for text, _, _ in runs(out.getvalue(), page)]
        split = [(a, b) for a, b in itertools.pairwise(lines) if re.search(r"\d$", a) and unit.match(b)]
        assert split == []


def test_a4_2x7_holds_a_short_patient_label_on_two_labels_and_refuses_a_long_one() -> None:
    data = render(batch("ldn-capsules"), prescriptions=[prescription()], pharmacy=PHARMACY, stock="a4-2x7")
    texts = [line[0] for line in runs(data)]
    assert any(t.startswith("Rx 1234567 · label 1/2 (see 2/2)") for t in texts)
    assert "Rx 1234567 · Zoë Łukasiewicz-Núñez ·" in texts  # the fields kept whole, the "·" ending the line
    assert "label 2/2 (continued)" in texts

    long = prescription(directions="Take 1 capsule by mouth at bedtime; if vivid dreams, take it in the morning")
    with pytest.raises(LabelFitError, match=r"^\w[\w -]* must fit label stock a4-2x7 \("):
        render(batch("ldn-capsules"), prescriptions=[long], pharmacy=PHARMACY, stock="a4-2x7")


# --------------------------------------------------------------------------- barcodes


@needs_poppler
def test_barcodes_decode_to_the_rx_numbers_and_the_lot(tmp_path: Path) -> None:
    jobs: list[tuple[BatchResult, Prescription | None]] = [
        (batch(f), prescription(f, number=f"{1234560 + i}")) for i, f in enumerate(FORMULAS)
    ]
    jobs.append((batch("ldn-capsules"), None))
    data = io.BytesIO()
    render_label_sheet(jobs, data, pharmacy=PHARMACY, stock="roll-4x2in")
    expected = [f"{1234560 + i}" for i in range(4)] + [batch("ldn-capsules").lot_number]
    assert sorted(barcodes(data.getvalue(), tmp_path)) == sorted(expected)


@needs_poppler
def test_a_long_rx_number_is_narrowed_on_a_small_label_and_still_decodes(tmp_path: Path) -> None:
    data = render(
        batch("ldn-capsules"),
        prescriptions=[prescription(number="RX-2026-00012")],
        pharmacy=PHARMACY,
        stock="roll-3x2in",
    )
    assert barcodes(data, tmp_path)[0] == "RX-2026-00012"


def test_an_rx_number_too_long_for_the_barcode_is_refused() -> None:
    rx = prescription(number="RX-2026-000000012345-ABC")
    with pytest.raises(LabelFitError, match=r"^prescription number must fit .* on label stock roll-3x2in"):
        render(batch("ldn-capsules"), prescriptions=[rx], pharmacy=PHARMACY, stock="roll-3x2in")


def test_an_rx_number_code_128_cannot_encode_is_refused() -> None:
    with pytest.raises(RenderError, match=r"^prescription number must be printable ASCII"):
        render(batch("ldn-capsules"), prescriptions=[prescription(number="Rx№12")], pharmacy=PHARMACY)


# --------------------------------------------------------------------------- fit check


def test_400_character_directions_do_not_fit_a_3x2_inch_roll() -> None:
    assert len(DIRECTIONS_400) == 400
    rx = prescription(directions=DIRECTIONS_400)
    with pytest.raises(LabelFitError) as info:
        render(batch("ldn-capsules"), prescriptions=[rx], pharmacy=PHARMACY, stock="roll-3x2in")
    message = str(info.value)
    assert message.startswith("directions must fit label stock roll-3x2in (71.2 x ")
    assert "for prescription 1234567 at 11 pt or larger (got 400 characters needing " in message


@needs_poppler
def test_the_same_directions_fit_a_4x6_inch_roll_whole_and_at_11_pt_or_more(tmp_path: Path) -> None:
    rx = prescription(directions=DIRECTIONS_400)
    with pytest.raises(LabelFitError, match="roll-4x2.5in"):  # too much with the rest of the required text
        render(batch("ldn-capsules"), prescriptions=[rx], pharmacy=PHARMACY, stock="roll-4x2.5in")
    data = render(batch("ldn-capsules"), prescriptions=[rx], pharmacy=PHARMACY, stock="roll-4x6in")
    assert pages(data) == 1
    assert DIRECTIONS_400 in text_of(data, tmp_path)
    sizes = {size for text, size, _ in runs(data) if text in DIRECTIONS_400}
    assert min(sizes) >= 11


def test_words_beside_the_barcode_are_never_split() -> None:
    pharmacy = attrs.evolve(PHARMACY, name="Łukasiewicz-Núñez-Compounding-Pharmacy-Incorporated")
    data = render(batch("ldn-capsules"), prescriptions=[prescription()], pharmacy=pharmacy, stock="roll-3x2in")
    assert any(text.startswith("Łukasiewicz-Núñez-Compounding-Pharmacy-Incorporated ·") for text, _, _ in runs(data))


def test_a_word_too_wide_for_the_room_beside_the_barcode_is_refused_there() -> None:
    block = TextBlock("lot", "Lot " + "9" * 40, preferred_size=10, min_size=7.5, bold=True)
    with pytest.raises(LabelFitError, match=r"^lot must fit the test box at 7.5 pt or larger without splitting a word"):
        labels._whole_words([block], 30.0, "the test box")
    (smaller,) = labels._whole_words([attrs.evolve(block, text="Lot B20260301-9C0D")], 30.0, "the test box")
    assert 7.5 <= smaller.preferred_size < 10


def test_a_label_too_small_for_its_text_raises_label_fit_error(tmp_path: Path) -> None:
    path = tmp_path / "stocks.toml"
    path.write_text(
        '[stock."tiny"]\ndescription = "Tiny"\nkind = "roll"\nlabel = [60, 12]\npadding = 1\n'
        '[stock."sliver"]\ndescription = "Sliver"\nkind = "roll"\nlabel = [60, 8.8]\npadding = 1\n'
    )
    with pytest.raises(
        LabelFitError, match=r"^directions must fit label stock tiny \(58 x [0-9.]+ mm above the bottom"
    ):
        render(batch("ldn-capsules"), prescriptions=[prescription()], pharmacy=PHARMACY, stock="tiny", stock_file=path)
    with pytest.raises(LabelFitError, match=r"^bottom line must leave room for the label text on label stock sliver"):
        render(
            batch("ldn-capsules"), prescriptions=[prescription()], pharmacy=PHARMACY, stock="sliver", stock_file=path
        )


def test_a_stock_from_a_pharmacy_file_can_be_used(tmp_path: Path) -> None:
    path = tmp_path / "stocks.toml"
    path.write_text('[stock."zebra-4x3in"]\ndescription = "Zebra"\nkind = "roll"\nlabel = [101.6, 76.2]\npadding = 2\n')
    data = render(
        batch("ldn-capsules"), prescriptions=[prescription()], pharmacy=PHARMACY, stock="zebra-4x3in", stock_file=path
    )
    box = pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == (288.0, 216.0)
    with pytest.raises(InputError, match=r"^stock must be one of "):
        render(batch("ldn-capsules"), stock="zebra-4x3in")


# --------------------------------------------------------------------------- titration


@needs_poppler
@pytest.mark.parametrize(
    ("formula", "rows", "total"),
    [
        (
            "ldn-oral-liquid",
            [
                "1.5 mg (1.5 mL) once daily for 7 days",
                "3 mg (3 mL) once daily for 7 days",
                "then 4.5 mg (4.5 mL) once daily",
            ],
            "The first 14 days use 31.5 mL.",
        ),
        (
            "ldn-sublingual-drops",
            [
                "1.5 mg (3 drops) once daily for 7 days",
                "3 mg (6 drops) once daily for 7 days",
                "then 4.5 mg (9 drops) once daily",
            ],
            "The first 14 days use 63 drops (3.15 mL).",
        ),
    ],
)
@pytest.mark.parametrize("stock", ["roll-4x2.5in", "roll-3x2in", "letter-2x5"])
def test_titration_schedule_prints_what_to_measure_and_the_total(
    formula: str, rows: list[str], total: str, stock: str, tmp_path: Path
) -> None:
    rx = prescription(
        formula,
        directions="Take at bedtime as in the dosing schedule",
        titration=parse_titration("1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg"),
    )
    text = text_of(render(batch(formula), prescriptions=[rx], pharmacy=PHARMACY, stock=stock), tmp_path)
    assert " ".join(["Dosing schedule:", *rows, total]) in text
    assert [e for e in patient_elements(batch(formula), rx) if e not in text] == []


@needs_poppler
def test_a_schedule_with_only_timed_steps_gives_its_whole_total(tmp_path: Path) -> None:
    rx = prescription("ldn-oral-liquid", titration=parse_titration("1 mg for 10 days, 2 mg for 10 days"))
    text = text_of(render(batch("ldn-oral-liquid"), prescriptions=[rx], pharmacy=PHARMACY), tmp_path)
    assert "The whole schedule (20 days) uses 30 mL." in text


def test_titration_on_capsules_is_refused() -> None:
    rx = prescription(titration=parse_titration("1.5 mg for 7 days, then 3 mg"))
    with pytest.raises(InputError, match=r"^titration must be for an oral liquid or sublingual drops"):
        render(batch("ldn-capsules"), prescriptions=[rx], pharmacy=PHARMACY)


# --------------------------------------------------------------------------- sheets and continuation labels


@needs_poppler
def test_sheet_keeps_the_order_and_numbers_a_prescription_spread_over_two_labels(tmp_path: Path) -> None:
    titrated = prescription(
        "ldn-oral-liquid",
        number="2000002",
        patient="Second Patient",
        directions="Take by mouth at bedtime as in the dosing schedule",
        titration=parse_titration("1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg"),
    )
    jobs: list[tuple[BatchResult, Prescription | None]] = [
        (batch("ldn-capsules"), prescription(number="1000001", patient="First Patient")),
        (batch("ldn-oral-liquid"), titrated),
        (batch("ldn-capsules"), prescription(number="3000003", patient="Third Patient")),
    ]
    out = io.BytesIO()
    render_label_sheet(jobs, out, pharmacy=PHARMACY, stock="letter-2x5")
    text = text_of(out.getvalue(), tmp_path)
    order = [
        "First Patient",
        "Rx 1000001",
        "Second Patient",
        "Rx 2000002 · label 1/2 (see 2/2)",
        "Rx 2000002 · Second Patient · label 2/2 (continued) Dosing schedule:",
        "Third Patient",
        "Rx 3000003",
    ]
    positions = [text.find(part) for part in order]
    assert -1 not in positions
    assert positions == sorted(positions)
    assert "Rx 1000001 · label" not in text  # a prescription on one label is not numbered
    assert pages(out.getvalue()) == 1


def test_continuation_labels_carry_the_rx_number_and_patient() -> None:
    rx = prescription(
        "ldn-oral-liquid",
        titration=parse_titration("1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg"),
        directions="Take by mouth at bedtime as in the dosing schedule",
    )
    data = render(batch("ldn-oral-liquid"), prescriptions=[rx], pharmacy=PHARMACY, stock="roll-3x2in")
    assert pages(data) == 2
    first = [line[0] for line in runs(data, 0)]
    second = [line[0] for line in runs(data, 1)]
    assert "Rx 1234567 · label 1/2 (see 2/2)" in " ".join(first)
    assert " ".join(second).startswith("Rx 1234567 · Zoë Łukasiewicz-Núñez · label 2/2 (continued)")
    assert OPIOID_WARNING + "." in first  # the warning never moves off the first label


def test_a_long_schedule_spreads_over_three_labels_numbered_n_of_3() -> None:
    steps = ", ".join(f"{d / 10:g} mg for 3 days" for d in range(5, 45, 5)) + ", then 4.5 mg"
    rx = prescription(
        "ldn-oral-liquid", titration=parse_titration(steps), directions="Take at bedtime as in the dosing schedule"
    )
    data = render(batch("ldn-oral-liquid"), prescriptions=[rx], pharmacy=PHARMACY, stock="roll-3x2in")
    assert pages(data) == 3
    texts = [" ".join(line[0] for line in runs(data, page)) for page in range(3)]
    assert "label 1/3 (see 2/3 to 3/3)" in texts[0]
    assert "label 2/3 (continued)" in texts[1]
    assert "label 3/3 (continued)" in texts[2]
    assert "0.5 mg (0.5 mL) once daily for 3 days" in " ".join(texts)


def test_a_schedule_too_long_for_any_label_names_it() -> None:
    steps = ", ".join(f"{d / 10:g} mg for 1 day" for d in range(1, 35)) + ", then 4.5 mg"
    rx = prescription("ldn-oral-liquid", titration=parse_titration(steps))
    with pytest.raises(LabelFitError, match=r"^titration schedule must fit label stock roll-3x2in"):
        render(
            calculate_batch("ldn-oral-liquid", quantity="300 mL", date=DATE),
            prescriptions=[rx],
            pharmacy=PHARMACY,
            stock="roll-3x2in",
        )


def test_labels_fill_each_sheet_before_the_next() -> None:
    jobs: list[tuple[BatchResult, Prescription | None]] = [
        (batch("ldn-capsules"), prescription(number=f"RX{100000 + i}", patient=f"Patient {i}")) for i in range(21)
    ]
    out = io.BytesIO()
    render_label_sheet(jobs, out, pharmacy=PHARMACY, stock="letter-2x5")
    data = out.getvalue()
    assert pages(data) == 3
    assert [len([t for t, _, _ in runs(data, page) if t.startswith("Rx ")]) for page in range(3)] == [10, 10, 1]


def test_no_labels_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"^labels must list at least one batch to label"):
        render_label_sheet([], io.BytesIO())


# --------------------------------------------------------------------------- auxiliary statements and safety


@needs_poppler
def test_opioid_warning_is_printed_even_when_the_formula_lacks_it(tmp_path: Path) -> None:
    plain = batch("ldn-capsules")
    result = attrs.evolve(
        plain, formula=attrs.evolve(plain.formula, auxiliary_labels=("Keep out of reach of children",))
    )
    patient = text_of(render(result, prescriptions=[prescription()], pharmacy=PHARMACY), tmp_path)
    assert OPIOID_WARNING in patient
    assert "Keep out of reach of children." in patient
    container = text_of(render(result, pharmacy=PHARMACY), tmp_path)
    assert OPIOID_WARNING in container
    assert "Keep out of reach of children." not in container  # statements for patients stay on patient labels


@needs_poppler
def test_a_liquid_made_from_tablets_says_shake_well(tmp_path: Path) -> None:
    suspension = batch("ldn-oral-liquid", tablet_weight="210 mg")
    assert "Shake well" not in text_of(render(batch("ldn-oral-liquid"), pharmacy=PHARMACY), tmp_path)
    for prescriptions in ([prescription("ldn-oral-liquid")], []):
        text = text_of(render(suspension, prescriptions=prescriptions, pharmacy=PHARMACY), tmp_path)
        assert f"{OPIOID_WARNING}. Shake well." in text


@needs_poppler
def test_a_liquid_made_from_tablets_is_an_oral_suspension_on_every_label(tmp_path: Path) -> None:
    suspension = batch("ldn-oral-liquid", tablet_weight="210 mg")
    container = text_of(render(suspension, pharmacy=PHARMACY), tmp_path)
    assert "Naltrexone hydrochloride oral suspension, 1 mg/mL naltrexone HCl" in container
    assert "Compounded preparation · oral suspension (oral)" in container
    assert "solution" not in container and "oral liquid" not in container
    patient = text_of(render(suspension, prescriptions=[prescription("ldn-oral-liquid")], pharmacy=PHARMACY), tmp_path)
    assert "Naltrexone HCl 1 mg/mL oral suspension, compounded" in patient
    drops = text_of(render(batch("ldn-sublingual-drops", tablet_weight="210 mg"), pharmacy=PHARMACY), tmp_path)
    assert "sublingual drops (suspension) (sublingual)" in drops
    spanish = text_of(
        render(
            suspension,
            prescriptions=[prescription("ldn-oral-liquid", sig=ldn_compound.parse_sig("4.5 mL po qhs"))],
            pharmacy=PHARMACY,
            language="es",
        ),
        tmp_path,
    )
    assert "suspensión oral" in spanish
    assert "RPh ____" in spanish  # the pharmacist's place is the pharmacy's, in any label language


@needs_poppler
def test_statements_the_storage_line_makes_are_not_repeated(tmp_path: Path) -> None:
    text = text_of(
        render(batch("ldn-oral-liquid"), prescriptions=[prescription("ldn-oral-liquid")], pharmacy=PHARMACY), tmp_path
    )
    assert "Store in a refrigerator (2-8 °C), protected from light" in text
    assert "Refrigerate" not in text
    assert "Protect from light" not in text
    assert "Measure each dose with the oral syringe provided." in text


@needs_poppler
def test_override_is_printed_on_the_container_label_only(tmp_path: Path) -> None:
    result = batch("ldn-capsules", other_medicines=("tramadol 50 mg",), co_medication_reason="supervised taper")
    container = text_of(render(result, pharmacy=PHARMACY), tmp_path)
    assert "Override opioid-co-medication: supervised taper" in container
    patient = text_of(render(result, prescriptions=[prescription()], pharmacy=PHARMACY), tmp_path)
    assert "supervised taper" not in patient
    assert OPIOID_WARNING in patient


def test_an_opioid_among_other_medicines_stops_the_labels_unless_the_batch_overrides_it(tmp_path: Path) -> None:
    target = tmp_path / "labels.pdf"
    with pytest.raises(
        CoMedicationError,
        match=r"^other medicines must not include opioids \(OxyContin \(oxycodone\): oxycodone\): .* \(got 'OxyContin \(oxycodone\)'\)",
    ):
        render_labels(
            batch("ldn-capsules"),
            target,
            prescriptions=[prescription()],
            pharmacy=PHARMACY,
            other_medicines=["OxyContin (oxycodone)"],
        )
    assert not target.exists()
    render_labels(
        batch("ldn-capsules"),
        target,
        prescriptions=[prescription()],
        pharmacy=PHARMACY,
        other_medicines=["levothyroxine"],
    )
    overridden = batch("ldn-capsules", other_medicines=("oxycodone",), co_medication_reason="palliative care plan")
    render_labels(overridden, target, prescriptions=[prescription()], pharmacy=PHARMACY, other_medicines=["oxycodone"])
    assert target.read_bytes().startswith(b"%PDF")


def test_a_brand_or_an_unclear_name_stops_the_labels_unless_the_batch_overrides_it(tmp_path: Path) -> None:
    target = tmp_path / "labels.pdf"
    options: dict[str, Any] = {"prescriptions": [prescription()], "pharmacy": PHARMACY}
    with pytest.raises(CoMedicationError, match=r"Percocet 5/325: oxycodone"):
        render_labels(batch("ldn-capsules"), target, other_medicines=["Percocet 5/325"], **options)
    with pytest.raises(MedicineNameError, match=r"did you mean oxycodone\?\); correct it, or calculate the batch"):
        render_labels(batch("ldn-capsules"), target, other_medicines=["oxycodon"], **options)
    assert not target.exists()
    accepted = batch("ldn-capsules", other_medicines=("oxycodon",), unclear_medicine_reason="oxybutynin, misspelt")
    render_labels(accepted, target, other_medicines=["oxycodon"], **options)
    assert target.read_bytes().startswith(b"%PDF")


def test_a_patient_label_needs_the_pharmacy() -> None:
    with pytest.raises(InputError, match=r"^pharmacy must be given for patient labels"):
        render(batch("ldn-capsules"), prescriptions=[prescription()])
    assert render(batch("ldn-capsules")).startswith(b"%PDF")  # a container label may go without


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"patient": "  "}, r"^patient must not be blank on a patient label"),
        ({"directions": "\n"}, r"^directions must not be blank on a patient label"),
        ({"refills": -1}, r"^refills must be 0 or more \(got -1\)"),
    ],
)
def test_blank_or_impossible_prescription_values_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        render(batch("ldn-capsules"), prescriptions=[prescription(**changes)], pharmacy=PHARMACY)


# --------------------------------------------------------------------------- hostile text


@needs_poppler
def test_latin_names_and_markup_characters_print_exactly(tmp_path: Path) -> None:
    rx = prescription(
        patient="Zoë Łukasiewicz-Núñez", prescriber=HOSTILE, directions="Take 1 capsule <at> bedtime & rest"
    )
    pharmacy = attrs.evolve(PHARMACY, name="Šťastná & <Søn> Lékárna")
    data = render(batch("ldn-capsules"), prescriptions=[rx], pharmacy=pharmacy)
    text = text_of(data, tmp_path)
    for value in (
        "Zoë Łukasiewicz-Núñez",
        f"Prescriber: {HOSTILE}",
        "Take 1 capsule <at> bedtime & rest",
        "Šťastná & <Søn> Lékárna",
    ):
        assert value in text
    assert b"/Subtype /Image" not in data


def test_decomposed_accents_print_as_one_character() -> None:
    data = render(batch("ldn-capsules"), prescriptions=[prescription(patient="Zoe\u0308")], pharmacy=PHARMACY)
    assert "Zoë" in [line[0] for line in runs(data)]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"patient": "患者"}, "patient", "U+60A3"),
        ({"directions": "Take 1 capsule 💊 at bedtime"}, "directions", "U+1F48A"),
    ],
)
def test_characters_the_font_lacks_are_refused_before_any_file_is_written(
    changes: dict[str, Any], field: str, code: str, tmp_path: Path
) -> None:
    target = tmp_path / "labels.pdf"
    with pytest.raises(RenderError, match=rf"^{field} must use characters the font can print \(got {re.escape(code)} "):
        render_labels(batch("ldn-capsules"), target, prescriptions=[prescription(**changes)], pharmacy=PHARMACY)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- output


def test_same_inputs_give_byte_identical_pdfs(tmp_path: Path) -> None:
    rx = prescription("ldn-oral-liquid", titration=parse_titration("1.5 mg for 7 days, then 3 mg"))
    first = render(batch("ldn-oral-liquid"), prescriptions=[rx], pharmacy=PHARMACY, stock="letter-2x5")
    assert render(batch("ldn-oral-liquid"), prescriptions=[rx], pharmacy=PHARMACY, stock="letter-2x5") == first
    path = tmp_path / "labels.pdf"
    render_labels(batch("ldn-oral-liquid"), path, prescriptions=[rx], pharmacy=PHARMACY, stock="letter-2x5")
    assert path.read_bytes() == first
    other = render(
        batch("ldn-oral-liquid"),
        prescriptions=[attrs.evolve(rx, patient="Other")],
        pharmacy=PHARMACY,
        stock="letter-2x5",
    )
    assert other != first


def test_the_document_date_is_the_fill_date_else_the_compounding_date() -> None:
    filled = pypdf.PdfReader(
        io.BytesIO(render(batch("ldn-capsules"), prescriptions=[prescription()], pharmacy=PHARMACY))
    )
    assert filled.metadata is not None
    assert str(filled.metadata["/CreationDate"]) == "D:20260302000000+00'00'"
    unfilled = render(batch("ldn-capsules"), prescriptions=[prescription(date_filled=None)], pharmacy=PHARMACY)
    container = render(batch("ldn-capsules"))
    for data in (unfilled, container):
        metadata = pypdf.PdfReader(io.BytesIO(data)).metadata
        assert metadata is not None
        assert str(metadata["/CreationDate"]) == "D:20260301000000+00'00'"


@needs_qpdf
@pytest.mark.parametrize("stock", ["roll-3x2in", "letter-2x5", "a4-2x4"])
def test_qpdf_finds_no_structural_errors(stock: str, tmp_path: Path) -> None:
    path = tmp_path / "labels.pdf"
    jobs: list[tuple[BatchResult, Prescription | None]] = [(batch(f), prescription(f)) for f in FORMULAS]
    jobs += [(batch(f), None) for f in FORMULAS]
    render_label_sheet(jobs, path, pharmacy=PHARMACY, stock=stock, outline=True)
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def test_labels_are_importable_from_the_package() -> None:
    import ldn_compound

    assert ldn_compound.render_labels is render_labels
    assert labels.__all__ == ["OPIOID_WARNING", "render_label_sheet", "render_labels"]


def test_a_patient_label_needs_a_checked_dose_for_liquids_drops_and_creams() -> None:
    undosed = calculate_batch("ldn-oral-liquid", quantity="100 mL", date=DATE)
    with pytest.raises(InputError, match="^dose must be known for a patient label of oral liquid"):
        render(undosed, prescriptions=[prescription("ldn-oral-liquid")], pharmacy=PHARMACY)
    titrated = prescription("ldn-oral-liquid", titration=parse_titration("1.5 mg for 7 days, then 3 mg"))
    assert render(undosed, prescriptions=[titrated], pharmacy=PHARMACY).startswith(b"%PDF")


def test_refrigerated_storage_stays_on_the_first_label() -> None:
    rx = prescription(
        "ldn-oral-liquid",
        titration=parse_titration("0.5 mg for 3 days, 1 mg for 3 days, 1.5 mg for 3 days, then 4.5 mg"),
    )
    data = render(batch("ldn-oral-liquid"), prescriptions=[rx], pharmacy=PHARMACY, stock="roll-3x2in")
    assert pages(data) > 1  # the schedule moved to a continuation label
    first = " ".join(text for text, _size, _y in runs(data, 0))
    assert "refrigerator" in first


def test_dose_per_drop_prints_rounded_on_the_label(tmp_path: Path) -> None:
    drops = calculate_batch("ldn-sublingual-drops", quantity="30 mL", drops_per_ml=30, dose="3 mg", date=DATE)
    text = text_of(render(drops, prescriptions=[prescription("ldn-sublingual-drops")], pharmacy=PHARMACY), tmp_path)
    assert "(0.333 mg per drop)" in text
    assert "0.3333333" not in text


def test_a_line_of_fields_breaks_between_fields_and_never_starts_with_a_separator() -> None:
    from ldn_compound.render._labelfit import _word_width, _wrap, _wrap_words
    from ldn_compound.render._pdf import FONT

    text = "Qty: 30 capsules · Refills: 2 · Filled: 2026-03-02 · Prescriber: Dr Amira Haddad · Lot: L2026-000001"
    room = _word_width("Qty: 30 capsules · Refills: 2 · Filled: 2026-03-02 · Prescriber: Dr", FONT)
    assert _wrap_words(text, FONT, room)[0].endswith("Prescriber: Dr")  # a word wrap splits the prescriber's name
    assert _wrap(text, FONT, room) == (
        "Qty: 30 capsules · Refills: 2 · Filled: 2026-03-02 ·",
        "Prescriber: Dr Amira Haddad · Lot: L2026-000001",
    )
    # where keeping fields whole would cost a line, the word wrap stands
    text = "Rx 1234567 · Zoë Łukasiewicz-Núñez · label 2/2 (continued)"
    room = _word_width("Rx 1234567 · Zoë Łukasiewicz-Núñez", FONT)
    assert (
        _wrap(text, FONT, room)
        == _wrap_words(text, FONT, room)
        == (
            "Rx 1234567 · Zoë Łukasiewicz-Núñez",
            "· label 2/2 (continued)",
        )
    )
