"""The new-batch form: its fields, their labels, and the request a submitted form makes.

Each field is a request field of :class:`ldn_compound.service.BatchRequest` under the
same name; the form only says how it is shown (label, hint, kind).  A submitted form
becomes a request through :func:`ldn_compound.service.request_from_mapping`, the same
function the JSON API uses, so the page and the API accept exactly the same input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import attrs

from ldn_compound import service

__all__ = ["FIELDS", "GROUPS", "Field", "field_label", "form_request", "label_fields_given"]


@attrs.frozen
class Field:
    """One field of the form."""

    name: str
    label: str
    hint: str = ""
    kind: Literal["text", "select", "checkbox", "lines", "date"] = "text"
    choices: tuple[tuple[str, str], ...] = ()
    placeholder: str = ""
    #: The dosage forms it applies to (empty: all).
    forms: frozenset[str] = frozenset()
    #: A value amounts are typed in: shown in a monospace font.
    amount: bool = False


_CAPSULES = frozenset({"capsules"})
_LIQUIDS = frozenset({"oral-liquid", "sublingual-drops"})

#: The groups of the form, in order: (legend, fields, open by default).
GROUPS: Final[tuple[tuple[str, tuple[Field, ...], bool], ...]] = (
    (
        "The batch",
        (
            Field(
                "quantity",
                "Quantity",
                "capsules: a count (100); liquids and drops: a volume (120 mL); creams: a mass (30 g)",
                amount=True,
            ),
            Field("strength", "Strength", "4.5 mg per capsule, 1 mg/mL, 1 mg/g; empty: the formula's", amount=True),
            Field(
                "strength_basis",
                "Strength basis",
                "the salt form the strength is written in",
                kind="select",
                choices=(("", "naltrexone HCl (default)"), ("hcl", "naltrexone HCl"), ("base", "naltrexone base")),
            ),
            Field("dose", "Dose", "one dose, a mass (13.5 mg for 3 capsules), checked against the limits", amount=True),
            Field("overage", "Overage (%)", "extra active and excipients, percent of the batch", amount=True),
            Field("date", "Compounding date", "empty: today", kind="date"),
            Field("lot_number", "Lot number", "empty: the register gives the next one"),
        ),
        True,
    ),
    (
        "The naltrexone source and component lots",
        (
            Field("potency", "Potency (%)", "as-is potency from the certificate of analysis, e.g. 97.71", amount=True),
            Field("assay", "Assay (%)", "the assay from the certificate of analysis", amount=True),
            Field(
                "assay_basis",
                "Assay basis",
                "the basis the certificate states the assay on",
                kind="select",
                choices=(
                    ("", "as the certificate states it"),
                    ("as-is", "as is"),
                    ("anhydrous", "anhydrous (with water)"),
                    ("dried", "dried (with loss on drying)"),
                ),
            ),
            Field("water", "Water (%)", "Karl Fischer water content, for the assay", amount=True),
            Field("residual_solvent", "Residual solvent (%)", "for the assay", amount=True),
            Field("loss_on_drying", "Loss on drying (%)", "for a dried-basis assay", amount=True),
            Field(
                "tablet_weight",
                "Tablets: average weight",
                "make it from crushed 50 mg tablets of this average weight (180 or 180 mg)",
                amount=True,
            ),
            Field("tablet_product", "Tablets: NDC or product", "printed on the record"),
            Field("tablet_manufacturer", "Tablets: manufacturer", "printed on the record"),
            Field(
                "lots",
                "Component lots",
                "one a line: ID=LOT or ID=LOT:YYYY-MM-DD, e.g. naltrexone-hcl=NX2291:2027-06-30",
                kind="lines",
            ),
        ),
        True,
    ),
    (
        "Balance and capsules",
        (
            Field("balance_readability", "Balance readability", "0.1 mg (default) or 1 mg", amount=True),
            Field("balance_repeatability", "Balance repeatability", "standard deviation, when measured", amount=True),
            Field(
                "capsule_size",
                "Capsule size",
                "empty: the formula's",
                kind="select",
                choices=(
                    ("", "the formula's"),
                    *((size, size) for size in ("000", "00", "0", "1", "2", "3", "4", "5")),
                ),
                forms=_CAPSULES,
            ),
            Field("packing", "Packing statistic", "your filler's, for the capsule size (228 mg)", forms=_CAPSULES),
            Field("bulk_density", "Bulk density", "your filler's (0.31 g/mL)", forms=_CAPSULES),
            Field(
                "drops_per_ml",
                "Drops per mL",
                "your calibrated dropper's",
                forms=frozenset({"sublingual-drops"}),
            ),
        ),
        False,
    ),
    (
        "Beyond-use date",
        (
            Field(
                "bud_rules",
                "BUD rules",
                "",
                kind="select",
                choices=(
                    ("", "USP <795> (2023), the default"),
                    ("usp-795-2023", "USP <795> (2023)"),
                    ("legacy", "legacy"),
                ),
            ),
            Field("bud_day_one", "Count the compounding day as day 1", kind="checkbox"),
            Field("stability", "Stability evidence", "date by the formula's stability evidence with this id"),
        ),
        False,
    ),
    (
        "Safety checks",
        (
            Field("other_medicines", "Other medicines", "the patient's other medicines, one a line", kind="lines"),
            Field("co_medication_reason", "Reason to go ahead despite an opioid", ""),
            Field("unclear_medicine_reason", "Reason to go ahead despite an unclear medicine name", ""),
            Field("high_dose_reason", "Reason to go ahead with a high dose", ""),
        ),
        False,
    ),
    (
        "Prescription and label",
        (
            Field("rx", "Rx number", "with patient, prescriber and directions: a patient label"),
            Field("patient", "Patient"),
            Field("prescriber", "Prescriber"),
            Field("directions", "Directions", "e.g. Take 1 capsule by mouth at bedtime"),
            Field("sig", "Sig codes", "instead of the directions, e.g. 1 cap po qhs"),
            Field("directions_unchecked", "Reason to print directions that cannot be read", ""),
            Field("refills", "Refills", "default 0"),
            Field("dispense", "Dispense", "the quantity on this prescription; empty: the whole batch", amount=True),
            Field(
                "titration",
                "Titration",
                "liquids and drops: 1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg",
                forms=_LIQUIDS,
            ),
            Field(
                "language",
                "Label language",
                "",
                kind="select",
                choices=(("", "English (default)"), ("en", "English"), ("es", "Spanish")),
            ),
            Field("label_stock", "Label stock", "", kind="select"),
            Field(
                "page_size",
                "Record page size",
                "",
                kind="select",
                choices=(("", "Letter (default)"), ("letter", "Letter"), ("a4", "A4")),
            ),
        ),
        True,
    ),
)

FIELDS: Final = {field.name: field for _, fields, _ in GROUPS for field in fields}

#: Fields that make the request a labels request.
_LABEL_FIELDS: Final = (
    "rx",
    "patient",
    "prescriber",
    "directions",
    "sig",
    "directions_unchecked",
    "refills",
    "dispense",
    "titration",
    "label_stock",
    "language",
)

#: Fields printed only on labels; the prescription's fields print on the record too.
_LABEL_ONLY_FIELDS: Final = ("label_stock", "language")

_NAMES: Final = {
    "formula": "Formula",
    "record": "the Register and print button",
    "labels": "the Register and print button with the prescription fields",
    "pharmacy_config": "the pharmacy (the server's --pharmacy-config)",
    "sig_codes": "the pharmacy's sig codes",
    "formula_dir": "the server's formula folder",
    "request": "the form",
}


def field_label(name: str) -> str:
    """How the page names a request field: its label (``Capsule size``)."""
    found = FIELDS.get(name)
    return found.label if found is not None else _NAMES.get(name, name)


def form_values(form: Mapping[str, object], lists: Mapping[str, list[str]]) -> dict[str, object]:
    """The form's values, as the JSON API would take them: empty fields left out, lines split."""
    values: dict[str, object] = {}
    formula = form.get("formula")
    if isinstance(formula, str) and formula.strip():
        values["formula"] = formula.strip()
    for name, field in FIELDS.items():
        raw = form.get(name)
        if field.kind == "checkbox":
            if raw is not None:
                values[name] = True
        elif field.kind == "lines":
            lines = [line.strip() for text in lists.get(name, []) for line in text.splitlines()]
            if any(lines):
                values[name] = [line for line in lines if line]
        elif isinstance(raw, str) and raw.strip():
            values[name] = raw.strip()
    return values


def label_fields_given(values: Mapping[str, object]) -> bool:
    """Whether the form asks for a label (any prescription or label field filled in)."""
    return any(name in values for name in _LABEL_FIELDS)


def form_request(
    values: dict[str, object], *, record: bool, labels: bool, formula_dir: str | None, pharmacy_config: str | None
) -> service.BatchRequest:
    """The batch request of a submitted form; the server's formula folder and pharmacy go with it.

    ``page_size`` counts only on a record, the prescription only on a record or labels (both print
    it), ``label_stock`` and ``language`` only on labels (the form always has them).
    """
    data = dict(values)
    if not record:
        data.pop("page_size", None)
    if not labels:  # the form always has the label fields: they count only where they are printed
        for name in _LABEL_FIELDS if not record else _LABEL_ONLY_FIELDS:
            data.pop(name, None)
    request = service.request_from_mapping(data, record=record, labels=labels)
    return attrs.evolve(
        request, formula_dir=formula_dir, pharmacy_config=pharmacy_config if (record or labels) else None
    )
