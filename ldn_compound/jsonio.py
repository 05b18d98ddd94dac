"""JSON for integrators: batch results and formulas as documented, versioned documents.

Every document has a ``"schema"`` key (``"ldn-compound/batch/2"``…); the JSON
Schema files are in ``ldn_compound/schemas/``.  Amounts are strings that pint
(and :func:`ldn_compound.units.parse_quantity`) read back, e.g. ``"460.5 mg"``.
Output is deterministic: sorted keys, fixed indentation, no timestamps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from ldn_compound.model import (
    AliquotPlan,
    Amount,
    AmountKind,
    BatchResult,
    Ingredient,
    MasterFormula,
    PowderSource,
    Screening,
)
from ldn_compound.substances import NALTREXONE_HCL
from ldn_compound.units import Quantity, format_amount, format_number, is_quantity

__all__ = [
    "BATCH_SCHEMA",
    "FORMULAS_SCHEMA",
    "FORMULA_SCHEMA",
    "batch_to_dict",
    "dumps",
    "fingerprint",
    "formula_to_dict",
]

BATCH_SCHEMA = "ldn-compound/batch/2"
FORMULA_SCHEMA = "ldn-compound/formula/1"
FORMULAS_SCHEMA = "ldn-compound/formulas/1"


def dumps(data: Any) -> str:
    """JSON text: sorted keys, two-space indent, UTF-8 characters kept, one trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _q(quantity: Quantity | None) -> str | None:
    return None if quantity is None else format_amount(quantity)


def _percent(value: Any) -> str | None:
    return None if value is None else f"{format_number(value * 100)} %"


def _ingredient(line: Ingredient) -> dict[str, Any]:
    return {
        "id": line.id,
        "name": line.name,
        "role": line.role,
        "amount": _q(line.amount),
        "theoretical": _q(line.theoretical),
        "overage": _q(line.overage),
        "measure": line.measure,
        "qs": line.qs,
        "basis": line.basis,
        "tablets": line.tablets,
        "aliquot": _aliquot(line.aliquot),
        "lot": None
        if line.lot is None
        else {
            "lot": line.lot.lot,
            "expiry": None if line.lot.expiry is None else line.lot.expiry.isoformat(),
            "manufacturer": line.lot.manufacturer,
        },
    }


def _aliquot(plan: AliquotPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "method": plan.method,
        "weigh": _q(plan.weigh),
        "diluent": plan.diluent,
        "dilute_to": _q(plan.dilute_to),
        "take": _q(plan.take),
        "holds": _q(plan.holds),
        "steps": list(plan.steps),
    }


def _directions(result: BatchResult) -> dict[str, Any] | None:
    """The checked directions: the sentence printed and its parts."""
    directions = result.directions
    if directions is None:
        return None
    return {
        "text": directions.text(),
        "amount": _q(directions.quantity),
        "route": directions.route.key,
        "site": None if directions.site is None else directions.site.key,
        "timing": directions.timing.key,
        "per_day": directions.per_day,
        "titration": [{"dose": _q(step.dose), "days": step.days} for step in directions.titration],
    }


def _screening(screening: Screening) -> dict[str, Any]:
    return {
        "result": screening.result,
        "summary": screening.summary(),
        "medicines": [
            {
                "given": m.given,
                "status": m.status.value,
                "ingredients": list(m.ingredients),
                "matched": list(m.matched),
                "suggestions": list(m.suggestions),
                "note": m.note or None,
            }
            for m in screening.medicines
        ],
        "opioids": list(screening.opioids),
        "notes": list(screening.notes),
        "overrides": [{"code": o.code, "reason": o.reason} for o in screening.overrides],
        "list_version": screening.list_version or None,
    }


def _body(result: BatchResult) -> dict[str, Any]:
    formula = result.formula
    source = result.source
    if isinstance(source, PowderSource):
        salt = formula.active.salt_form or NALTREXONE_HCL
        corrected = source.as_is_potency is not None
        anhydrous = source.assay is not None and source.basis == "anhydrous"
        source_data: dict[str, Any] = {
            "type": "powder",
            "potency": _percent(source.as_is_potency),
            "potency_of": source.potency_of(salt).id if corrected else None,
            "basis": (source.basis or "as-is") if corrected else None,
            "assay": _percent(source.assay),
            "water": _percent(source.water) if anhydrous else None,
            "residual_solvent": _percent(source.residual_solvent) if anhydrous else None,
            "loss_on_drying": _percent(source.loss_on_drying) if source.basis == "dried" else None,
        }
    else:
        source_data = {
            "type": "tablets",
            "average_weight": _q(source.average_weight),
            "tablet_strength": str(source.tablet_strength),
            "product": source.product,
            "manufacturer": source.manufacturer,
            "weighed": source.weighed,
        }
    capsule = result.capsule
    return {
        "schema": BATCH_SCHEMA,
        "formula": {
            "id": formula.id,
            "version": formula.version,
            "dosage_form": formula.dosage_form.value,
            "name": formula.name,
        },
        "dosage_form_name": result.dosage_form_name,
        "strength": {
            "amount": _q(result.strength.amount),
            "basis": result.strength.basis.id,
            "text": str(result.strength),
        },
        "quantity": _q(result.quantity),
        "compounding_date": result.compounding_date.isoformat(),
        "lot_number": result.lot_number,
        "overage": _percent(result.overage),
        "source": source_data,
        "balance": {
            "readability": _q(result.balance.readability),
            "repeatability": _q(result.balance.repeatability),
            "minimum_weight": _q(result.balance.minimum_weight),
        },
        "ingredients": [_ingredient(line) for line in result.ingredients],
        "aliquot": _aliquot(result.aliquot),
        "capsule": None
        if capsule is None
        else {
            "size": capsule.size,
            "capacity": format_amount(capsule.capacity, significant=6),
            "active_per_capsule": format_amount(capsule.active_per_capsule, significant=6),
            "filler_per_capsule": format_amount(capsule.filler_per_capsule, significant=6),
            "fill_weight": format_amount(capsule.fill_weight, significant=6),
            "fill_low": _q(capsule.fill_low),
            "fill_high": _q(capsule.fill_high),
            "shell_weight": _q(capsule.shell_weight),
            "gross_low": _q(capsule.gross_low),
            "gross_high": _q(capsule.gross_high),
            "weight_basis": capsule.weight_basis,
            "sampled": capsule.sampled,
        },
        "dose": None if result.dose is None else {"amount": _q(result.dose.amount), "basis": result.dose.basis.id},
        "dose_per_unit": {unit: format_amount(q, significant=6) for unit, q in sorted(result.dose_per_unit.items())},
        "directions": _directions(result),
        "daily_dose": None
        if result.daily_dose is None
        else {"amount": format_amount(result.daily_dose.amount, significant=6), "basis": result.daily_dose.basis.id},
        "dispensed": _q(result.dispensed),
        "days_supply": result.days_supply,
        "theoretical_yield": _q(result.theoretical_yield),
        "yield_range": None
        if result.yield_range is None
        else [format_amount(result.yield_range[0]), format_amount(result.yield_range[1])],
        "beyond_use_date": result.beyond_use.date.isoformat(),
        "beyond_use": {
            "days": result.beyond_use.days,
            "storage": result.beyond_use.storage,
            "rule": result.beyond_use.rule,
            "limited_by": result.beyond_use.limited_by or None,
        },
        "warnings": [{"code": w.code, "message": w.message} for w in result.warnings],
        "overrides": [{"code": o.code, "reason": o.reason} for o in result.overrides],
        "screening": _screening(result.screening),
        "trace": [{"step": s.title, "text": s.text} for s in result.trace],
        "weighings": [
            {
                "what": w.what,
                "line": w.line,
                "amount": _q(w.amount),
                "instrument": w.instrument,
                "rule": w.rule,
                "purpose": w.purpose,
                "into_batch": w.into_batch,
                "holds": {line: _q(amount) for line, amount in w.holds},
                "aliquot": w.aliquot,
            }
            for w in result.weighings
        ],
        "equipment": list(result.equipment),
        "procedure": list(result.procedure),
    }


def fingerprint(result: BatchResult) -> str:
    """The first 12 hex digits of the SHA-256 of the batch's JSON (without the fingerprint)."""
    return hashlib.sha256(dumps(_body(result)).encode()).hexdigest()[:12]


def batch_to_dict(result: BatchResult) -> dict[str, Any]:
    """The batch as a JSON-ready dict following ``schemas/batch.schema.json``."""
    data = _body(result)
    data["fingerprint"] = hashlib.sha256(dumps(data).encode()).hexdigest()[:12]
    return data


def _amount(amount: Amount) -> dict[str, Any]:
    value = amount.value
    if is_quantity(value):
        shown: str | None = format_amount(value)
    elif value is not None:
        shown = f"{format_number(value * 100)} %"
    else:
        shown = None
    return {"kind": amount.kind.value, "value": shown, "text": amount.describe()}


def _capsule_spec(formula: MasterFormula) -> dict[str, Any] | None:
    spec = formula.capsule
    if spec is None:
        return None
    return {
        "size": spec.size,
        "filler": spec.filler,
        "packing": {size: format_amount(stat) for size, stat in spec.packing.items()},
        "bulk_density": None if spec.bulk_density is None else format_amount(spec.bulk_density.to("g/mL"), unit="g/mL"),
        "displacement_factor": format_number(spec.displacement_factor),
        "shell_weight": {size: format_amount(weight) for size, weight in spec.shell_weight.items()},
    }


def formula_to_dict(formula: MasterFormula, reference: BatchResult | None = None) -> dict[str, Any]:
    """A master formula as a JSON-ready dict following ``schemas/formula.schema.json``.

    With ``reference`` (a batch of this formula), the document also holds that
    batch's strength, quantity and ingredients as ``"reference_batch"``.
    """
    from ldn_compound.bud import maximum_days

    rng = formula.strength
    drops, topical = formula.drops, formula.topical
    data: dict[str, Any] = {
        "schema": FORMULA_SCHEMA,
        "id": formula.id,
        "name": formula.name,
        "version": formula.version,
        "dosage_form": formula.dosage_form.value,
        "description": formula.description,
        "strength": {
            "default": _q(rng.default),
            "minimum": _q(rng.minimum),
            "maximum": _q(rng.maximum),
            "basis": rng.basis.id,
        },
        "components": [
            {
                "id": c.id,
                "name": c.name,
                "role": c.role,
                "grade": c.grade,
                "salt_form": None if c.salt_form is None else c.salt_form.id,
                "preserved": c.preserved,
                "amount": _amount(c.amount)
                if c.amount.kind is not AmountKind.ACTIVE
                else {"kind": "active", "value": None, "text": "per strength"},
            }
            for c in formula.components
        ],
        "preparation_class": formula.preparation_class.value,
        "bud_maximum_days": maximum_days(formula.preparation_class)[0],
        "storage": formula.storage,
        "container": formula.container,
        "reference_quantity": _q(formula.reference_quantity),
        "capsule": _capsule_spec(formula),
        "drops": None
        if drops is None
        else {"drops_per_ml": format_number(drops.drops_per_ml), "dropper": drops.dropper},
        "topical": None
        if topical is None
        else {
            "click_volume": _q(topical.click_volume),
            "density": None if topical.density is None else format_amount(topical.density.to("g/mL"), unit="g/mL"),
            "dispenser": topical.dispenser,
        },
        "stability": [
            {"id": e.id, "days": e.days, "storage": e.storage, "citation": e.citation} for e in formula.stability
        ],
        "procedure": list(formula.procedure),
        "equipment": list(formula.equipment),
        "quality_checks": [{"name": q.name, "specification": q.specification} for q in formula.quality_checks],
        "auxiliary_labels": list(formula.auxiliary_labels),
        "references": [{"citation": r.citation, "supports": r.supports} for r in formula.references],
        "source": formula.source,
    }
    if formula.translations:  # a pharmacy formula's own translations of its label statements
        data["translations"] = {language: dict(table) for language, table in sorted(formula.translations.items())}
    if reference is not None:
        batch = batch_to_dict(reference)
        data["reference_batch"] = {
            "strength": batch["strength"],
            "quantity": batch["quantity"],
            "ingredients": [
                {key: line[key] for key in ("id", "name", "role", "amount", "measure", "qs")}
                for line in batch["ingredients"]
            ],
        }
    return data


def formulas_to_dict(formulas: Iterable[MasterFormula]) -> dict[str, Any]:
    """A list of formulas as a JSON-ready dict following ``schemas/formulas.schema.json``."""
    return {"schema": FORMULAS_SCHEMA, "formulas": [formula_to_dict(f) for f in formulas]}
