"""JSON for integrators: batch results and formulas as documented, versioned documents.

Every document has a ``"schema"`` key (``"ldn-compound/batch/2"``…); the JSON
Schema files are in ``ldn_compound/schemas/``.  Amounts are strings that pint
(and :func:`ldn_compound.units.parse_quantity`) read back, e.g. ``"460.5 mg"``.
Output is deterministic: sorted keys, fixed indentation, no timestamps.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
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
    "batch_from_dict",
    "batch_to_dict",
    "batch_to_json",
    "dumps",
    "fingerprint",
    "formula_to_dict",
]

BATCH_SCHEMA = "ldn-compound/batch/2"
FORMULA_SCHEMA = "ldn-compound/formula/1"
FORMULAS_SCHEMA = "ldn-compound/formulas/1"


def dumps(data: Any) -> str:
    """JSON text: sorted keys, two-space indent, UTF-8 characters kept, one trailing newline.

    The text is exactly ``json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)``
    and a newline.
    """
    try:
        return _encode(data, "\n") + "\n"
    except (_NotPlain, TypeError):
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


class _NotPlain(Exception):  # noqa: N818 - a signal, not an error: the value is left to the json module
    """A value :func:`_encode` leaves to the json module (which writes it, or raises its own error)."""


#: How the json module writes a string with ``ensure_ascii=False`` (its C function where there is one).
_string: Callable[[str], str] = json.encoder.encode_basestring
#: The indent (after the line break) beyond which a value is left to the json module: far deeper
#: than any document, and a circular value reaches it and gets the json module's error.
_MAX_INDENT = 64


def _encode(value: Any, newline: str) -> str:  # noqa: PLR0911 - one return per kind of value, as json tests them
    """``value`` as ``json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)`` writes it.

    ``newline`` is a line break and the indent of the line ``value`` is on.  The json
    module writes indented text in Python, a generator per container and a test per
    value; this writes the same text in fewer steps, for the values documents are made
    of: dicts with text keys, lists, tuples, text, whole numbers, finite floats, True,
    False and None, each of exactly that type.  For anything else (a subclass, NaN, a
    circular value, a key that is not text) it raises :class:`_NotPlain`, or
    ``TypeError`` where keys cannot be sorted, and the caller asks the json module.
    """
    kind = type(value)
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    if kind is dict:
        if not value:
            return "{}"
        if len(newline) > _MAX_INDENT:
            raise _NotPlain
        inner = newline + "  "
        members: list[str] = []
        add = members.append
        for key in sorted(value):  # keys of mixed types cannot be sorted: TypeError, and the json module's turn
            if type(key) is not str:
                raise _NotPlain
            item = value[key]
            if type(item) is str:
                add(_string(key) + ": " + _string(item))
            elif item is None:
                add(_string(key) + ": null")
            else:
                add(_string(key) + ": " + _encode(item, inner))
        return "{" + inner + ("," + inner).join(members) + newline + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        if len(newline) > _MAX_INDENT:
            raise _NotPlain
        inner = newline + "  "
        items = [_string(item) if type(item) is str else _encode(item, inner) for item in value]
        return "[" + inner + ("," + inner).join(items) + newline + "]"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):  # NaN and the infinities: the json module's words
        return float.__repr__(value)
    raise _NotPlain


def _members(data: dict[str, Any]) -> dict[str, str] | None:
    """Each key of a document's top level with its value, as :func:`dumps` writes them; None when it cannot."""
    if not data or any(type(key) is not str for key in data):
        return None
    try:
        return {key: _string(key) + ": " + _encode(value, "\n  ") for key, value in data.items()}
    except (_NotPlain, TypeError):
        return None


def _join(members: dict[str, str]) -> str:
    """The document of :func:`_members`: ``dumps`` of the dict they were made from."""
    return "{\n  " + ",\n  ".join([members[key] for key in sorted(members)]) + "\n}\n"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


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
    data = _body(result)
    members = _members(data)
    return _hash(dumps(data) if members is None else _join(members))


def batch_to_dict(result: BatchResult) -> dict[str, Any]:
    """The batch as a JSON-ready dict following ``schemas/batch.schema.json``."""
    return _document(result)[0]


def batch_to_json(result: BatchResult) -> str:
    """The batch's JSON text: :func:`dumps` of :func:`batch_to_dict`."""
    return _document(result)[1]


def _document(result: BatchResult) -> tuple[dict[str, Any], str]:
    """The batch's document with its fingerprint, and its text.

    The fingerprint hashes the text of the document without it; the document's text
    is that text with the fingerprint's line added in its place among the sorted keys.
    Each top-level value is written once, for both.
    """
    data = _body(result)
    members = _members(data)
    if members is None:
        data["fingerprint"] = _hash(dumps(data))
        return data, dumps(data)
    data["fingerprint"] = _hash(_join(members))
    members["fingerprint"] = _string("fingerprint") + ": " + _string(data["fingerprint"])
    return data, _join(members)


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


# --------------------------------------------------------------------------- reading a batch document back


def _read_q(text: Any, field: str) -> Quantity:
    """An amount as :func:`_q` wrote it, of whichever kind it is (mass, volume, count…)."""
    from ldn_compound.exceptions import DimensionError
    from ldn_compound.units import CONCENTRATION, COUNT_CAPSULE, MASS, MASS_FRACTION, VOLUME, parse_quantity

    error: Exception | None = None
    for kind in (MASS, VOLUME, CONCENTRATION, MASS_FRACTION, COUNT_CAPSULE):
        try:
            return parse_quantity(text, field, kind, positive=False)
        except DimensionError as failure:
            error = failure
    if str(text).strip().endswith(("drop", "drops", "click", "clicks", "tablet", "tablets")):
        from ldn_compound.units import Q_, to_decimal

        number, _, unit = str(text).strip().partition(" ")
        return Q_(to_decimal(number, field), unit.removesuffix("s"))
    assert error is not None
    raise error


def _opt_q(text: Any, field: str) -> Quantity | None:
    return None if text is None else _read_q(text, field)


def _read_fraction(text: Any, field: str) -> Any:
    from decimal import Decimal

    from ldn_compound.units import to_decimal

    if text is None:
        return None
    return to_decimal(str(text).removesuffix("%").strip(), field) / Decimal(100)


def batch_from_dict(
    data: dict[str, Any], formula: MasterFormula | None = None, formula_dirs: Iterable[str] = ()
) -> BatchResult:
    """Rebuild a :class:`~ldn_compound.model.BatchResult` from its document (``batch_to_dict``), without recalculating.

    The master formula is ``formula`` or the one with the document's id, which must be
    of the document's version.  ``batch_from_dict(batch_to_dict(r))`` gives a result
    whose document is the same.
    """
    import datetime as dt

    from ldn_compound.exceptions import InputError
    from ldn_compound.loader import load_formula
    from ldn_compound.model import (
        Balance,
        BatchWarning,
        BeyondUse,
        CapsuleFill,
        Lot,
        Override,
        Step,
        Strength,
        TabletSource,
        Weighing,
    )
    from ldn_compound.substances import salt_form

    if not isinstance(data, dict) or data.get("schema") != BATCH_SCHEMA:
        raise InputError("batch document", str(data)[:60], f"be a {BATCH_SCHEMA} document", code="invalid-document")
    try:
        info = data["formula"]
        if formula is None:
            formula = load_formula(info["id"], dirs=list(formula_dirs))
        if formula.id != info["id"] or formula.version != info["version"]:
            raise InputError(
                "formula",
                f"{formula.id} v{formula.version}",
                f"be {info['id']} v{info['version']}, the version the batch was made with",
                code="formula-version-mismatch",
            )
        order = [c.id for c in formula.components]

        def lot_of(line_id: str, value: dict[str, Any] | None) -> Lot | None:
            if value is None:
                return None
            expiry = value["expiry"]
            return Lot(
                component=line_id,
                lot=value["lot"],
                expiry=None if expiry is None else dt.date.fromisoformat(expiry),
                manufacturer=value["manufacturer"],
            )

        def aliquot(value: dict[str, Any] | None) -> AliquotPlan | None:
            if value is None:
                return None
            weigh = _read_q(value["weigh"], "aliquot weigh")
            dilute_to = _read_q(value["dilute_to"], "aliquot dilute_to")
            return AliquotPlan(
                method=value["method"],
                weigh=weigh,
                diluent=value["diluent"],
                dilute_to=dilute_to,
                take=_read_q(value["take"], "aliquot take"),
                holds=_read_q(value["holds"], "aliquot holds"),
                factor=_aliquot_factor(weigh, dilute_to, value),
                steps=tuple(value["steps"]),
                equipment=_aliquot_equipment(value),
            )

        lines = tuple(
            Ingredient(
                id=line["id"],
                name=line["name"],
                role=line["role"],
                amount=_read_q(line["amount"], "amount"),
                theoretical=_read_q(line["theoretical"], "theoretical"),
                overage=_read_q(line["overage"], "overage"),
                measure=line["measure"],
                basis=line["basis"],
                qs=line["qs"],
                tablets=line["tablets"],
                lot=lot_of(line["id"], line["lot"]),
                aliquot=aliquot(line["aliquot"]),
            )
            for line in data["ingredients"]
        )
        lots = tuple(
            sorted(
                (line.lot for line in lines if line.lot is not None),
                key=lambda lot: order.index(lot.component) if lot.component in order else len(order),
            )
        )
        src = data["source"]
        source: PowderSource | TabletSource
        if src["type"] == "powder":
            zero = _read_fraction("0", "zero")
            if src["assay"] is not None:
                source = PowderSource(
                    assay=_read_fraction(src["assay"], "assay"),
                    water=_read_fraction(src.get("water"), "water") or zero,
                    residual_solvent=_read_fraction(src.get("residual_solvent"), "residual solvent") or zero,
                    basis=src.get("basis"),
                    loss_on_drying=_read_fraction(src.get("loss_on_drying"), "loss on drying") or zero,
                )
            else:
                basis = src.get("basis")
                source = PowderSource(
                    potency=_read_fraction(src["potency"], "potency"), basis=None if basis == "as-is" else basis
                )
        else:
            text = src["tablet_strength"]
            basis_form = next(
                form
                for form in (salt_form("hcl-dihydrate"), salt_form("hcl"), salt_form("base"))
                if text.endswith(" " + form.short_name)
            )
            source = TabletSource(
                average_weight=_read_q(src["average_weight"], "tablet weight"),
                tablet_strength=Strength(
                    _read_q(text.removesuffix(" " + basis_form.short_name), "tablet strength"), basis_form
                ),
                product=src.get("product", ""),
                manufacturer=src.get("manufacturer", ""),
                weighed=src.get("weighed", 20),
            )
        bal = data["balance"]
        balance = Balance(
            readability=_read_q(bal["readability"], "balance readability"),
            repeatability=_opt_q(bal["repeatability"], "balance repeatability"),
        )
        minimum = _read_q(bal["minimum_weight"], "minimum weight")
        if format_amount(balance.minimum_weight) != bal["minimum_weight"]:
            balance = Balance(balance.readability, balance.repeatability, fixed_minimum=minimum)
        quantity = _read_q(data["quantity"], "quantity")
        cap = data["capsule"]
        capsule = None
        if cap is not None:
            fill_weight = _read_q(cap["fill_weight"], "fill weight")
            capsule = CapsuleFill(
                size=cap["size"],
                capacity=_read_q(cap["capacity"], "capacity"),
                capacity_basis="",
                active_per_capsule=_read_q(cap["active_per_capsule"], "active per capsule"),
                filler_per_capsule=_read_q(cap["filler_per_capsule"], "filler per capsule"),
                fill_weight=fill_weight,
                fill_low=_read_q(cap["fill_low"], "fill low"),
                fill_high=_read_q(cap["fill_high"], "fill high"),
                batch_weight=fill_weight * quantity.magnitude,
                shell_weight=_opt_q(cap.get("shell_weight"), "shell weight"),
                weight_basis=cap.get("weight_basis", "gross"),
                sampled=cap.get("sampled", 10),
            )
        bud = data["beyond_use"]
        dose = data["dose"]
        yields = data["yield_range"]
        strength = data["strength"]
        return BatchResult(
            formula=formula,
            strength=Strength(_read_q(strength["amount"], "strength"), salt_form(strength["basis"])),
            quantity=quantity,
            compounding_date=dt.date.fromisoformat(data["compounding_date"]),
            lot_number=data["lot_number"],
            ingredients=lines,
            beyond_use=BeyondUse(
                date=dt.date.fromisoformat(data["beyond_use_date"]),
                days=bud["days"],
                storage=bud["storage"],
                rule=bud["rule"],
                limited_by=bud["limited_by"] or "",
            ),
            balance=balance,
            source=source,
            overage=_read_fraction(data["overage"], "overage"),
            warnings=tuple(BatchWarning(w["code"], w["message"]) for w in data["warnings"]),
            trace=tuple(Step(s["step"], s["text"]) for s in data["trace"]),
            lots=lots,
            aliquot=aliquot(data["aliquot"]),
            capsule=capsule,
            overrides=tuple(Override(o["code"], o["reason"]) for o in data["overrides"]),
            theoretical_yield=_opt_q(data["theoretical_yield"], "theoretical yield"),
            yield_range=None
            if yields is None
            else (_read_q(yields[0], "yield range"), _read_q(yields[1], "yield range")),
            drops_per_ml=_drops_per_ml(data),
            dose=None if dose is None else Strength(_read_q(dose["amount"], "dose"), salt_form(dose["basis"])),
            dose_per_unit={unit: _read_q(text, "dose per unit") for unit, text in data["dose_per_unit"].items()},
            screening=_read_screening(data.get("screening")),
            weighings=tuple(
                Weighing(
                    what=w["what"],
                    line=w["line"],
                    amount=_read_q(w["amount"], "weighing"),
                    instrument=w["instrument"],
                    rule=w["rule"],
                    purpose=w["purpose"],
                    into_batch=w["into_batch"],
                    holds=tuple((line, _read_q(amount, "weighing holds")) for line, amount in w["holds"].items()),
                    aliquot=w["aliquot"],
                )
                for w in data.get("weighings", [])
            ),
            equipment=tuple(data.get("equipment", [])),
            procedure=tuple(data.get("procedure", [])),
            directions=_read_directions(data.get("directions")),
            daily_dose=None
            if data.get("daily_dose") is None
            else Strength(_read_q(data["daily_dose"]["amount"], "daily dose"), salt_form(data["daily_dose"]["basis"])),
            dispensed=_opt_q(data.get("dispensed"), "dispensed"),
            days_supply=data.get("days_supply"),
        )
    except (KeyError, TypeError, ValueError, StopIteration) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(
            "batch document", f"{type(error).__name__}: {error}", f"follow {BATCH_SCHEMA}", code="invalid-document"
        ) from None


def _read_directions(data: dict[str, Any] | None) -> Any:
    """The checked directions: read again from their English sentence, with their titration steps."""
    if data is None:
        return None
    import attrs

    from ldn_compound.directions import parse_directions
    from ldn_compound.model import TitrationStep

    directions = parse_directions(data["text"]) if data["text"] else None
    steps = tuple(TitrationStep(_read_q(step["dose"], "titration dose"), step["days"]) for step in data["titration"])
    return attrs.evolve(directions, titration=steps) if directions is not None else None


def _read_screening(data: dict[str, Any] | None) -> Any:
    """The co-medication screen as the document holds it (none in a document older than the screen)."""
    from ldn_compound.model import MedicineStatus, Override, ScreenedMedicine, Screening

    if data is None:
        return Screening()
    return Screening(
        medicines=tuple(
            ScreenedMedicine(
                given=m["given"],
                status=MedicineStatus(m["status"]),
                ingredients=tuple(m["ingredients"]),
                matched=tuple(m["matched"]),
                suggestions=tuple(m["suggestions"]),
                note=m["note"] or "",
            )
            for m in data["medicines"]
        ),
        overrides=tuple(Override(o["code"], o["reason"]) for o in data["overrides"]),
        list_version=data["list_version"] or "",
    )


def _aliquot_factor(weigh: Quantity, dilute_to: Quantity, value: dict[str, Any]) -> Any:
    """The dilution factor of an aliquot plan, worked back from the document.

    A trituration dilutes what is weighed ``factor`` times; a solution is made up to
    ``factor`` aliquots.
    """
    from decimal import Decimal

    ratio = dilute_to / (_read_q(value["take"], "aliquot take") if value["method"] == "solution" else weigh)
    factor = Decimal(ratio.to("dimensionless").magnitude)
    return factor.quantize(Decimal(1)) if factor == factor.to_integral_value() else factor.normalize()


def _aliquot_equipment(value: dict[str, Any]) -> tuple[str, ...]:
    """A stock solution's flask and pipette, as its steps name them (not in the document otherwise)."""
    import re

    text = " ".join(value["steps"])
    flask = re.search(r"\bin an? (\S+ \S+ volumetric flask)", text)
    pipette = re.search(r"\bwith an? (\S+ \S+ (?:volumetric|graduated) pipette)", text)
    return (flask.group(1), pipette.group(1)) if value["method"] == "solution" and flask and pipette else ()


def _drops_per_ml(data: dict[str, Any]) -> Any:
    """Drops per mL: the dose per mL over the dose per drop (sublingual drops only)."""
    per = data["dose_per_unit"]
    if data["formula"]["dosage_form"] != "sublingual-drops" or "drop" not in per or "mL" not in per:
        return None
    from decimal import Decimal

    per_ml = _read_q(per["mL"], "dose per mL").magnitude
    per_drop = _read_q(per["drop"], "dose per drop").magnitude
    return (Decimal(per_ml) / Decimal(per_drop)).normalize() if per_drop else None
