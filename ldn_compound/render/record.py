"""Compounding (batch) records and master formulation records as PDF, for USP <795>.

:func:`render_batch_record` prints the record a technician works from and signs
for one calculated batch: what to weigh and measure, with room to write the
actual amounts, lots and initials; the calculations; the aliquot plan; the
procedure with check boxes; quality control with this batch's numbers;
deviations; sign-off.  :func:`render_master_formula` prints the approved
recipe: every component per unit and per the formula's reference batch, the
instructions, the quality checks and the references behind the beyond-use date.

Every page says "Page n of N" and carries the lot number (or the formula id)
and a fingerprint of the data, so a reprint can be matched to what it was
printed from.  The same inputs give byte-identical PDFs.

>>> import io
>>> from ldn_compound import calculate_batch
>>> batch = calculate_batch("ldn-capsules", quantity=32, strength="1.5 mg", date="2026-03-01")
>>> out = io.BytesIO()
>>> render_batch_record(batch, out)
>>> out.getvalue()[:5]
b'%PDF-'
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import BinaryIO, Final

import attrs
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer

from ldn_compound.batch import calculate_batch
from ldn_compound.exceptions import InputError
from ldn_compound.model import (
    AmountKind,
    BatchResult,
    CapsuleFill,
    DosageForm,
    Ingredient,
    MasterFormula,
    Pharmacy,
    Prescription,
    TabletSource,
)
from ldn_compound.render._pdf import (
    FONT,
    FONT_BOLD,
    DocumentInfo,
    PageGeometry,
    RunningText,
    build_pdf,
    data_table,
    markup,
    pt,
    styles,
    write_pdf,
)
from ldn_compound.settings import default_settings
from ldn_compound.units import Quantity, QuantityLike, format_amount, format_number, magnitude
from ldn_compound.weighing import procedure_steps, reconciliation, reconciliation_text

__all__ = ["render_batch_record", "render_master_formula"]

_PAGE_SIZES: Final = {"letter": "Letter", "a4": "A4"}

#: The date the master formulation record's reference batch is calculated for.
#: It is never printed; it only keeps the MFR the same from day to day.
_REFERENCE_DATE: Final = dt.date(2000, 1, 1)

#: Reference batch sizes for formulas that do not name one.
_DEFAULT_REFERENCE: Final = {
    DosageForm.CAPSULES: "100",
    DosageForm.ORAL_LIQUID: "100 mL",
    DosageForm.SUBLINGUAL_DROPS: "30 mL",
    DosageForm.TOPICAL_CREAM: "30 g",
}

#: What one unit of each dosage form is, for "per unit" amounts.
_UNIT: Final = {
    DosageForm.CAPSULES: "capsule",
    DosageForm.ORAL_LIQUID: "mL",
    DosageForm.SUBLINGUAL_DROPS: "mL",
    DosageForm.TOPICAL_CREAM: "g",
}

#: Column widths of the components table (mm on A4, scaled to the page).
_COMPONENT_SHARES: Final = (7.0, 54.0, 45.0, 38.0, 30.0)

#: A table of weighings this short is kept on one page.
_KEEP_WEIGHINGS: Final = 12

#: Column widths of the weighings table.
_WEIGHING_SHARES: Final = (11.0, 52.0, 38.0, 26.0, 31.0, 16.0)

_MEASURE_WORDS: Final = {"weigh": "weigh", "measure": "measure by volume", "q.s.": "q.s. to volume"}

_BOX: Final = "☐"
_TICK: Final = f"{_BOX}\n"  # a check box with a line's room below it for initials
_CELL_TEXT_PT: Final = 9.0  # the cell style's size; blanks are measured with it
_CELL_ROOM_MM: Final = 3.4  # cell padding on both sides and a little air
_RUNNING_PT: Final = 9.0  # the running header's size, to choose a header that fits
_FINGERPRINT_DIGITS: Final = 12


# --------------------------------------------------------------------------- small helpers


def _geometry(page_size: str) -> PageGeometry:
    """The page for ``"letter"`` or ``"a4"`` (any case)."""
    size = _PAGE_SIZES.get(page_size.strip().lower()) if isinstance(page_size, str) else None
    if size is None:
        raise InputError("page size", page_size, "be 'letter' or 'a4'")
    return PageGeometry(size=size)  # type: ignore[arg-type]  # one of the two literals


def _para(text: str, field: str, style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph of data (escaped and glyph-checked by :func:`markup`)."""
    style = style or styles().body
    font = FONT_BOLD if style.fontName == FONT_BOLD else FONT
    return Paragraph(markup(text, field, font=font), style)


def _heading(text: str) -> Paragraph:
    return _para(text, "heading", styles().heading2)


def _titled(title: str, body: Sequence[Flowable]) -> list[Flowable]:
    """A heading and what follows it, to be kept together by the caller."""
    return [_heading(title), *body]


def _section(title: str, body: Sequence[Flowable], *, keep: bool = False) -> list[Flowable]:
    """A heading and what follows it; ``keep`` keeps a short section on one page.

    A long section starts on a new page only when less than about 32 mm are left,
    so its heading is never the last thing on a page.
    """
    if keep:
        return [KeepTogether([_heading(title), *body])]
    return [CondPageBreak(pt(32)), _heading(title), *body]


def _blank(width_mm: float, prefix: str = "", suffix: str = "") -> str:
    """``prefix`` + a line of underscores + ``suffix`` that fits ``width_mm`` of a table cell."""
    room = pt(width_mm - _CELL_ROOM_MM)
    used = pdfmetrics.stringWidth(prefix + suffix, FONT, _CELL_TEXT_PT)
    underscore = pdfmetrics.stringWidth("_", FONT, _CELL_TEXT_PT)
    count = max(4, math.floor((room - used) / underscore))
    return f"{prefix}{'_' * count}{suffix}"


def _columns(geometry: PageGeometry, *shares: float) -> list[float]:
    """Column widths in mm: ``shares`` (mm on A4) scaled to the page's text width."""
    total = sum(shares)
    return [geometry.frame_width * share / total for share in shares]


def _table(
    geometry: PageGeometry, header: Sequence[str], rows: Sequence[Sequence[str]], shares: Sequence[float], field: str
) -> Flowable:
    return data_table(header, rows, width_mm=geometry.frame_width, field=field, weights=shares)


def _percent(value: Decimal) -> str:
    return f"{format_number(value * 100, significant=6)} %"


def _unit_of(quantity: Quantity) -> str:
    """The unit ``format_amount`` prints ``quantity`` in (``mg``, ``g``, ``mL``)."""
    return format_amount(quantity).rpartition(" ")[2]


def _fits_running_line(left: str, right: str, geometry: PageGeometry) -> bool:
    width = float(sum(pdfmetrics.stringWidth(text, FONT, _RUNNING_PT) for text in (left, right)))
    return width + pt(6) <= pt(geometry.frame_width)


def _running(candidates: Sequence[tuple[str, str]], footer: str, geometry: PageGeometry) -> RunningText:
    """The first header (left, right) of ``candidates`` that fits one line; the last one otherwise."""
    for left, right in candidates:
        if _fits_running_line(left, right, geometry):
            return RunningText(header_left=left, header_right=right, footer_left=footer)
    left, right = candidates[-1]
    return RunningText(header_left=left, header_right=right, footer_left=footer)


def _pharmacy_block(pharmacy: Pharmacy | None, geometry: PageGeometry) -> list[Flowable]:
    """The pharmacy's name, address, phone and pharmacist, or lines to write them on."""
    style = styles()
    if pharmacy is None:
        width = geometry.frame_width * 0.75
        return [
            _para(_blank(width, "Pharmacy: "), "pharmacy", style.body),
            _para(_blank(width, "Address: "), "pharmacy address", style.body),
        ]
    parts: list[Flowable] = [_para(pharmacy.name, "pharmacy name", style.heading3)]
    for line, field in (
        *((line, "pharmacy address") for line in pharmacy.address),
        (f"Telephone: {pharmacy.phone}" if pharmacy.phone else "", "pharmacy phone"),
        (f"Pharmacist in charge: {pharmacy.pharmacist}" if pharmacy.pharmacist else "", "pharmacist"),
    ):
        if line:
            parts.append(_para(line, field, _address_style()))
    return parts


@functools.cache
def _address_style() -> ParagraphStyle:
    """Small text set close, for the lines of an address."""
    return ParagraphStyle("address", parent=styles().small, spaceAfter=0)


def _title(title: str, subtitle: str) -> list[Flowable]:
    style = styles()
    return [Spacer(1, pt(3)), _para(title, "title", style.heading1), _para(subtitle, "subtitle", style.heading3)]


def _numbered(items: Sequence[str]) -> list[list[str]]:
    return [[str(number), item] for number, item in enumerate(items, 1)]


def _strength_text(form: DosageForm, strength: str) -> str:
    return f"{strength} per capsule" if form is DosageForm.CAPSULES else strength


def _dosage_form_text(formula: MasterFormula, capsule_size: str | None, name: str | None = None) -> str:
    form = formula.dosage_form
    text = f"{name or form.display_name} ({form.route})"
    if capsule_size:
        text += f", capsule size {capsule_size}"
    return text


def _dose_per_unit(dose_per_unit: Mapping[str, Quantity]) -> str:
    return "; ".join(
        f"{format_amount(amount, significant=6)} per {unit}" for unit, amount in sorted(dose_per_unit.items())
    )


def _yield_range(theoretical: Quantity, limits: tuple[Quantity, Quantity] | None, form: DosageForm) -> str:
    """The acceptance range of the yield: ``31 to 33 capsules (whole capsules)``, ``95 mL to 105 mL (95–105 %)``.

    The limits come with the batch (``BatchResult.yield_range``, set by the site's
    yield tolerance; whole capsules for capsules, since a yield is a count).
    """
    if limits is None:
        tolerance = default_settings().yield_tolerance
        limits = (theoretical * (1 - tolerance), theoretical * (1 + tolerance))
    low, high = limits
    unit = str(theoretical.units)
    size = magnitude(theoretical, unit)
    if form is DosageForm.CAPSULES:  # a yield is a count: the limits are whole capsules
        return f"{format_number(magnitude(low, 'capsule'))} to {format_amount(high)} (whole capsules)"
    percent_low = format_number(magnitude(low, unit) / size * 100, significant=6)
    percent_high = format_number(magnitude(high, unit) / size * 100, significant=6)
    return f"{format_amount(low)} to {format_amount(high)} ({percent_low}–{percent_high} %)"


def _write(
    story: Sequence[Flowable],
    out: str | os.PathLike[str] | BinaryIO,
    *,
    info: DocumentInfo,
    geometry: PageGeometry,
    running: RunningText,
) -> None:
    """Lay out the whole document, then write it: a render error writes nothing."""
    write_pdf(build_pdf(story, info=info, geometry=geometry, decorate=running), out)


# --------------------------------------------------------------------------- compounding record


def _preparation_rows(result: BatchResult, geometry: PageGeometry) -> list[list[str]]:
    formula = result.formula
    form = formula.dosage_form
    value_width = _columns(geometry, 48, 126)[1]
    beyond = result.beyond_use
    rows = [
        ["Preparation", result.preparation_name],
        ["Strength", _strength_text(form, result.strength.describe())],
        [
            "Dosage form",
            _dosage_form_text(formula, result.capsule.size if result.capsule else None, result.dosage_form_name),
        ],
        [
            "Quantity made",
            format_amount(result.quantity)
            if not result.overage
            else f"{format_amount(result.quantity)} asked for; made with {format_number(result.overage * 100)} % "
            f"overage ({format_amount(result.theoretical_yield or result.quantity)} theoretical yield)",
        ],
    ]
    if result.overage:
        rows.append(["Overage", f"{_percent(result.overage)}: every component is scaled by the same overage"])
    if result.dose_per_unit:
        rows.append(["Dose per unit", _dose_per_unit(result.dose_per_unit)])
    rows += [
        ["Master formulation record", f"{formula.id}, version {formula.version}"],
        ["Compounding date and time", f"{result.compounding_date.isoformat()}, " + _blank(value_width / 2, "time: ")],
        ["Beyond-use date", f"{beyond.date.isoformat()} ({beyond.days} days after the compounding date)"],
        ["Storage", beyond.storage],
        ["Beyond-use date set by", beyond.rule + (f"; limited by {beyond.limited_by}" if beyond.limited_by else "")],
        ["Active ingredient source", _source_text(result.active)],
        ["Balance", f"{result.balance.describe()}; " + _blank(value_width / 2, "balance ID: ")],
        ["Container", formula.container],
        ["Co-medication screen", result.screening.summary()],
    ]
    return rows


def _prescription_rows(result: BatchResult, prescription: Prescription) -> list[list[str]]:
    """The prescription a patient-specific batch is made for: number, patient, prescriber, directions."""
    for field, value in (
        ("prescription number", prescription.number),
        ("patient", prescription.patient),
        ("prescriber", prescription.prescriber),
        ("directions", prescription.directions),
    ):
        if not value.strip():
            raise InputError(field, value, "not be blank on a compounding record")
    quantity = prescription.quantity if prescription.quantity is not None else result.quantity
    rows = [
        ["Patient", prescription.patient],
        ["Prescriber", prescription.prescriber],
        ["Directions", prescription.directions],
        ["Quantity dispensed", format_amount(quantity)],
        ["Refills", str(prescription.refills)],
    ]
    if prescription.date_filled is not None:
        rows.append(["Date filled", prescription.date_filled.isoformat()])
    if prescription.titration:
        steps = [
            f"{format_amount(step.dose)}" + (f" for {step.days} days" if step.days is not None else " from then on")
            for step in prescription.titration
        ]
        rows.append(["Titration", "; ".join(steps)])
    return rows


def _source_text(active: Ingredient) -> str:
    text = active.basis
    if active.tablets is not None:
        text += f"; crush {active.tablets} tablet{'s' if active.tablets != 1 else ''}"
    return text


def _tablet_holds(result: BatchResult, line: Ingredient, amount: Quantity | None = None) -> str:
    """``holds 18 mg naltrexone HCl``: the naltrexone in an amount of tablet powder ("" for other lines)."""
    source = result.source
    if line.role != "active" or not isinstance(source, TabletSource):
        return ""
    held = source.holds(line.amount if amount is None else amount)
    return f"holds {format_amount(held, significant=4)} {source.tablet_strength.basis.short_name}"


def _tablet_flowables(result: BatchResult, geometry: PageGeometry) -> list[Flowable]:
    """The tablets a batch is made from, and a table for weighing them for their average weight."""
    source = result.source
    if not isinstance(source, TabletSource):
        return []
    style = styles()
    value_width = _columns(geometry, 48, 126)[1]
    line = result.active
    lot = line.lot
    manufacturer = source.manufacturer or (lot.manufacturer if lot else "")
    rows = [
        ["Product (NDC or name)", source.product or _blank(value_width, "")],
        ["Strength", f"{source.tablet_strength.describe()} per tablet"],
        ["Manufacturer", manufacturer or _blank(value_width, "")],
        ["Lot", lot.lot if lot else _blank(value_width, "")],
        ["Expiry", lot.expiry.isoformat() if lot and lot.expiry else _blank(value_width, "")],
        [
            "Tablets to crush",
            (
                f"{line.tablets}; weigh {format_amount(line.amount)} of the tablet powder, which "
                f"{_tablet_holds(result, line)}"
            ),
        ],
    ]
    count = source.weighed
    per_row = 10
    boxes: list[list[str]] = []
    for start in range(1, count + 1, per_row):
        numbers = range(start, min(start + per_row, count + 1))
        boxes.append([f"Tablets {numbers[0]}–{numbers[-1]} (mg)", *(f"{n}\n" for n in numbers)])
        boxes[-1] += [""] * (per_row + 1 - len(boxes[-1]))
    weighing = _table(
        geometry,
        ["Weight of each tablet", *([""] * per_row)],
        boxes,
        [26.0] + [148.0 / per_row] * per_row,
        "tablet weights",
    )
    return _section(
        "Tablets (the naltrexone source)",
        keep=True,
        body=[
            _table(geometry, ["Tablets", "crushed to a tablet powder"], rows, [48, 126], "tablets"),
            Spacer(1, pt(3)),
            _para(
                f"Weigh {count} tablets one by one; the average weight is their total ÷ {count}. This record was "
                f"calculated with an average of {format_amount(source.average_weight)}: if the average differs, "
                "recalculate before weighing the tablet powder.",
                "tablet weights",
                style.small,
            ),
            weighing,
            Spacer(1, pt(2)),
            _para(
                _blank(60, f"Total of {count} tablets: ", " mg")
                + "  "
                + _blank(60, f"÷ {count} = average ", " mg per tablet"),
                "tablet weights",
                style.small,
            ),
        ],
    )


def _component_rows(result: BatchResult, widths: Sequence[float]) -> list[list[str]]:
    formula = result.formula
    grades = {component.id: component.grade for component in formula.components}
    rows: list[list[str]] = []
    for number, line in enumerate(result.ingredients, 1):
        role = line.role + (f", {grades[line.id]}" if grades.get(line.id) else "")
        name = f"{line.name}\n{role}"
        if line.role == "active":
            name += f"\n{_source_text(line)}"
        elif line.basis:
            name += f"\nformula: {line.basis}"

        lot = line.lot
        maker = lot.manufacturer if lot else ""
        if line.role == "active" and isinstance(result.source, TabletSource):
            maker = maker or result.source.manufacturer
        lot_cell = "\n".join(
            [
                f"Mfr {maker}" if maker else _blank(widths[2], "Mfr "),
                f"Lot {lot.lot}" if lot else _blank(widths[2], "Lot "),
                f"Exp {lot.expiry.isoformat()}" if lot and lot.expiry else _blank(widths[2], "Exp "),
            ]
        )

        amount = line.describe_amount()
        if line.overage.magnitude != 0:
            amount += f"\n= {format_amount(line.theoretical)} theoretical\n+ {format_amount(line.overage)} overage"
        if line.aliquot is not None:
            amount += f"\nby the aliquot plan ({line.aliquot.method})"
        held = _tablet_holds(result, line)
        if held:
            amount += f"\n{held}"

        rows_of = [str(n) for n, w in enumerate(result.weighings, 1) if w.line == line.id]
        measure = _MEASURE_WORDS.get(line.measure, line.measure)
        weighed = f"{measure}: W{', W'.join(rows_of)}" if rows_of else measure
        rows.append([str(number), name, lot_cell, amount, weighed])
    return rows


def _weighing_rows(
    result: BatchResult, widths: Sequence[float], actual: Mapping[str, str] | None = None
) -> list[list[str]]:
    """Every weighing and measurement in the order it is done, with room for the actual amount.

    ``actual`` (line id → amount) fills in the amounts entered in the register, each in the
    first weighing of its line that goes into the batch itself (not into an aliquot).
    """
    rows: list[list[str]] = []
    entered = dict(actual or {})
    for number, weighing in enumerate(result.weighings, 1):
        note = result.tablet_powder_note(weighing)
        what = f"{weighing.what}\n{weighing.purpose}" + (f"; {note}" if note else "")
        amount = f"{format_amount(weighing.amount)}\n({weighing.rule})"
        if "volumetric" in weighing.instrument:  # a fixed volume: checked, not read
            cell = f"{_BOX} done"
        elif weighing.into_batch and not weighing.aliquot and weighing.line in entered:
            cell = "\n" + entered.pop(weighing.line)
        else:
            cell = "\n" + _blank(widths[3], suffix=f" {_unit_of(weighing.amount)}")
        instrument = weighing.instrument
        if instrument == "balance":
            instrument += "\n" + _blank(widths[4], "ID ")
        rows.append([f"W{number}", what, amount, cell, instrument, ""])
    return rows


def _reconciliation_text(result: BatchResult) -> str:
    """The totals: what the weighings put into the batch, per component, against the composition."""
    parts = [
        reconciliation_text(line, amounts) for line, amounts in reconciliation(result.ingredients, result.weighings)
    ]
    return "Into the batch: " + "; ".join(parts) + "."


def _trace_rows(result: BatchResult, *, skip: frozenset[str] = frozenset()) -> list[list[str]]:
    """The calculation trace as numbered rows, without the steps titled as in ``skip``."""
    steps = [step for step in result.trace if step.title not in skip]
    return [[f"{number}. {step.title}", step.text] for number, step in enumerate(steps, 1)]


def _warning_rows(result: BatchResult) -> list[list[str]]:
    rows = [["Override", override.code, override.reason, ""] for override in result.overrides]
    rows += [["Warning", warning.code, warning.message, ""] for warning in result.warnings]
    return rows or [["—", "none", "No warnings or overrides for this batch.", ""]]


def _check_name(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").split())


def _quality_rows(result: BatchResult, widths: Sequence[float]) -> list[list[str]]:
    """The quality checks of the formula, filled in with this batch's numbers."""
    formula = result.formula
    form = formula.dosage_form
    theoretical = result.theoretical_yield if result.theoretical_yield is not None else result.quantity
    conforms = f"{_BOX} conforms\n{_BOX} does not conform"
    unit = _unit_of(theoretical) if form is not DosageForm.CAPSULES else "capsules"
    checks = {_check_name(check.name): check for check in formula.quality_checks}
    rows: list[list[str]] = []

    def spec(name: str) -> str:
        check = checks.get(name)
        return f"\n({check.specification})" if check else ""

    # the checks the record always carries, with this batch's numbers
    done = {"appearance", "ph", "yield"}
    if form is DosageForm.CAPSULES and result.capsule is not None:
        done.add("individual capsule weight")
        capsule = result.capsule
        spread = (magnitude(capsule.fill_high, "mg") / magnitude(capsule.fill_weight, "mg") - 1) * 100
        rows.append(
            [
                "Individual capsule weight",
                _capsule_check_text(capsule, spread),
                f"{_BOX} all within range\n{_BOX} out of range: see deviations",
                "",
            ]
        )
    else:
        name = "final weight" if form is DosageForm.TOPICAL_CREAM else "final volume"
        done.add(name)
        rows.append(
            [
                name.capitalize(),
                f"{format_amount(theoretical)} (theoretical){spec(name)}",
                "\n" + _blank(widths[2], "measured ", f" {unit}"),
                "",
            ]
        )
    rows.append(
        [
            "Appearance",
            checks["appearance"].specification
            if "appearance" in checks
            else (formula.description or "as the master formula describes"),
            conforms,
            "",
        ]
    )
    if "ph" in checks:
        rows.append(["pH", checks["ph"].specification, "\n" + _blank(widths[2], "pH "), ""])
    rows.append(
        [
            "Yield",
            f"theoretical yield {format_amount(theoretical)}; acceptable {_yield_range(theoretical, result.yield_range, form)}",
            "\n" + _blank(widths[2], "actual ", f" {unit}") + "\n" + _blank(widths[2], "= ", " % of theoretical"),
            "",
        ]
    )
    # any other check of the formula, as it is written there
    rows += [
        [check.name, check.specification, "\n" + _blank(widths[2], "result "), ""]
        for key, check in checks.items()
        if key not in done
    ]
    return rows


def _capsule_range(capsule: CapsuleFill) -> tuple[str, Quantity, Quantity]:
    """What each capsule's weight check records (``gross`` or ``net``) and its range."""
    if capsule.weight_basis == "gross" and capsule.gross_low is not None and capsule.gross_high is not None:
        return "gross", capsule.gross_low, capsule.gross_high
    return "net", capsule.fill_low, capsule.fill_high


def _capsule_check_text(capsule: CapsuleFill, spread: Decimal) -> str:
    """The capsule weight check: net (the fill) and gross (with the shell) ranges, and which to weigh."""
    basis, _, _ = _capsule_range(capsule)
    net = (
        f"net (the fill alone): each capsule {format_amount(capsule.fill_low)} to {format_amount(capsule.fill_high)} "
        f"(theoretical fill weight {format_amount(capsule.fill_weight, significant=6)} "
        f"± {format_number(spread, places=1)} %)"
    )
    if capsule.shell_weight is None or capsule.gross_low is None or capsule.gross_high is None:
        return f"{net}; weigh {capsule.sampled} capsules (table below)"
    gross = (
        f"gross (with the empty size {capsule.size} shell, {format_amount(capsule.shell_weight)} "
        f"{capsule.shell_material}): {format_amount(capsule.gross_low)} to {format_amount(capsule.gross_high)}"
    )
    how = (
        "weigh each filled capsule whole (gross weight)"
        if basis == "gross"
        else "weigh each filled capsule and subtract its empty shell (net weight)"
    )
    return f"{net}; {gross}. {how.capitalize()}, {capsule.sampled} capsules (table below)"


def _capsule_weights(geometry: PageGeometry, capsule: CapsuleFill) -> Flowable:
    count = capsule.sampled
    basis, low, high = _capsule_range(capsule)
    per_row = min(count, 10)
    header = ["Capsule", *(str(n) for n in range(1, per_row + 1))]
    shares = [26.0] + [148.0 / per_row] * per_row
    label = f"{basis.capitalize()} weight (mg), each {format_amount(low)} to {format_amount(high)}"
    rows: list[list[str]] = []
    for start in range(1, count + 1, per_row):
        numbers = range(start, min(start + per_row, count + 1))
        first = label if start == 1 else f"Capsules {numbers[0]}–{numbers[-1]}"
        cells = ["\n" if start == 1 else f"{n}\n" for n in numbers]
        rows.append([first, *cells, *([""] * (per_row - len(cells)))])
    return _table(geometry, header, rows, shares, "capsule weights")


def _batch_flowables(
    result: BatchResult,
    pharmacy: Pharmacy | None,
    geometry: PageGeometry,
    prescription: Prescription | None = None,
    actual: Mapping[str, str] | None = None,
) -> list[Flowable]:
    formula = result.formula
    style = styles()
    story: list[Flowable] = [*_pharmacy_block(pharmacy, geometry)]
    story += _title("Compounding record", f"Lot {result.lot_number} · {result.preparation_name}")

    story.append(
        _table(
            geometry, ["Lot / batch number", result.lot_number], _preparation_rows(result, geometry), [48, 126], "batch"
        )
    )
    if prescription is not None:
        story += [
            Spacer(1, pt(3)),
            _table(
                geometry,
                ["Prescription (Rx) number", prescription.number],
                _prescription_rows(result, prescription),
                [48, 126],
                "prescription",
            ),
        ]
    else:
        story.append(_para("Stock batch: not made for a named patient's prescription.", "prescription", style.small))

    story += _section(
        "Warnings and overrides (review each before compounding)",
        [
            _table(
                geometry,
                ["Type", "Code", "Message or reason", "Initials"],
                _warning_rows(result),
                [20, 44, 90, 20],
                "warnings",
            )
        ],
    )

    story += _tablet_flowables(result, geometry)

    widths = _columns(geometry, *_COMPONENT_SHARES)
    story += _section(
        "Components",
        [
            _table(
                geometry,
                [
                    "#",
                    "Component",
                    "Manufacturer / vendor, lot, expiry",
                    "Amount in the batch",
                    "How: weighings",
                ],
                _component_rows(result, widths),
                _COMPONENT_SHARES,
                "components",
            )
        ],
    )
    if result.weighings:
        weighing_widths = _columns(geometry, *_WEIGHING_SHARES)
        story += _section(
            "Weighings and measurements, in the order they are done",
            [
                _table(
                    geometry,
                    [
                        "#",
                        "What, and what for",
                        "Amount to weigh or measure",
                        "Actual amount",
                        "Instrument",
                        "Initials",
                    ],
                    _weighing_rows(result, weighing_widths, actual),
                    _WEIGHING_SHARES,
                    "weighings",
                ),
                Spacer(1, pt(2)),
                _para(_reconciliation_text(result), "reconciliation", style.small),
            ],
            keep=len(result.weighings) <= _KEEP_WEIGHINGS,
        )

    story += _section(
        "Calculations",
        [
            _table(
                geometry,
                ["Step", "Calculation"],
                _trace_rows(result),
                [44, 130],
                "calculations",
            )
        ],
    )

    for line in result.ingredients:
        plan = line.aliquot
        if plan is None:
            continue
        held = _tablet_holds(result, line)
        what = f"tablet powder ({held})" if held else "the active" if line.role == "active" else line.name
        summary = (
            f"{format_amount(line.amount)} of {what} is below the balance's minimum weight "
            f"{format_amount(result.balance.minimum_weight)}: make a {plan.method} — weigh "
            f"{format_amount(plan.weigh)}, dilute with {plan.diluent} to {format_amount(plan.dilute_to)}"
            + (f" (1 in {format_number(plan.factor)})" if plan.method == "trituration" else "")
            + f", and take {format_amount(plan.take)}, which holds {format_amount(plan.holds)}.  Its steps are "
            "in the procedure below; its weighings are in the table of weighings above."
        )
        story += _section(
            f"Aliquot plan: {line.name} ({plan.method})",
            [_para(summary, "aliquot plan")],
        )

    if formula.equipment or result.equipment:
        story += _section(
            "Equipment",
            [
                _table(
                    geometry,
                    ["#", "Equipment", "ID / calibration", "Ready, initials"],
                    [[*row, "", _TICK] for row in _numbered((*formula.equipment, *result.equipment))],
                    [7, 103, 40, 24],
                    "equipment",
                )
            ],
        )

    story += _section(
        "Procedure",
        [
            _table(
                geometry,
                ["#", "Step", "Done, initials"],
                [[*row, _TICK] for row in _numbered(result.procedure or formula.procedure)]
                or [["1", "Follow the master formulation record.", _TICK]],
                [7, 143, 24],
                "procedure",
            )
        ],
    )

    qc_widths = _columns(geometry, 36, 70, 50, 18)
    quality: list[Flowable] = [
        _table(
            geometry,
            ["Check", "Acceptance for this batch", "Result", "Initials"],
            _quality_rows(result, qc_widths),
            [36, 70, 50, 18],
            "quality control",
        )
    ]
    if result.capsule is not None:
        capsule = result.capsule
        quality += [
            Spacer(1, pt(3)),
            _capsule_weights(geometry, capsule),
            Spacer(1, pt(2)),
            _para(
                _blank(70, f"Mean of the {capsule.sampled} {_capsule_range(capsule)[0]} weights: ", " mg")
                + f" (theoretical fill weight {format_amount(capsule.fill_weight, significant=6)}"
                + (
                    f"; with the shell {format_amount(capsule.fill_weight + capsule.shell_weight, significant=6)})"
                    if capsule.shell_weight is not None
                    else ")"
                ),
                "capsule weights",
                style.small,
            ),
        ]
    story += _section("Quality control", quality)

    closing = _titled(
        "Deviations",
        [
            _table(
                geometry,
                [
                    (
                        "What differed from the master formula or this record, why, and the pharmacist's "
                        "approval (write “none” if nothing differed)"
                    )
                ],
                [["\n" * 4]],
                [1],
                "deviations",
            )
        ],
    )
    closing += _titled(
        "Sign-off",
        [
            _table(
                geometry,
                ["", "Name (print)", "Signature", "Date and time"],
                [["Compounded by", "\n\n", "", ""], ["Verified by (pharmacist)", "\n\n", "", ""]],
                [40, 50, 50, 34],
                "sign-off",
            )
        ],
    )
    story.append(KeepTogether(closing))  # deviations and the signatures that approve them stay together
    return story


def render_batch_record(
    result: BatchResult,
    out: str | os.PathLike[str] | BinaryIO,
    *,
    pharmacy: Pharmacy | None = None,
    page_size: str = "letter",
    prescription: Prescription | None = None,
    actual: Mapping[str, str] | None = None,
) -> None:
    """Write the compounding record of ``result`` as a PDF to a path or a binary file object.

    ``prescription`` ties a patient-specific batch to its prescription: the record
    prints the Rx number, patient, prescriber and directions (without one, the
    record says it is a stock batch).  ``actual`` fills in the actual amounts entered in
    the register (line id → amount as text, e.g. ``"451.2 mg"``).  ``page_size`` is ``"letter"`` or ``"a4"``.  The whole document is laid out
    before anything is written, so a :class:`~ldn_compound.exceptions.RenderError`
    (e.g. a name with a character the font lacks) leaves no file behind; a path
    is written atomically.
    """
    geometry = _geometry(page_size)
    formula = result.formula
    fingerprint = result.fingerprint
    story = _batch_flowables(result, pharmacy, geometry, prescription, actual)
    summary = f"{result.strength.describe()} {result.dosage_form_name}"
    running = _running(
        [
            (f"Lot {result.lot_number}", f"Compounding record · {summary}"),
            (f"Lot {result.lot_number}", "Compounding record"),
        ],
        f"Fingerprint {fingerprint}",
        geometry,
    )
    info = DocumentInfo(
        title=f"Compounding record {result.lot_number}",
        subject=f"{result.preparation_name}, {_strength_text(formula.dosage_form, result.strength.describe())}, "
        f"{format_amount(result.quantity)}",
        author=pharmacy.name if pharmacy else "",
        identity=fingerprint,
        date=result.compounding_date,
    )
    _write(story, out, info=info, geometry=geometry, running=running)


# --------------------------------------------------------------------------- master formulation record


def _reference_batch(formula: MasterFormula, strength: QuantityLike | None) -> BatchResult:
    quantity: QuantityLike = formula.reference_quantity or _DEFAULT_REFERENCE[formula.dosage_form]
    return calculate_batch(formula, quantity=quantity, strength=strength, date=_REFERENCE_DATE)


def _formula_fingerprint(formula: MasterFormula, reference: BatchResult) -> str:
    """A short hash of the formula (wherever its file lies) and the strength the record shows."""
    text = repr(attrs.evolve(formula, source="")) + "\x00" + reference.strength.describe()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_FINGERPRINT_DIGITS]


def _mfr_component_rows(formula: MasterFormula, reference: BatchResult) -> list[list[str]]:
    form = formula.dosage_form
    unit = _UNIT[form]
    count = magnitude(reference.quantity, unit)
    lines = {line.id: line for line in reference.ingredients}
    rows: list[list[str]] = []
    for number, component in enumerate(formula.components, 1):
        details = [component.role]
        if component.grade:
            details.append(f"grade {component.grade}")
        if component.salt_form is not None:
            salt = component.salt_form
            details.append(f"{salt.short_name}, {salt.formula}, {format_number(salt.molecular_weight)} g/mol")
        name = f"{component.name}\n{'; '.join(details)}" + (f"\n{component.notes}" if component.notes else "")
        line = lines[component.id]
        kind = component.amount.kind
        if kind is AmountKind.ACTIVE:
            stated = f"per strength: {_strength_text(form, reference.strength.describe())}"
        else:
            stated = component.amount.describe()
        if kind is AmountKind.QS:
            per_unit = f"q.s. to 1 {unit}"
            per_batch = line.describe_amount()
            if not line.qs:
                per_batch += f" ({line.basis})"
        elif kind is AmountKind.FILL and reference.capsule is not None:
            per_unit = format_amount(reference.capsule.filler_per_capsule, significant=6)
            per_batch = line.describe_amount()
        else:
            each: Quantity = line.theoretical / count
            per_unit = format_amount(each, significant=6)
            per_batch = format_amount(line.theoretical)
        rows.append([str(number), name, stated, per_unit, per_batch])
    return rows


def _mfr_quality_rows(formula: MasterFormula, reference: BatchResult) -> list[list[str]]:
    form = formula.dosage_form
    theoretical = reference.theoretical_yield if reference.theoretical_yield is not None else reference.quantity
    rows: list[list[str]] = []
    for check in formula.quality_checks:
        key = _check_name(check.name)
        batch = ""
        if key == "individual capsule weight" and reference.capsule is not None:
            capsule = reference.capsule
            spread = (magnitude(capsule.fill_high, "mg") / magnitude(capsule.fill_weight, "mg") - 1) * 100
            batch = _capsule_check_text(capsule, spread)
        elif key == "yield":
            batch = f"theoretical {format_amount(theoretical)}; acceptable {_yield_range(theoretical, reference.yield_range, form)}"
        elif key in {"final volume", "final weight"}:
            batch = format_amount(theoretical)
        rows.append([check.name, check.specification, batch])
    return rows or [["—", "No quality checks are defined in the formula.", ""]]


def _mfr_flowables(
    formula: MasterFormula, reference: BatchResult, pharmacy: Pharmacy | None, geometry: PageGeometry
) -> list[Flowable]:
    form = formula.dosage_form
    style = styles()
    word = _UNIT[form]
    beyond = reference.beyond_use
    story: list[Flowable] = [*_pharmacy_block(pharmacy, geometry)]
    story += _title("Master formulation record", f"{formula.name} · {formula.id}, version {formula.version}")

    rows = [
        ["Preparation", formula.name],
        ["Strength", _strength_text(form, reference.strength.describe())],
        ["Strength range of the formula", formula.strength.describe()],
        ["Dosage form", _dosage_form_text(formula, formula.capsule.size if formula.capsule else None)],
    ]
    if reference.capsule is not None:
        capsule = reference.capsule
        rows.append(
            [
                "Capsule fill",
                f"{format_amount(capsule.fill_weight, significant=6)} per capsule; {capsule.capacity_basis}",
            ]
        )
    if formula.drops is not None:
        rows.append(["Dropper", formula.drops.dropper or f"{format_number(formula.drops.drops_per_ml)} drops per mL"])
    if formula.topical is not None and formula.topical.dispenser:
        rows.append(["Dispenser", formula.topical.dispenser])
    if reference.dose_per_unit:
        rows.append(["Dose per unit", _dose_per_unit(reference.dose_per_unit)])
    rows += [
        ["Preparation class (USP <795>)", formula.preparation_class.value],
        ["Description of the finished preparation", formula.description or "—"],
        ["Container-closure", formula.container],
        ["Storage", formula.storage],
        [
            "Beyond-use date",
            (
                f"{beyond.days} days after the compounding date: {beyond.rule}; never later than the earliest "
                "expiry date of any component used"
            ),
        ],
        ["Reference batch", f"{format_amount(reference.quantity)} (the amounts per batch below)"],
    ]
    if formula.auxiliary_labels:
        rows.append(["Auxiliary labels", "; ".join(formula.auxiliary_labels)])
    story.append(
        _table(geometry, ["Master formula", f"{formula.id}, version {formula.version}"], rows, [52, 122], "formula")
    )

    story += _section(
        "Components",
        [
            _table(
                geometry,
                ["#", "Component", "In the formula", f"Per {word}", f"Per {format_amount(reference.quantity)}"],
                _mfr_component_rows(formula, reference),
                [7, 63, 38, 30, 36],
                "components",
            ),
            Spacer(1, pt(2)),
            _para(
                "Each batch record recalculates these amounts for the batch's size and strength, corrects the "
                "active for potency from the certificate of analysis, and gives an aliquot plan for any amount "
                "to weigh that is below the balance's minimum weight.",
                "components note",
                style.small,
            ),
        ],
    )

    calculation: list[Flowable] = [
        _table(
            geometry,
            ["Step", "Calculation"],
            _trace_rows(reference, skip=frozenset({"Beyond-use date"})),
            [44, 130],
            "calculations",
        )
    ]
    if reference.aliquot is not None:
        calculation += [
            Spacer(1, pt(2)),
            _para(f"Aliquot plan for the reference batch ({reference.aliquot.method}):", "aliquot", style.body),
            _table(geometry, ["#", "Aliquot step"], _numbered(reference.aliquot.steps), [7, 167], "aliquot steps"),
        ]
    if reference.warnings:
        calculation += [
            Spacer(1, pt(2)),
            _table(
                geometry,
                ["Note", "For the reference batch"],
                [[warning.code, warning.message] for warning in reference.warnings],
                [40, 134],
                "reference warnings",
            ),
        ]
    story += _section(f"Calculation of the reference batch ({format_amount(reference.quantity)})", calculation)

    if formula.equipment:
        story += _section(
            "Equipment",
            [_table(geometry, ["#", "Equipment"], _numbered(formula.equipment), [7, 167], "equipment")],
        )
    story += _section(
        "Compounding instructions",
        [
            _table(
                geometry,
                ["#", "Step"],
                _numbered(procedure_steps(formula.procedure)) or [["—", "No procedure is given in the formula."]],
                [7, 167],
                "procedure",
            )
        ],
    )
    story += _section(
        "Quality control",
        [
            _table(
                geometry,
                ["Check", "Specification", f"For {format_amount(reference.quantity)}"],
                _mfr_quality_rows(formula, reference),
                [40, 74, 60],
                "quality control",
            )
        ],
    )

    evidence_rows = [
        [evidence.id, str(evidence.days), evidence.storage, evidence.citation] for evidence in formula.stability
    ]
    stability: list[Flowable] = [
        _para(
            f"Default: {beyond.rule}. Site stability evidence below is used only when a batch names it; "
            "its citation is then printed on the batch record.",
            "beyond-use note",
            style.body,
        )
    ]
    if evidence_rows:
        stability.append(
            _table(
                geometry,
                ["Evidence", "Days", "Storage", "Citation"],
                evidence_rows,
                [36, 22, 46, 70],
                "stability",
            )
        )
    story += _section("Beyond-use date and stability", stability)

    story += _section(
        "References",
        [
            _table(
                geometry,
                ["#", "Reference", "Supports"],
                [[str(n), ref.citation, ref.supports] for n, ref in enumerate(formula.references, 1)]
                or [["—", "No references are given in the formula.", ""]],
                [7, 115, 52],
                "references",
            )
        ],
    )
    story += _section(
        "Approval",
        [
            _table(
                geometry,
                ["", "Name (print)", "Signature", "Date"],
                [["Prepared by", "\n\n", "", ""], ["Approved by (pharmacist)", "\n\n", "", ""]],
                [40, 50, 50, 34],
                "approval",
            )
        ],
        keep=True,
    )
    return story


def render_master_formula(
    formula: MasterFormula,
    out: str | os.PathLike[str] | BinaryIO,
    *,
    strength: QuantityLike | None = None,
    pharmacy: Pharmacy | None = None,
    page_size: str = "letter",
) -> None:
    """Write the master formulation record of ``formula`` as a PDF to a path or a binary file object.

    ``strength`` (default: the formula's) is the strength the record is for,
    as :func:`~ldn_compound.calculate_batch` reads it; components are
    shown per unit and per the formula's reference batch.  The record carries
    no date, so the same formula always gives the same bytes.
    """
    geometry = _geometry(page_size)
    reference = _reference_batch(formula, strength)
    fingerprint = _formula_fingerprint(formula, reference)
    story = _mfr_flowables(formula, reference, pharmacy, geometry)
    strength_text = _strength_text(formula.dosage_form, reference.strength.describe())
    running = _running(
        [
            (f"{formula.id} v{formula.version}", f"Master formulation record · {strength_text}"),
            (f"{formula.id} v{formula.version}", "Master formulation record"),
            ("", "Master formulation record"),
        ],
        f"Fingerprint {fingerprint}",
        geometry,
    )
    info = DocumentInfo(
        title=f"Master formulation record {formula.id} v{formula.version}",
        subject=f"{formula.name}, {strength_text}",
        author=pharmacy.name if pharmacy else "",
        identity=fingerprint,
    )
    _write(story, out, info=info, geometry=geometry, running=running)
