"""Prescription labels and container labels, on roll or sheet label stock.

A **patient label** carries, from the top: the directions (first and largest,
never below 11 pt), the titration schedule turned into what the patient
measures, the patient, the drug with its strength, basis and dosage form and
the word "compounded", the quantity, refills, prescriber and lot, "Discard
after" with the beyond-use date, the storage, the warnings (always "Do not take
with opioid pain medicines") and the other auxiliary statements; along the
bottom, the prescription number and fill date, the pharmacy, and a Code 128
barcode of the prescription number.  When the stock is too small for all of
it, the titration schedule, the storage and the other auxiliary statements move
to continuation labels numbered "1/2", "2/2"; the rest must fit the first label.

A **container label** (no prescription) carries the preparation, strength,
dosage form, quantity, compounding date, beyond-use date, storage, warnings,
"Compounded preparation", the lot and a Code 128 barcode of the lot.

Text shrinks from its preferred size towards its minimum size only as far as
the stock needs; if it does not fit at the minimum sizes,
:class:`~ldn_compound.exceptions.LabelFitError` names what does not fit.
Nothing is ever cut.

>>> import io
>>> from ldn_compound import Pharmacy, Prescription, calculate_batch
>>> batch = calculate_batch("ldn-capsules", quantity=30, date="2026-03-01")
>>> rx = Prescription(number="1234567", patient="Zoë Łukasiewicz-Núñez", prescriber="Dr A. Example",
...                   directions="Take 1 capsule by mouth at bedtime", refills=2)
>>> pdf = io.BytesIO()
>>> render_labels(batch, pdf, prescriptions=[rx], pharmacy=Pharmacy(name="Example Pharmacy"), stock="roll-3x2in")
>>> pdf.getvalue().startswith(b"%PDF")
True
>>> render_labels(batch, io.BytesIO(), prescriptions=[attrs.evolve(rx, directions="Take 1 capsule " * 30)],
...               pharmacy=Pharmacy(name="Example Pharmacy"), stock="roll-3x2in")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ldn_compound.exceptions.LabelFitError: directions must fit label stock roll-3x2in (71.2 x ... mm above the bottom line) for prescription 1234567 at 11 pt or larger (got 450 characters ...)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import BinaryIO, Final

import attrs
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

from ldn_compound.exceptions import CoMedicationError, InputError, LabelFitError, MedicineNameError, RenderError
from ldn_compound.i18n import LANGUAGES, N_, LabelWords, check_language, label_words
from ldn_compound.model import BatchResult, DosageForm, MedicineStatus, Pharmacy, Prescription
from ldn_compound.render._labelfit import FittedBlock, LabelLayout, TextBlock, _word_width, draw_layout, fit_box
from ldn_compound.render._pdf import DocumentInfo, code128, draw_code128, pt, register_fonts, render_canvas, write_pdf
from ldn_compound.render.stocks import LabelStock, get_stock
from ldn_compound.safety import opioid_rule, read_medicines, unclear_rule
from ldn_compound.settings import Settings, default_settings
from ldn_compound.titration import TitrationRow, titration_plan
from ldn_compound.units import Q_, format_amount, magnitude

__all__ = ["OPIOID_WARNING", "render_label_sheet", "render_labels"]

#: The warning every LDN label carries, whatever the formula's auxiliary labels say.
OPIOID_WARNING: Final = N_("Do not take with opioid pain medicines")
_SHAKE_WELL: Final = N_("Shake well")
#: The dose in one unit the patient counts, after the strength: "(0.5 mg per drop)".
_PER_UNIT: Final = {"drop": N_("({amount} per drop)"), "click": N_("({amount} per click)")}
_ENGLISH: Final = LabelWords()

# --------------------------------------------------------------------------- type sizes


@attrs.frozen
class _Style:
    """A type size range in points: printed at ``preferred`` when there is room, never below ``minimum``."""

    preferred: float
    minimum: float
    bold: bool = False

    def block(self, name: str, text: str) -> TextBlock:
        """A block of ``text`` in this style, with every amount kept on one line with its unit."""
        text = _AMOUNT_SPACE.sub("\N{NO-BREAK SPACE}", text)
        return TextBlock(name, text, preferred_size=self.preferred, min_size=self.minimum, bold=self.bold)


#: The space between a number and its unit ("4.5 mg", "7 days", "25 °C", "30 cápsulas"): a line never breaks there.
_AMOUNT_SPACE: Final = re.compile(
    r"(?<=\d) (?=(?:mcg|mg|g|kg|mL|L|capsules?|tablets?|drops?|clicks?|days?|weeks?|°C"
    r"|cápsulas?|tabletas?|gotas?|pulsaci(?:ón|ones)|días?|semanas?)\b)"
)


# Directions are the largest text on a patient label at every shrink step: within one
# box every block shrinks by the same share of its range, and 14 - 3f > 12 - 2f.
_DIRECTIONS: Final = _Style(14, 11, bold=True)
_TITRATION: Final = _Style(10, 8)
_PATIENT: Final = _Style(12, 10, bold=True)
_DRUG: Final = _Style(10, 7.5, bold=True)
_DETAILS: Final = _Style(8.5, 6.5)
_DISCARD: Final = _Style(9.5, 7.5, bold=True)
_WARNINGS: Final = _Style(9, 7, bold=True)
_AUXILIARY: Final = _Style(8, 6.5)
_NUMBER: Final = _Style(10, 7.5, bold=True)  # "Rx 1234567" / "Lot B20260301-9C0D" beside the barcode
_PHARMACY: Final = _Style(7.5, 6)
_CONTINUED: Final = _Style(9.5, 7.5, bold=True)
_PRODUCT: Final = _Style(12, 8, bold=True)
_CONTAINER: Final = _Style(9, 6.5)

# --------------------------------------------------------------------------- geometry, in millimetres

_GAP: Final = 0.3  # between text blocks
_BAND_GAP: Final = 0.8  # between the text and the barcode line below it
_COLUMN_GAP: Final = 1.5  # between the barcode line's text and the barcode
_MIN_BAND_TEXT: Final = 30.0  # the barcode leaves at least this width for the text beside it
_MODULE: Final = 0.25  # preferred narrowest bar; code128() narrows it to no less than 0.19 mm
_BAR_HEIGHT: Final = (7.0, 5.0)  # preferred and minimum bar height
_BAR_MAX: Final = 12.0  # bars grow with the text beside them up to this height
_OUTLINE_GREY: Final = 0.75


# --------------------------------------------------------------------------- label content


@attrs.frozen
class _Item:
    """A block of a patient label; optional blocks may move to a continuation label.

    Optional blocks stay on the first label in order of ``priority`` (lowest first)
    as far as there is room.
    """

    block: TextBlock
    required: bool = True
    priority: int = 0


@attrs.frozen
class _Card:
    """What one label says before fitting: text from the top, then a line along the bottom.

    The bottom line has ``band`` text on the left and, when ``barcode`` is given,
    a Code 128 barcode of it on the right.  ``what`` names the label in errors.
    """

    top: tuple[TextBlock, ...]
    what: str
    band: tuple[TextBlock, ...] = ()
    barcode: str | None = None
    barcode_field: str = "barcode"


@attrs.frozen
class _Label:
    """One fitted label, ready to draw; lengths in mm, relative to the label's printable area."""

    top: LabelLayout
    band: LabelLayout | None
    band_height: float
    barcode: str | None = None
    barcode_module: float = _MODULE
    barcode_width: float = 0.0
    barcode_height: float = 0.0

    def texts(self) -> Iterable[str]:
        """Every piece of text on the label, for the document's identity."""
        for layout in (self.top, self.band):
            if layout is not None:
                yield from (line for block in layout.blocks for line in block.lines)
        if self.barcode is not None:
            yield self.barcode


def _sentences(statements: Iterable[str]) -> str:
    """``["Protect from light", "Refrigerate"]`` as ``"Protect from light. Refrigerate."``."""
    return " ".join(s if s[-1] in ".!?" else f"{s}." for s in statements)


#: Auxiliary statements the storage line may already make, with the words that make it there.
_SAID_BY_STORAGE: Final = {"protect from light": "from light", "refrigerate": ""}


def _statements(result: BatchResult) -> tuple[list[str], list[str]]:
    """The warnings every label of this batch carries, and the other auxiliary statements that fit it.

    The opioid warning is always first, whatever the formula lists; "Shake well"
    joins the warnings when the batch is a suspension (made from tablets into a
    liquid) or the formula asks for it, never on a cream.  A statement the storage line already
    makes ("protected from light") is not repeated.  "Refrigerate" is never
    repeated: the storage line, which comes with the beyond-use date, says where
    to keep the preparation, and the formula's "Refrigerate" would contradict a
    beyond-use date set for room temperature.
    """
    storage = result.beyond_use.storage.casefold()
    warnings = [OPIOID_WARNING]
    cream = result.formula.dosage_form is DosageForm.TOPICAL_CREAM  # a cream is never shaken
    if any(w.code == "tablet-excipients" for w in result.warnings) and not cream:
        warnings.append(_SHAKE_WELL)
    others: list[str] = []
    seen = {w.casefold() for w in warnings}
    for statement in result.formula.auxiliary_labels:
        text = statement.strip()
        key = text.rstrip(".!").casefold()
        if not text or key in seen or _SAID_BY_STORAGE.get(key, "\0") in storage:
            continue
        if cream and key == _SHAKE_WELL.casefold():
            continue
        seen.add(key)
        (warnings if key == _SHAKE_WELL.casefold() else others).append(text)
    return warnings, others


def _strength(result: BatchResult) -> str:
    """The strength with its basis and, where the patient doses by unit, per unit.

    ``4.5 mg naltrexone HCl per capsule``; ``10 mg/mL naltrexone HCl (0.5 mg per drop)``.
    """
    text = result.strength.describe()
    form = result.formula.dosage_form
    if form is DosageForm.CAPSULES:
        return f"{text} per capsule"
    for unit in ("drop", "click"):
        if unit in result.dose_per_unit:
            return f"{text} ({format_amount(result.dose_per_unit[unit], significant=3)} per {unit})"
    return text


def _drug(result: BatchResult, words: LabelWords) -> str:
    """Drug, strength with basis, dosage form and "compounded", as a patient reads it.

    ``Naltrexone HCl 4.5 mg capsules, compounded``;
    ``Naltrexone HCl 10 mg/mL sublingual drops (0.5 mg per drop), compounded``.
    """
    basis = words._(result.strength.basis.short_name)
    per_unit = "".join(
        " " + words._(_PER_UNIT[unit]).format(amount=words.amount(result.dose_per_unit[unit], significant=3))
        for unit in ("drop", "click")
        if unit in result.dose_per_unit
    )
    return words._("{drug} {strength} {form}{per_unit}, compounded").format(
        drug=f"{basis[:1].upper()}{basis[1:]}",
        strength=words.amount(result.strength.amount),
        form=words._(result.formula.dosage_form.display_name),
        per_unit=per_unit,
    )


def _titration_row(row: TitrationRow, index: int, words: LabelWords) -> str:
    """One step of a schedule in the label's language (in English, the same as the row's own text)."""
    if row.days is None:
        text = words._("then {dose} ({measure}) once daily") if index else words._("{dose} ({measure}) once daily")
    elif row.days == 1:
        text = words._("{dose} ({measure}) once daily for 1 day")
    else:
        text = words._("{dose} ({measure}) once daily for {days} days")
    return text.format(dose=words.amount(row.dose), measure=words.amount(row.measure), days=row.days)


def _titration(result: BatchResult, prescription: Prescription, words: LabelWords) -> str | None:
    """The titration schedule as amounts the patient measures, with the total it needs."""
    if not prescription.titration:
        return None
    plan = titration_plan(result, prescription.titration, quantity=prescription.quantity)
    lines = [words._("Dosing schedule:"), *(_titration_row(row, n, words) for n, row in enumerate(plan.rows))]
    timed = [row for row in plan.rows if row.days is not None]
    if timed:
        days = sum(row.days or 0 for row in timed)
        total = words.amount(plan.total)
        if result.formula.dosage_form is DosageForm.SUBLINGUAL_DROPS:
            drops = sum((magnitude(row.measure, "drop") * (row.days or 0) for row in timed), Decimal(0))
            total = f"{words.amount(Q_(drops, 'drop'))} ({total})"
        whole = len(timed) == len(plan.rows)
        summary = (
            words._("The whole schedule ({days} days) uses {total}.")
            if whole
            else words._("The first {days} days use {total}.")
        )
        lines.append(summary.format(days=days, total=total))
    return "\n".join(lines)


def _pharmacy_text(pharmacy: Pharmacy, words: LabelWords) -> str:
    """Name, address, phone and pharmacist, run together so they wrap in the least room."""
    parts = [pharmacy.name]
    if pharmacy.address:
        parts.append(", ".join(pharmacy.address))
    if pharmacy.phone:
        parts.append(words._("Tel. {phone}").format(phone=pharmacy.phone))
    if pharmacy.pharmacist:
        parts.append(words._("Pharmacist: {pharmacist}").format(pharmacist=pharmacy.pharmacist))
    return " · ".join(parts)


def _directions(prescription: Prescription, words: LabelWords) -> str:
    """The directions in the label's language, rendered from the checked directions where there are some.

    Never an abbreviation; directions printed unchecked (no ``sig``) are English
    text, printed only on an English label.
    """
    if prescription.sig is not None:
        return prescription.sig.text(words.language, decimal=words.decimal)
    if words.english:
        return prescription.directions
    raise InputError(
        "directions",
        prescription.directions,
        f"come from a sig code or a Directions value for a label in {LANGUAGES[words.language]}: free text is "
        "printed only in English, never machine-translated",
        code="directions-not-translatable",
    )


def _patient_items(result: BatchResult, prescription: Prescription, words: LabelWords) -> list[_Item]:
    """The blocks of a patient label above the barcode line, top to bottom, in the label's language."""
    for field, value in (
        ("prescription number", prescription.number),
        ("patient", prescription.patient),
        ("prescriber", prescription.prescriber),
        ("directions", prescription.directions),
    ):
        if not value.strip():
            raise InputError(field, value, "not be blank on a patient label")
    if prescription.refills < 0:
        raise InputError("refills", prescription.refills, "be 0 or more")
    warnings, others = _statements(result)
    warnings = [words.translate(text, "warning") for text in warnings]
    others = [words.translate(text, "auxiliary statement") for text in others]
    storage = words.translate(result.beyond_use.storage, "storage")
    quantity = prescription.quantity if prescription.quantity is not None else result.quantity
    items = [_Item(_DIRECTIONS.block("directions", _directions(prescription, words)))]
    schedule = _titration(result, prescription, words)
    if schedule is not None:
        items.append(_Item(_TITRATION.block("titration schedule", schedule), required=False, priority=0))
    items += [
        _Item(_PATIENT.block("patient", prescription.patient)),
        _Item(_DRUG.block("drug", _drug(result, words))),
        _Item(
            _DETAILS.block(
                "details",
                words._(
                    "Qty: {quantity} · Refills: {refills} · Filled: {filled} · Prescriber: {prescriber} · Lot: {lot}"
                ).format(
                    quantity=words.amount(quantity),
                    refills=prescription.refills,
                    filled=words.date(_filled(result, prescription)),
                    prescriber=prescription.prescriber,
                    lot=result.lot_number,
                ),
            ),
            required=False,
            priority=1,
        ),
        _Item(
            _DISCARD.block(
                "beyond-use date", words._("Discard after {date}").format(date=words.date(result.beyond_use.date))
            )
        ),
        _Item(_WARNINGS.block("warnings", _sentences(warnings))),
        # storage other than room temperature is required text (USP <795>): it stays on the first label
        _Item(
            _DETAILS.block("storage", storage),
            required="refrigerat" in result.beyond_use.storage.casefold(),
            priority=2,
        ),
    ]
    items += [
        _Item(_AUXILIARY.block("auxiliary statement", _sentences([text])), required=False, priority=3 + n)
        for n, text in enumerate(others)
    ]
    return items


def _filled(result: BatchResult, prescription: Prescription) -> dt.date:
    """The fill date: the prescription's, else the batch's compounding date (never today)."""
    return prescription.date_filled or result.compounding_date


def _continuation_notice(total: int, words: LabelWords) -> str:
    """Where the rest of a prescription's label is: ``see 2/2``, ``see 2/3 to 3/3``."""
    if total == 2:
        return words._("see 2/2")
    return words._("see 2/{total} to {total}/{total}").format(total=total)


def _patient_labels(
    result: BatchResult, prescription: Prescription, pharmacy: Pharmacy, stock: LabelStock, words: LabelWords
) -> list[_Label]:
    """The labels of one prescription: one, or a first label and its continuation labels."""
    items = _patient_items(result, prescription, words)
    number = prescription.number
    pharmacy_block = _PHARMACY.block("pharmacy", _pharmacy_text(pharmacy, words))

    def first(chosen: Sequence[_Item], total: int, *, quick: bool = False) -> _Label:
        top = tuple(item.block for item in chosen)
        if total > 1:
            notice = _continuation_notice(total, words)
            rx_text = words._("Rx {number} · label 1/{total} ({notice})").format(
                number=number, total=total, notice=notice
            )
        else:
            rx_text = words._("Rx {number}").format(number=number)
        rx = _NUMBER.block("prescription number", rx_text)
        details = tuple(b for b in top if b.name == "details")
        rest = tuple(b for b in top if b.name != "details")
        # Beside the barcode goes, in order of preference: the pharmacy (suits wide labels),
        # the details (quantity, refills, fill date, prescriber, lot), or the Rx number alone.
        variants = [
            (top, (rx, pharmacy_block)),
            ((*rest, pharmacy_block), (rx, *details)),
            ((*top, pharmacy_block), (rx,)),
        ]
        card = _Card(top=top, what=f"prescription {number}", barcode=number, barcode_field="prescription number")
        return _fit_variants(card, variants, stock, quick=quick)

    def continued(chosen: Sequence[_Item], index: int, total: int, *, quick: bool = False) -> _Label:
        header = _CONTINUED.block(
            "continuation header",
            words._("Rx {number} · {patient} · label {index}/{total} (continued)").format(
                number=number, patient=prescription.patient, index=index, total=total
            ),
        )
        card = _Card(top=(header, *(item.block for item in chosen)), what=f"prescription {number} label {index}")
        return _fit_card(card, stock, quick=quick)

    try:
        return [first(items, 1, quick=True)]
    except LabelFitError:
        pass
    required = [item for item in items if item.required]
    optional = [item for item in items if not item.required]
    lead = first(required, 2)  # raises LabelFitError naming the required text that does not fit a first label
    try:  # the required text on the first label, large; everything else on one continuation label
        return [lead, continued(optional, 2, 2, quick=True)]
    except LabelFitError:
        pass
    # More than two labels' worth: the first label takes what optional text it can hold,
    # in order of priority, and the rest fills as few continuation labels as it can.
    kept = required
    for item in sorted(optional, key=lambda i: i.priority):
        trial = [i for i in items if i in kept or i is item]
        try:
            first(trial, 3, quick=True)
        except LabelFitError:
            continue
        kept = trial
    groups: list[list[_Item]] = []
    for item in (i for i in items if i not in kept):
        if groups:
            try:
                continued([*groups[-1], item], 2, 3, quick=True)
            except LabelFitError:
                pass
            else:
                groups[-1].append(item)
                continue
        continued([item], 2, 3)  # raises LabelFitError naming a block too large for a label of its own
        groups.append([item])
    total = 1 + len(groups)
    return [first(kept, total), *(continued(group, n, total) for n, group in enumerate(groups, 2))]


def _container_label(result: BatchResult, pharmacy: Pharmacy | None, stock: LabelStock) -> _Label:
    """The stock label of a batch: what it is, how much, when made, until when, how kept, which lot.

    It carries the warnings (the opioid warning, "Shake well") but not the
    statements meant for patients, which go on the patient labels.
    """
    warnings, _ = _statements(result)
    formula = result.formula
    form = formula.dosage_form
    top = [
        _PRODUCT.block("preparation", f"{formula.name}, {_strength(result)}"),
        _CONTAINER.block(
            "quantity",
            f"Compounded preparation · {form.display_name} ({form.route}) · Quantity: {format_amount(result.quantity)}"
            f" · Compounded: {result.compounding_date.isoformat()}",
        ),
        _DISCARD.block("beyond-use date", f"Beyond-use date: {result.beyond_use.date.isoformat()}"),
        _DETAILS.block("storage", result.beyond_use.storage),
        _WARNINGS.block("warnings", _sentences(warnings)),
    ]
    if result.overrides:
        overrides = "\n".join(f"Override {o.code}: {o.reason}" for o in result.overrides)
        top.append(_AUXILIARY.block("overrides", overrides))
    lot = result.lot_number
    number = (_NUMBER.block("lot", f"Lot {lot}"),)
    name = (_PHARMACY.block("pharmacy", pharmacy.name),) if pharmacy is not None else ()
    card = _Card(
        top=(),
        what=f"the container label of lot {lot}",
        barcode=lot if lot.isascii() and lot.isprintable() else None,
        barcode_field="lot",
    )
    # Beside the barcode: the lot and the pharmacy, or the pharmacy alone, or nothing.
    variants = [(tuple(top), number + name), ((*top, *number), name), ((*top, *number, *name), ())]
    return _fit_variants(card, variants, stock)


# --------------------------------------------------------------------------- fitting


def _at_minimum(block: TextBlock) -> TextBlock:
    return attrs.evolve(block, preferred_size=block.min_size)


def _fit_variants(
    card: _Card,
    variants: Sequence[tuple[tuple[TextBlock, ...], tuple[TextBlock, ...]]],
    stock: LabelStock,
    *,
    quick: bool = False,
) -> _Label:
    """Fit the first of several arrangements of a card's text that fits: (text above, text beside the barcode).

    Raises the LabelFitError of the last arrangement when none fits (see :func:`_fit_card` for ``quick``).
    """
    for above, beside in variants[:-1]:
        try:
            return _fit_card(attrs.evolve(card, top=above, band=beside), stock, quick=True)
        except LabelFitError:
            pass
    above, beside = variants[-1]
    return _fit_card(attrs.evolve(card, top=above, band=beside), stock, quick=quick)


def _widest_word(block: TextBlock) -> tuple[str, float]:
    """The widest word of a block and its width in points at 1 pt."""
    widths = [(word, _word_width(word, block.font)) for word in block.text.replace("\n", " ").split(" ")]
    return max(widths, key=lambda item: item[1], default=("", 0.0))


def _whole_words(blocks: Sequence[TextBlock], width: float, where: str) -> tuple[TextBlock, ...]:
    """The blocks at sizes at which no word is wider than ``width`` mm.

    The fitter breaks a word wider than the line rather than cut it; beside a
    barcode, where the room is narrow, a lot or Rx number must not be split, so
    the block is made smaller instead (never below its minimum size).
    """
    fitted: list[TextBlock] = []
    for block in blocks:
        word, widest = _widest_word(block)
        largest = math.floor(pt(width) / widest * 10) / 10 if widest else block.preferred_size
        if largest < block.min_size:
            raise LabelFitError(
                f"{block.name} must fit {where} at {block.min_size:g} pt or larger without splitting a word "
                f"(got {word!r}, {widest * block.min_size / pt(1):.1f} mm wide)"
            )
        fitted.append(attrs.evolve(block, preferred_size=largest) if largest < block.preferred_size else block)
    return tuple(fitted)


class _HopelessError(LabelFitError):
    """A card that cannot fit whatever the sizes, found without fitting it (the caller tries something else)."""


def _least_height(blocks: Sequence[TextBlock], width: float) -> float:
    """A lower bound of the height in mm of ``blocks`` fitted ``width`` mm wide, without fitting them.

    Greedy wrapping drops one space at each line break, so a paragraph of width
    ``w`` at the minimum size needs at least ``(w + space) / (width + space)`` lines.
    """
    if not blocks:
        return 0.0
    height = _GAP * (len(blocks) - 1)
    for block in blocks:
        room = pt(width) / block.min_size  # the line width at 1 pt
        space = _word_width(" ", block.font)
        lines = 0
        for paragraph in block.text.split("\n"):
            words = paragraph.split(" ")
            used = sum(_word_width(word, block.font) for word in words) + space * (len(words) - 1)
            lines += max(1, math.ceil(0.98 * (used + space) / (room + space)))
        height += FittedBlock(block, block.min_size, ("",) * lines).height
    return height


def _fit_card(card: _Card, stock: LabelStock, *, quick: bool = False) -> _Label:
    """Fit a card into one label of ``stock``; LabelFitError names what does not fit.

    The line along the bottom is tried at its preferred sizes first, then at its
    minimum sizes to leave more room for the text above it.  With ``quick``, a
    card that plainly cannot fit raises :class:`_HopelessError` before any fitting,
    for callers that only need to know whether it fits.
    """
    width, height = stock.content_width, stock.content_height
    module = _MODULE
    code_width = 0.0
    text_width = width
    if card.barcode is not None:
        widest = max((_widest_word(block)[1] * block.min_size for block in card.band), default=0.0)
        limit = width - max(_MIN_BAND_TEXT, widest / pt(1)) - _COLUMN_GAP
        try:
            barcode = code128(card.barcode, module_mm=_MODULE, max_width_mm=limit, field=card.barcode_field)
        except RenderError as error:
            if not (card.barcode.isascii() and card.barcode.isprintable()):
                raise
            raise LabelFitError(f"{error} on label stock {stock.name} ({card.what})") from None
        module = float(barcode.barWidth) / pt(1)
        code_width = float(barcode.width) / pt(1)
        text_width = width - code_width - _COLUMN_GAP
    where_band = f"label stock {stock.name} ({text_width:.1f} mm beside the barcode) for {card.what}"
    if quick:
        band_least = max(_least_height(card.band, text_width), _BAR_HEIGHT[1] if card.barcode is not None else 0.0)
        if _least_height(card.top, width) + band_least + (_BAND_GAP if band_least else 0.0) > height:
            raise _HopelessError(f"{card.what} must fit label stock {stock.name}")
    whole = _whole_words(card.band, text_width, where_band)
    for small in (False, True):
        band_blocks = tuple(_at_minimum(b) for b in whole) if small else whole
        band = None
        if band_blocks:
            band = fit_box(band_blocks, width=text_width, height=height, gap=_GAP, where=where_band)
        natural = band.used_height if band is not None else 0.0
        band_height = max(natural, _BAR_HEIGHT[small] if card.barcode is not None else 0.0)
        top_height = height - band_height - (_BAND_GAP if band_height else 0.0)
        below = " above the bottom line" if band_height else " inside the padding"
        where = f"label stock {stock.name} ({width:g} x {top_height:.1f} mm{below}) for {card.what}"
        if top_height <= 0:
            if small:
                raise LabelFitError(
                    f"bottom line must leave room for the label text on {where_band} (got {band_height:.1f} mm of "
                    f"the {height:g} mm text height)"
                )
            continue
        try:
            top = fit_box(card.top, width=width, height=top_height, gap=_GAP, where=where)
        except LabelFitError:
            if small:
                raise
            continue
        return _Label(
            top=top,
            band=None if band is None else attrs.evolve(band, height=band_height),
            band_height=band_height,
            barcode=card.barcode,
            barcode_module=module,
            barcode_width=code_width,
            barcode_height=min(band_height, _BAR_MAX),
        )
    raise AssertionError("unreachable: the second attempt returns or raises")  # pragma: no cover


# --------------------------------------------------------------------------- drawing


def _draw_label(canvas: Canvas, label: _Label, *, x: float, y: float) -> None:
    """Draw a fitted label with the lower-left corner of its printable area at (x, y) mm."""
    raised = label.band_height + _BAND_GAP if label.band_height else 0.0
    draw_layout(canvas, label.top, x=x, y=y + raised)
    if label.band is not None:
        draw_layout(canvas, label.band, x=x, y=y)
    if label.barcode is not None:
        draw_code128(
            canvas,
            label.barcode,
            x_mm=x + label.top.width - label.barcode_width,
            y_mm=y + label.band_height - label.barcode_height,
            height_mm=label.barcode_height,
            module_mm=label.barcode_module,
        )


def _draw_sheet(canvas: Canvas, labels: Sequence[_Label], stock: LabelStock, *, outline: bool) -> None:
    """Draw the labels in order, ``stock.per_page`` to a page."""
    for index, label in enumerate(labels):
        position = index % stock.per_page
        if outline:
            left, bottom = stock.label_origin(position)
            canvas.setStrokeColor(colors.Color(_OUTLINE_GREY, _OUTLINE_GREY, _OUTLINE_GREY))
            canvas.setLineWidth(0.4)
            canvas.roundRect(pt(left), pt(bottom), pt(stock.label_width), pt(stock.label_height), pt(2), fill=0)
        x, y = stock.content_origin(position)
        _draw_label(canvas, label, x=x, y=y)
        if position == stock.per_page - 1 or index == len(labels) - 1:
            canvas.showPage()


# --------------------------------------------------------------------------- public API


def _check_other_medicines(result: BatchResult, other_medicines: Sequence[str]) -> None:
    """Refuse labels for a patient taking an opioid (or with an unclear medicine name) unless the batch records the override."""
    read = read_medicines(other_medicines)
    overridden = {o.code for o in result.overrides}
    unclear = [m for m in read if m.status is MedicineStatus.UNCLEAR]
    if unclear and "medicine-name-unclear" not in overridden:
        raise MedicineNameError(
            "other medicines",
            unclear[0].given,
            unclear_rule(
                unclear[0], "correct it, or calculate the batch with unclear_medicine_reason=... to accept it as given"
            ),
            unclear[0].suggestions,
        )
    opioids = [m for m in read if m.status is MedicineStatus.OPIOID]
    if opioids and "opioid-co-medication" not in overridden:
        raise CoMedicationError(
            "other medicines",
            "; ".join(m.given for m in opioids),
            opioid_rule(opioids, "calculate the batch with co_medication_reason=... to record an override"),
        )


def render_label_sheet(
    jobs: Sequence[tuple[BatchResult, Prescription | None]],
    out: str | os.PathLike[str] | BinaryIO,
    *,
    pharmacy: Pharmacy | None = None,
    stock: str = "letter-2x5",
    stock_file: str | os.PathLike[str] | None = None,
    outline: bool = False,
    language: str = "en",
    settings: Settings | None = None,
) -> None:
    """Write a PDF of labels, in the order of ``jobs``, on ``stock`` (e.g. a sheet of 1,000).

    Each job is a batch with a prescription (a patient label, with continuation
    labels numbered "1/2", "2/2" when the stock is too small for it) or with
    ``None`` (a container label for the batch).  Jobs may come from different
    batches.  ``stock`` names a built-in stock or one in ``stock_file`` (see
    :func:`ldn_compound.render.stocks.load_stocks`).  ``outline`` draws the
    label edges in light grey, for proofs on plain paper.

    ``language`` (``"en"``, ``"es"``) is the language of the patient labels;
    container labels stay in English, the pharmacy's language.  A Spanish label
    prints its numbers and dates by ``settings.label_locale`` (``settings``:
    the site settings, default the package's); its
    directions must come from a sig code or a ``Directions`` value (free text:
    InputError ``directions-not-translatable``), and every statement of the
    formula must have a translation, in the package's catalog or the formula
    file (InputError ``missing-translation``).

    Everything is laid out and checked before anything is written: text that
    does not fit raises LabelFitError, a character the font lacks RenderError,
    and a patient label without ``pharmacy``, or for a liquid, drops or cream
    whose dose was never checked (no ``dose`` in the batch, no titration),
    InputError.  The same inputs give
    byte-identical PDFs; the document date is the latest fill date (or
    compounding date) among the jobs.
    """
    language = check_language(language)
    settings = settings or default_settings()
    if not jobs:
        raise InputError("labels", [], "list at least one batch to label")
    label_stock = get_stock(stock, extra_path=stock_file)
    register_fonts()
    labels: list[_Label] = []
    dates: list[dt.date] = []
    patient = False
    for result, prescription in jobs:
        if prescription is None:
            labels.append(_container_label(result, pharmacy, label_stock))
            dates.append(result.compounding_date)
            continue
        if pharmacy is None:
            raise InputError(
                "pharmacy",
                None,
                "be given for patient labels (a dispensed prescription's label shows the pharmacy's name and address)",
            )
        if result.dose is None and not prescription.titration:
            raise InputError(
                "dose",
                None,
                f"be known for a patient label of {result.formula.dosage_form.display_name}: calculate the batch with "
                "dose= (the dose per administration) or give the prescription a titration, so the dose limits are "
                "checked before the label is printed",
            )
        patient = True
        words = _ENGLISH if language == "en" else label_words(language, settings.label_locale)
        words = words.for_formula(result.formula.translations)
        labels.extend(_patient_labels(result, prescription, pharmacy, label_stock, words))
        dates.append(_filled(result, prescription))
    digest = hashlib.sha256(label_stock.name.encode())
    for label in labels:
        for text in label.texts():
            digest.update(text.encode("utf-8") + b"\x00")
    count = len(labels)
    info = DocumentInfo(
        title="Prescription labels" if patient else "Container labels",
        subject=f"{count} label{'s' if count != 1 else ''} on {label_stock.name}",
        identity=digest.hexdigest(),
        date=max(dates),
    )
    data = render_canvas(
        lambda canvas: _draw_sheet(canvas, labels, label_stock, outline=outline),
        page_size_mm=(label_stock.page_width, label_stock.page_height),
        info=info,
    )
    write_pdf(data, out)


def render_labels(
    result: BatchResult,
    out: str | os.PathLike[str] | BinaryIO,
    *,
    prescriptions: Sequence[Prescription] = (),
    pharmacy: Pharmacy | None = None,
    stock: str = "roll-4x2.5in",
    stock_file: str | os.PathLike[str] | None = None,
    other_medicines: Sequence[str] = (),
    outline: bool = False,
    language: str = "en",
    settings: Settings | None = None,
) -> None:
    """Write a PDF of the labels of one batch to a path or a binary file object.

    With no ``prescriptions``: one container (stock) label for the batch.  With
    prescriptions: one patient label per prescription, in order (more when a
    prescription needs continuation labels), many to a page on a sheet stock.
    ``other_medicines`` (the patient's other medicines) is checked for opioids:
    one found raises CoMedicationError unless the batch was calculated with an
    opioid co-medication override and its reason.  See :func:`render_label_sheet`
    for the other options and errors, and for ``language`` (the patient labels'
    language: ``"en"`` or ``"es"``) and ``settings`` (its ``label_locale``).
    """
    _check_other_medicines(result, other_medicines)
    jobs: list[tuple[BatchResult, Prescription | None]] = [(result, p) for p in prescriptions] or [(result, None)]
    render_label_sheet(
        jobs,
        out,
        pharmacy=pharmacy,
        stock=stock,
        stock_file=stock_file,
        outline=outline,
        language=language,
        settings=settings,
    )
