"""Titration schedules for liquids and drops: doses turned into what the patient measures.

A schedule such as "1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg" becomes
mL (oral liquid) or drops (sublingual drops) per dose, with the quantity each
step uses and the total the schedule needs.  A dose that is not a whole
number of drops, or not a whole number of the syringe's 0.1 mL graduations,
is refused: the patient could not measure it.

>>> from ldn_compound import calculate_batch
>>> batch = calculate_batch("ldn-oral-liquid", quantity="120 mL", date="2026-03-01")
>>> plan = titration_plan(batch, parse_titration("1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg"))
>>> [row.text for row in plan.rows]
['1.5 mg (1.5 mL) once daily for 7 days', '3 mg (3 mL) once daily for 7 days', 'then 4.5 mg (4.5 mL) once daily']
>>> format_amount(plan.total)
'31.5 mL'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

import attrs

from ldn_compound.exceptions import DoseLimitError, InputError
from ldn_compound.model import BatchResult, DosageForm, Strength, TitrationStep
from ldn_compound.settings import Settings, default_settings
from ldn_compound.substances import NALTREXONE_HCL
from ldn_compound.text import MAX_LINE
from ldn_compound.units import MASS, Quantity, format_amount, format_number, magnitude, new_quantity, parse_quantity

__all__ = ["TitrationPlan", "TitrationRow", "parse_titration", "titration_plan"]

_STEP_RE = re.compile(
    r"^\s*(?:then\s+)?(?P<dose>[0-9.,]+\s*[a-zµ]+)\s*(?:(?:for|x|×|:)\s*(?P<days>\d+)\s*(?:days?|d)?)?\s*$",
    re.IGNORECASE,
)


@attrs.frozen
class TitrationRow:
    """One step: the dose, what the patient measures for it, for how long, and the quantity used."""

    dose: Quantity
    measure: Quantity
    measure_text: str
    days: int | None
    used: Quantity | None
    text: str


@attrs.frozen
class TitrationPlan:
    """A whole schedule: its rows, the quantity the timed steps use, and the days the batch then lasts."""

    rows: tuple[TitrationRow, ...]
    total: Quantity
    days_remaining: int | None


def parse_titration(text: str) -> tuple[TitrationStep, ...]:
    """Read ``"1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg"`` (or ``"1.5 mg:7, 3 mg:7, 4.5 mg"``).

    Every step but the last needs a number of days; the last may leave it out
    ("then 4.5 mg", taken from then on).
    """
    if len(str(text)) > MAX_LINE:  # the step pattern backtracks on long runs of spaces: bound it first
        raise InputError("titration", text, f"be at most {MAX_LINE} characters (got {len(str(text))})")
    parts = [p for p in re.split(r"[,;]", str(text)) if p.strip()]
    if not parts:
        raise InputError("titration", text, "be steps such as '1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg'")
    steps: list[TitrationStep] = []
    for index, part in enumerate(parts):
        match = _STEP_RE.match(part)
        if not match:
            raise InputError("titration", part.strip(), "be a step such as '1.5 mg for 7 days' or 'then 4.5 mg'")
        days = int(match["days"]) if match["days"] else None
        if days is None and index < len(parts) - 1:
            raise InputError("titration", part.strip(), "give a number of days (only the last step may leave it out)")
        if days is not None and not 1 <= days <= 365:
            raise InputError("titration", part.strip(), "last from 1 to 365 days")
        steps.append(TitrationStep(dose=parse_quantity(match["dose"], "titration dose", MASS), days=days))
    return tuple(steps)


def titration_plan(
    result: BatchResult,
    steps: Sequence[TitrationStep],
    *,
    quantity: Quantity | None = None,
    settings: Settings | None = None,
) -> TitrationPlan:
    """Turn ``steps`` into amounts to measure from ``result`` (an oral liquid or drops batch).

    Doses are in the batch strength's basis.  Each is checked against the dose
    limits (above the limit only when the batch records a ``dose-above-limit``
    override).  ``quantity`` is what the patient is given (default: the batch
    as asked for, without overage); the timed steps must fit in it and end by
    the beyond-use date.  ``days_remaining`` is how many days the last step
    lasts on what is left, no later than the beyond-use date.
    """
    settings = settings or default_settings()
    form = result.formula.dosage_form
    if form not in (DosageForm.ORAL_LIQUID, DosageForm.SUBLINGUAL_DROPS):
        raise InputError(
            "titration", form.value, "be for an oral liquid or sublingual drops (a dose measured by the patient)"
        )
    if not steps:
        raise InputError("titration", "", "have at least one step")
    overridden = any(o.code == "dose-above-limit" for o in result.overrides)
    per_ml = magnitude(result.strength.amount, "mg/mL")
    resolution = magnitude(settings.syringe_graduation, "mL")
    rows: list[TitrationRow] = []
    total = Decimal(0)
    for index, step in enumerate(steps):
        dose = step.dose
        hcl = Strength(dose, result.strength.basis).to_basis(NALTREXONE_HCL).amount
        if hcl > settings.dose_limit and not overridden:
            raise DoseLimitError(
                "titration dose",
                format_amount(dose),
                f"be at most {format_amount(settings.dose_limit)} naltrexone HCl unless the batch overrides the limit",
            )
        mg = magnitude(dose, "mg")
        if form is DosageForm.SUBLINGUAL_DROPS:
            per_drop = magnitude(result.dose_per_unit["drop"], "mg")
            drops_per_ml = result.drops_per_ml if result.drops_per_ml is not None else per_ml / per_drop
            drops = mg * drops_per_ml / per_ml  # exact: not divided by a rounded dose per drop
            if drops != drops.to_integral_value():
                raise InputError(
                    "titration dose",
                    format_amount(dose),
                    f"be a whole number of drops of {format_amount(result.dose_per_unit['drop'], significant=4)} "
                    f"(it is {format_number(drops, significant=4)} drops)",
                )
            count = int(drops)
            measure = new_quantity(Decimal(count), "drop")
            measure_text = f"{count} drop" + ("" if count == 1 else "s")
            volume = mg / per_ml
        else:
            volume = mg / per_ml
            if volume % resolution:
                raise InputError(
                    "titration dose",
                    format_amount(dose),
                    f"be a whole number of {format_amount(settings.syringe_graduation)} graduations at "
                    f"{format_amount(result.strength.amount)} (it is {format_number(volume, significant=4)} mL)",
                )
            measure = new_quantity(volume, "mL")
            measure_text = format_amount(measure)
        used = None if step.days is None else new_quantity(volume * step.days, "mL")
        if used is not None:
            total += magnitude(used, "mL")
        lead = "then " if step.days is None and index else ""
        duration = f" for {step.days} day{'s' if step.days != 1 else ''}" if step.days is not None else ""
        rows.append(
            TitrationRow(
                dose=dose,
                measure=measure,
                measure_text=measure_text,
                days=step.days,
                used=used,
                text=f"{lead}{format_amount(dose)} ({measure_text}) once daily{duration}",
            )
        )
    given = quantity if quantity is not None else result.quantity
    batch_volume = magnitude(given, "mL")
    if total > batch_volume:
        raise InputError(
            "titration",
            f"{format_number(total)} mL",
            f"fit in the {format_number(batch_volume)} mL given to the patient: dispense or make more",
        )
    timed_days = sum(step.days or 0 for step in steps)
    if timed_days > result.beyond_use.days:
        raise InputError(
            "titration",
            f"{timed_days} days",
            f"end by the beyond-use date, {result.beyond_use.days} days after compounding "
            f"({result.beyond_use.date.isoformat()}): dispense the later steps from a new batch",
        )
    last = rows[-1]
    days_remaining = None
    if last.days is None:
        by_volume = int((batch_volume - total) / (magnitude(last.dose, "mg") / per_ml))
        days_remaining = min(by_volume, result.beyond_use.days - timed_days)
    return TitrationPlan(rows=tuple(rows), total=new_quantity(total, "mL"), days_remaining=days_remaining)
