"""Plain-text output for people: the formula list, a formula, a batch.

The command line prints these; they take finished values and do no arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence

from ldn_compound.bud import maximum_days
from ldn_compound.model import BatchResult, DosageForm, Ingredient, MasterFormula
from ldn_compound.units import format_amount, format_number
from ldn_compound.weighing import reconciliation, reconciliation_text

__all__ = ["batch_text", "formula_text", "formulas_table", "table"]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Rows of text in left-aligned columns under their headers."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return indent + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), *(line(row) for row in rows)]


def formulas_table(formulas: Sequence[MasterFormula], with_source: bool) -> list[str]:
    """The formula list as a table."""
    headers = ["ID", "Version", "Form", "Default strength", "Range", "Name"]
    rows = []
    for f in formulas:
        row = [
            f.id,
            f.version,
            f.dosage_form.value,
            f"{format_amount(f.strength.default)} {f.strength.basis.short_name}",
            f"{format_amount(f.strength.minimum)} to {format_amount(f.strength.maximum)}",
            f.name,
        ]
        if with_source:
            row.append(f.source)
        rows.append(row)
    return table([*headers, "Source"] if with_source else headers, rows, indent="")


def _bud_class(formula: MasterFormula) -> str:
    """``nonaqueous-other: USP <795> (2023) at most 180 days, room temperature or refrigerator``."""
    days, storage = maximum_days(formula.preparation_class)
    return f"{formula.preparation_class.value}: USP <795> (2023) at most {days} days, {storage}"


def formula_text(formula: MasterFormula, reference: BatchResult | None) -> str:
    """The readable description of a formula."""
    f = formula
    rng = f.strength
    out = [f"{f.id} v{f.version}: {f.name}", ""]
    facts = [
        ("Dosage form", f"{f.dosage_form.display_name} ({f.dosage_form.route})"),
        ("Description", f.description),
        ("Strength", f"default {format_amount(rng.default)} {rng.basis.short_name}; allowed {rng.describe()}"),
        ("BUD class", _bud_class(f)),
        ("Storage", f.storage),
        ("Container", f.container),
        ("Reference batch", format_amount(f.reference_quantity) if f.reference_quantity is not None else ""),
        ("Source", f.source),
    ]
    if f.capsule is not None:
        packing = ", ".join(f"#{size} {format_amount(q)}" for size, q in f.capsule.packing.items())
        density = (
            f"; bulk density {format_amount(f.capsule.bulk_density.to('g/mL'), unit='g/mL')}"
            if f.capsule.bulk_density
            else ""
        )
        facts.append(
            ("Capsules", f"size {f.capsule.size}, filler {f.capsule.filler}; packing {packing or 'none'}{density}")
        )
    if f.drops is not None:
        facts.append(
            (
                "Dropper",
                f"{f.drops.drops_per_ml} drops per mL (calibrated){'; ' + f.drops.dropper if f.drops.dropper else ''}",
            )
        )
    if f.topical is not None and f.topical.click_volume is not None:
        facts.append(
            (
                "Dispenser",
                f"{format_amount(f.topical.click_volume)} per click{'; ' + f.topical.dispenser if f.topical.dispenser else ''}",
            )
        )
    width = max(len(k) for k, _ in facts)
    out += [f"{k.ljust(width)}  {v}" for k, v in facts if v]
    out += ["", "Components"]
    out += table(
        ["ID", "Name", "Role", "Amount", "Grade"],
        [
            [c.id, c.name, c.role, "per strength" if c.role == "active" else c.amount.describe(), c.grade]
            for c in f.components
        ],
    )
    if f.stability:
        out += ["", "Stability evidence (use with batch --stability ID)"]
        out += table(
            ["ID", "Days", "Storage", "Citation"], [[e.id, str(e.days), e.storage, e.citation] for e in f.stability]
        )
    if reference is not None:
        out += ["", f"Reference batch: {format_amount(reference.quantity)} at {reference.strength.describe()}"]
        out += table(
            ["ID", "Name", "Amount", "How"],
            [[i.id, i.name, i.describe_amount(), i.measure] for i in reference.ingredients],
        )
    for title, items in (
        ("Procedure", f.procedure),
        ("Equipment", f.equipment),
        ("Quality checks", tuple(f"{q.name}: {q.specification}" for q in f.quality_checks)),
        ("Auxiliary labels", f.auxiliary_labels),
        ("References", tuple(r.citation + (f" ({r.supports})" if r.supports else "") for r in f.references)),
    ):
        if items:
            out += ["", title]
            numbered = title == "Procedure"
            out += [f"  {n}. {item}" if numbered else f"  - {item}" for n, item in enumerate(items, 1)]
    return "\n".join(out) + "\n"


def _how(line: Ingredient) -> str:
    """How an ingredient is measured, in words."""
    how = str(line.measure)
    if line.tablets:
        how = f"weigh, from {line.tablets} crushed 50 mg tablet{'s' if line.tablets != 1 else ''}"
    if line.aliquot is not None:
        how += f" (aliquot: {line.aliquot.method})"
    return how


def batch_text(result: BatchResult) -> str:
    """The readable batch: what to measure, aliquot steps, BUD and warnings."""
    f = result.formula
    per = " per capsule" if f.dosage_form is DosageForm.CAPSULES else ""
    out = [
        f"{f.name} ({f.id} v{f.version})",
        f"Strength   {result.strength.describe()}{per}",
        f"Quantity   {format_amount(result.quantity)}"
        + (f" (amounts include {format_number(result.overage * 100)} % overage)" if result.overage else ""),
        f"Lot        {result.lot_number}, compounded {result.compounding_date.isoformat()}",
        f"Balance    {result.balance.describe()}",
        "",
        "Components",
    ]
    with_lots = any(line.lot is not None for line in result.ingredients)
    headers = ["Component", "Role", "Amount", "How"] + (["Lot"] if with_lots else [])
    rows = []
    for line in result.ingredients:
        row = [line.name, line.role, line.describe_amount(), _how(line)]
        if with_lots:
            lot = line.lot
            row.append("" if lot is None else lot.lot + (f" (expires {lot.expiry.isoformat()})" if lot.expiry else ""))
        rows.append(row)
    out += table(headers, rows)
    if result.weighings:
        out += ["", "Weigh and measure, in this order"]
        out += table(
            ["#", "What", "Amount", "With", "For"],
            [
                [str(n), w.what, format_amount(w.amount), w.instrument, w.purpose]
                for n, w in enumerate(result.weighings, 1)
            ],
        )
        out += ["  Into the batch:"] + [
            f"    {reconciliation_text(line, parts)}"
            for line, parts in reconciliation(result.ingredients, result.weighings)
        ]
    if result.capsule is not None:
        c = result.capsule
        fill = format_amount(c.fill_weight, significant=6)
        out += [
            "",
            f"Capsules   size {c.size}: fill {fill} each, accept {format_amount(c.fill_low)} to {format_amount(c.fill_high)}",
        ]
    if result.dose_per_unit:
        doses = ", ".join(
            f"{format_amount(q, significant=6)} per {unit}" for unit, q in sorted(result.dose_per_unit.items())
        )
        out += ["", f"Dose       {doses}"]
    if result.directions is not None:
        out += ["", f"Directions {result.directions.text()}"]
        if result.dose is not None:
            per_day = "" if result.daily_dose is None else f"; {result.daily_dose.describe(significant=6)} a day"
            out.append(f"  Dose     {result.dose.describe(significant=6)} per administration{per_day}")
        if result.days_supply is not None:
            given = format_amount(result.dispensed if result.dispensed is not None else result.quantity)
            out.append(f"  Supply   {given} lasts {result.days_supply} day{'s' if result.days_supply != 1 else ''}")
    for line in result.ingredients:
        a = line.aliquot
        if a is None:
            continue
        plan = f"weigh {format_amount(a.weigh)}, dilute to {format_amount(a.dilute_to)}, take {format_amount(a.take)}"
        out += ["", f"Aliquot of {line.name} ({a.method}): {plan} (holds {format_amount(a.holds)})"]
        out += [f"  {n}. {step}" for n, step in enumerate(a.steps, 1)]
    bud = result.beyond_use
    out += ["", f"Beyond-use date  {bud.date.isoformat()}", f"  Rule     {bud.rule}"]
    if bud.limited_by:
        out.append(f"  Limited  {bud.limited_by}")
    out.append(f"  Storage  {bud.storage}")
    if result.screening.screened:
        out += ["", result.screening.summary()]
    if result.overrides:
        out += ["", "Overrides"] + [f"  {o.code}: {o.reason}" for o in result.overrides]
    if result.warnings:
        out += ["", "Warnings"] + [f"  ! {w.code}: {w.message}" for w in result.warnings]
    return "\n".join(out) + "\n"
