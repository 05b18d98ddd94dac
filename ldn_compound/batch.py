"""The batch calculation: from a master formula and a request to what to weigh and measure.

>>> result = calculate_batch("ldn-capsules", quantity=100, strength="4.5 mg", date="2026-03-01")
>>> [(i.id, i.describe_amount()) for i in result.ingredients]
[('naltrexone-hcl', '450 mg'), ('mcc', '22.55 g')]
>>> result.beyond_use_date.isoformat()
'2026-08-28'
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs

from ldn_compound import forms
from ldn_compound.bud import beyond_use, expiry_warnings, read_expiry
from ldn_compound.directions import (
    Directions,
    Dosing,
    Prescribed,
    amounts_in,
    check_prescribed,
    most_per_day,
    read_directions,
)
from ldn_compound.exceptions import (
    AliquotError,
    DimensionError,
    DoseLimitError,
    InputError,
    InputTypeError,
    QuantityError,
)
from ldn_compound.forms import capsules as capsule_math
from ldn_compound.model import (
    ASSAY_BASES,
    AliquotPlan,
    AmountKind,
    Balance,
    BatchResult,
    BatchWarning,
    BeyondUse,
    CapsuleFill,
    DosageForm,
    Ingredient,
    Lot,
    MasterFormula,
    Override,
    PowderSource,
    Screening,
    StabilityEvidence,
    Step,
    Strength,
    TabletSource,
    TitrationStep,
    Weighing,
    dosage_form_name,
)
from ldn_compound.safety import screen_medicines
from ldn_compound.settings import Settings, default_settings
from ldn_compound.substances import NALTREXONE_HCL, SaltForm, salt_form, substance
from ldn_compound.titration import parse_titration, titration_plan
from ldn_compound.units import (
    CONCENTRATION,
    MASS,
    VOLUME,
    NumberLike,
    Quantity,
    QuantityLike,
    divided,
    format_amount,
    format_number,
    magnitude,
    minus,
    new_quantity,
    parse_quantity,
    plus,
    round_to_step,
    scaled,
    sum_of,
    to_decimal,
)
from ldn_compound.weighing import (
    batch_weighings,
    measured_amount,
    procedure_steps,
    solution_plan,
    trituration_plan,
)

__all__ = ["PREVIEW_LOT", "calculate_batch", "parse_lot"]

#: The lot number of a batch that is not registered: a preview, never printed as a lot.
PREVIEW_LOT = "preview"

_log = logging.getLogger(__name__)


def _exact(quantity: Quantity) -> bool:
    value = quantity.magnitude
    return not (isinstance(value, Decimal) and len(value.normalize().as_tuple().digits) > 6)


def _amount(quantity: Quantity) -> str:
    """An intermediate amount for the trace: exact when short, else six significant figures."""
    return format_amount(quantity) if _exact(quantity) else format_amount(quantity, significant=6)


def _eq(quantity: Quantity) -> str:
    """``= 450 mg`` for an exact result, ``≈ 460.547 mg`` for one shown to six significant figures."""
    return ("= " if _exact(quantity) else "≈ ") + _amount(quantity)


def _percent(value: Decimal) -> str:
    return f"{format_number(value * 100, significant=6)} %"


def _read_percent(
    value: object,
    field: str,
    *,
    allow_zero: bool,
    maximum: Decimal = Decimal(1),
    minimum: Decimal | None = None,
    why: str = "",
) -> Decimal:
    """A percentage given as a number (``5``) or text (``"5"``, ``"5 %"``), returned as a fraction.

    With ``minimum`` the accepted range is ``minimum`` to ``maximum`` (both
    inclusive); ``why`` explains the range in the error message.
    """
    if isinstance(value, str):
        value = value.strip().removesuffix("%").strip()
    number = to_decimal(value, field)
    fraction = number / 100
    if minimum is not None:
        if not minimum <= fraction <= maximum:
            rule = f"be from {format_number(minimum * 100)} % to {format_number(maximum * 100)} %{why}"
            raise InputError(field, f"{format_number(number)} %", rule)
        return fraction
    low_ok = fraction >= 0 if allow_zero else fraction > 0
    if not low_ok or fraction > maximum:
        low = "at least 0 %" if allow_zero else "more than 0 %"
        raise InputError(field, f"{format_number(number)} %", f"be {low} and at most {format_number(maximum * 100)} %")
    return fraction


#: The dates accepted (compounding dates, lot expiries): a beyond-use date is always a real date after them.
_FIRST_DATE = dt.date(1900, 1, 1)
_LAST_DATE = dt.date(2999, 12, 31)


def _read_date(value: object, field: str = "date") -> dt.date:
    if value is None:
        return dt.date.today()
    date: dt.date | None = None
    if isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    elif isinstance(value, str) and len(value) <= 40:
        with contextlib.suppress(ValueError):
            date = dt.date.fromisoformat(value.strip())
    if date is None:
        raise InputError(field, value, "be a date written YYYY-MM-DD, e.g. 2026-03-01")
    if not _FIRST_DATE <= date <= _LAST_DATE:
        raise InputError(
            field,
            value,
            f"be a date from {_FIRST_DATE.isoformat()} to {_LAST_DATE.isoformat()}",
            code="date-out-of-range",
        )
    return date


def _check_types(arguments: Mapping[str, object]) -> None:
    """A wrong Python type for an argument is a :class:`TypeError` naming it (never a crash further on)."""
    expected: dict[str, tuple[tuple[type, ...], str]] = {
        "settings": ((Settings,), "a Settings"),
        "balance": ((Balance,), "a Balance (give text such as '0.1 mg' as balance_readability)"),
        "high_dose_reason": ((str,), "text"),
        "co_medication_reason": ((str,), "text"),
        "unclear_medicine_reason": ((str,), "text"),
        "capsule_size": ((str,), "text such as '0'"),
        "lot_number": ((str,), "text"),
        "stability": ((str, StabilityEvidence), "the id of stability evidence (text)"),
    }
    for name, (types, what) in expected.items():
        value = arguments[name]
        if value is not None and not isinstance(value, types):
            raise InputTypeError(name, value, what)
    lots = arguments["lots"]
    if isinstance(lots, str | bytes) or not isinstance(lots, Iterable | Mapping):
        raise InputTypeError("lots", lots, "a list of Lot or 'ID=LOT[:YYYY-MM-DD]' texts, or a mapping")
    medicines = arguments["other_medicines"]
    if not isinstance(medicines, str | Iterable) or isinstance(medicines, bytes):
        raise InputTypeError("other_medicines", medicines, "a list of texts (or one text)")
    dirs = arguments["formula_dirs"]
    if isinstance(dirs, str | bytes) or not isinstance(dirs, Iterable):
        raise InputTypeError("formula_dirs", dirs, "a list of folders")


def parse_lot(text: str) -> Lot:
    """Read ``ID=LOT`` or ``ID=LOT:EXPIRY`` (the command line's ``--lot``).

    The expiry is ``YYYY-MM-DD``, or ``YYYY-MM`` for the last day of that month.

    >>> parse_lot("naltrexone-hcl=NX2291:2027-06")
    Lot(component='naltrexone-hcl', lot='NX2291', expiry=datetime.date(2027, 6, 30), manufacturer='')
    """
    rule = "be ID=LOT or ID=LOT:YYYY-MM-DD (or YYYY-MM), e.g. naltrexone-hcl=NX2291:2027-06-30"
    component, sep, rest = str(text).partition("=")
    if not sep or not component.strip() or not rest.strip():
        raise InputError("lot", text, rule)
    lot, colon, expiry = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if colon and not lot.strip():
        raise InputError("lot", text, rule)
    date = read_expiry(expiry, f"lot {component.strip()} expiry") if colon else None
    return Lot(component=component.strip(), lot=lot.strip(), expiry=date)


def _lot_from_mapping(component: str, value: object) -> Lot:
    """A lot from ``{"lot": ..., "expiry": ..., "manufacturer": ...}`` or plain lot text."""
    if not isinstance(value, Mapping):
        return Lot(component=component, lot=str(value))
    unknown = sorted(set(value) - {"lot", "expiry", "manufacturer"})
    if unknown or "lot" not in value:
        raise InputError(f"lot {component}", dict(value), "have 'lot' and optionally 'expiry' and 'manufacturer'")
    expiry = value.get("expiry")
    return Lot(
        component=component,
        lot=str(value["lot"]),
        expiry=None if expiry is None else read_expiry(expiry, f"lot {component} expiry"),
        manufacturer=str(value.get("manufacturer", "")),
    )


def _read_lots(formula: MasterFormula, lots: Iterable[Lot | str] | Mapping[str, Any]) -> tuple[Lot, ...]:
    items: list[Lot] = []
    if isinstance(lots, Mapping):
        lots = [_lot_from_mapping(k, v) for k, v in lots.items()]
    for item in lots:
        lot = parse_lot(item) if isinstance(item, str) else item
        if not isinstance(lot, Lot):
            raise InputError("lot", item, "be a Lot or text ID=LOT[:YYYY-MM-DD]")
        known = [c.id for c in formula.components]
        if lot.component not in known:
            raise InputError("lot", lot.component, f"name a component of {formula.id}: {', '.join(known)}")
        if any(existing.component == lot.component for existing in items):
            raise InputError("lot", lot.component, "be given once per component")
        items.append(lot)
    return tuple(sorted(items, key=lambda lot: [c.id for c in formula.components].index(lot.component)))


def _read_strength(formula: MasterFormula, strength: object, basis: object) -> Strength:
    form = formula.dosage_form
    rng = formula.strength
    chosen = salt_form(basis, "strength basis") if basis is not None else rng.basis  # type: ignore[arg-type]
    if strength is None:
        return Strength(rng.default, rng.basis).to_basis(chosen)
    value = strength
    if form is DosageForm.CAPSULES and isinstance(strength, str) and "/" in strength:
        # "4.5 mg/capsule" is a mass per capsule
        head, _, tail = strength.partition("/")
        if tail.strip().lower().rstrip("s") in {"capsule", "cap"}:
            value = head
    try:
        amount = parse_quantity(value, "strength", form.strength_kind)
    except DimensionError as error:
        raise DimensionError("strength", strength, form.strength_rule, error.got) from None
    result = Strength(amount, chosen)
    in_range = result.to_basis(rng.basis).amount
    if not rng.contains(in_range):
        raise InputError("strength", strength, f"be within the formula's range, {rng.describe()}")
    return result


def _read_tablets(tablet_weight: object, product: object, manufacturer: object, *, settings: Settings) -> TabletSource:
    weight = parse_quantity(tablet_weight, "tablet weight", MASS)
    if weight < new_quantity(Decimal(50), "mg"):
        raise QuantityError("tablet weight", tablet_weight, "be at least the 50 mg of naltrexone HCl a tablet holds")
    if weight > new_quantity(Decimal(2000), "mg"):
        raise QuantityError("tablet weight", tablet_weight, "be at most 2 g (the average weight of one tablet)")
    texts = {}
    for field, value in (("tablet product", product), ("tablet manufacturer", manufacturer)):
        text = "" if value is None else str(value).strip()
        if value is not None and (not text or len(text) > 120 or not text.isprintable()):
            raise InputError(field, value, "be 1 to 120 printable characters (e.g. an NDC and the product name)")
        texts[field] = text
    return TabletSource(
        average_weight=weight,
        product=texts["tablet product"],
        manufacturer=texts["tablet manufacturer"],
        weighed=settings.tablets_weighed,
    )


def _read_source(
    potency: object,
    assay: object,
    water: object,
    residual_solvent: object,
    tablet_weight: object,
    *,
    settings: Settings,
    assay_basis: object = None,
    loss_on_drying: object = None,
    tablet_product: object = None,
    tablet_manufacturer: object = None,
) -> PowderSource | TabletSource:
    if tablet_weight is not None:
        if potency is not None or assay is not None:
            raise InputError("tablets", tablet_weight, "not be combined with a powder potency or assay")
        return _read_tablets(tablet_weight, tablet_product, tablet_manufacturer, settings=settings)
    for field, value in (("tablet product", tablet_product), ("tablet manufacturer", tablet_manufacturer)):
        if value is not None:
            raise InputError(field, value, "be given only with the tablets' average weight (crushed tablets)")
    if potency is not None and assay is not None:
        raise InputError("potency", potency, "not be given together with an assay")
    basis = None if assay_basis is None else str(assay_basis).strip().lower()
    if basis is not None and basis not in ASSAY_BASES:
        raise InputError("assay basis", assay_basis, f"be one of {', '.join(ASSAY_BASES)}")
    if assay is None and basis is not None:
        raise InputError("assay basis", assay_basis, "be given with an assay")
    if assay is not None and basis is None:
        raise InputError(
            "assay basis",
            None,
            f"be given with an assay: {', '.join(ASSAY_BASES)} (the basis the certificate of analysis states the "
            "assay on)",
            code="assay-basis-missing",
        )
    if basis != "anhydrous" and (water is not None or residual_solvent is not None):
        field, value = ("water", water) if water is not None else ("residual solvent", residual_solvent)
        rule = (
            "be given with an assay"
            if assay is None
            else f"be given only with an anhydrous-basis assay (a {basis} assay already counts it)"
        )
        raise InputError(field, value, rule)
    if basis == "anhydrous" and water is None:
        raise InputError(
            "water",
            None,
            "be given with an anhydrous-basis assay (the Karl Fischer water of the certificate, 0 if none; for a "
            "hydrate it includes the water of hydration)",
            code="water-missing",
        )
    if loss_on_drying is not None and basis != "dried":
        raise InputError("loss on drying", loss_on_drying, "be given only with a dried-basis assay")
    if basis == "dried" and loss_on_drying is None:
        raise InputError(
            "loss on drying", None, "be given with a dried-basis assay (0 if none)", code="loss-on-drying-missing"
        )
    low, high = settings.potency_range
    a_low, a_high = settings.assay_range
    as_is = basis == "as-is"
    return PowderSource(
        potency=None
        if potency is None
        else _read_percent(
            potency,
            "potency",
            allow_zero=False,
            minimum=low,
            maximum=high,
            why=" (the as-is potency from the certificate of analysis, in percent, e.g. 97.71)",
        ),
        assay=None
        if assay is None
        else _read_percent(
            assay,
            "assay",
            allow_zero=False,
            minimum=low if as_is else a_low,
            maximum=high if as_is else a_high,
            why=" (the as-is potency accepted)"
            if as_is
            else " (the USP limits for naltrexone hydrochloride on the anhydrous basis)",
        ),
        water=Decimal(0)
        if water is None
        else _read_percent(water, "water", allow_zero=True, maximum=settings.max_water),
        residual_solvent=Decimal(0)
        if residual_solvent is None
        else _read_percent(residual_solvent, "residual solvent", allow_zero=True, maximum=settings.max_water),
        basis=basis,
        loss_on_drying=Decimal(0)
        if loss_on_drying is None
        else _read_percent(loss_on_drying, "loss on drying", allow_zero=True, maximum=settings.max_water),
    )


def _read_balance(balance: Balance | None, readability: object, repeatability: object, settings: Settings) -> Balance:
    if balance is not None:
        return balance
    d = (
        settings.default_readability
        if readability is None
        else parse_quantity(readability, "balance readability", MASS)
    )
    if d > new_quantity(Decimal(10), "mg"):
        raise QuantityError(
            "balance readability", readability, "be at most 10 mg (a balance fit for LDN reads 0.1 mg or 1 mg)"
        )
    s = None if repeatability is None else parse_quantity(repeatability, "balance repeatability", MASS)
    return Balance(readability=d, repeatability=s)


def _read_evidence(formula: MasterFormula, stability: object) -> StabilityEvidence | None:
    if stability is None:
        return None
    if isinstance(stability, StabilityEvidence):
        return stability
    for evidence in formula.stability:
        if evidence.id == stability:
            return evidence
    known = ", ".join(e.id for e in formula.stability) or "none"
    raise InputError("stability", stability, f"name stability evidence of {formula.id} (known: {known})")


@attrs.define
class _Work:
    """The builder of one batch: steps and warnings in the order they arise."""

    steps: list[Step] = attrs.field(factory=list)
    warnings: list[BatchWarning] = attrs.field(factory=list)
    overrides: list[Override] = attrs.field(factory=list)

    def step(self, title: str, text: str) -> None:
        self.steps.append(Step(title, text))

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(BatchWarning(code, message))


def _check_dose(
    work: _Work,
    dose: Strength | None,
    settings: Settings,
    high_dose_reason: str | None,
    *,
    field: str = "dose",
    shown: str | None = None,
) -> None:
    """Hold a dose to the limits: warn above the usual, refuse above the maximum without a reason.

    ``field`` names where the dose came from (``"dose"`` or ``"directions"``); ``shown``
    is how the dose is printed (default: the dose with its basis).
    """
    if dose is None:
        return
    hcl = dose.to_basis(NALTREXONE_HCL).amount
    shown = shown or dose.describe(significant=6)
    if hcl > settings.dose_limit:
        if not high_dose_reason or not high_dose_reason.strip():
            raise DoseLimitError(
                field,
                shown,
                f"be at most {format_amount(settings.dose_limit)} naltrexone HCl for low-dose naltrexone, "
                + (f"but they give {shown}, " if field == "directions" else "")
                + "unless overridden with a reason",
            )
        work.overrides.append(Override("dose-above-limit", high_dose_reason.strip()))
        work.warn(
            "dose-above-limit",
            f"dose {shown} is above the {format_amount(settings.dose_limit)} low-dose limit; "
            f"overridden: {high_dose_reason.strip()}",
        )
    elif hcl > settings.dose_warning:
        work.warn(
            "dose-above-usual",
            f"dose {shown} is above the usual maximum of {format_amount(settings.dose_warning)} naltrexone HCl",
        )


def _check_medicines(
    work: _Work,
    medicines: Iterable[str],
    reason: str | None,
    unclear_reason: str | None,
    settings: Settings,
) -> Screening:
    screening = screen_medicines(
        medicines, co_medication_reason=reason, unclear_medicine_reason=unclear_reason, settings=settings
    )
    for override in screening.overrides:
        work.overrides.append(override)
        if override.code == "opioid-co-medication":
            names = ", ".join(screening.opioids)
            work.warn(override.code, f"opioid co-medication ({names}) overridden: {override.reason}")
        else:
            names = ", ".join(m.describe() for m in screening.unclear)
            work.warn(override.code, f"medicine name not recognised exactly ({names}) accepted: {override.reason}")
    for note in screening.notes:
        work.warn("co-medication-note", note)
    return screening


def _tablet_content(source: TabletSource) -> Callable[[Quantity], str]:
    """What an amount of tablet powder holds: ``"4.091 mg naltrexone HCl"``."""

    def content(powder: Quantity) -> str:
        return f"holds {format_amount(source.holds(powder), significant=4)} {source.tablet_strength.basis.short_name}"

    return content


def _stock_limit(line: Ingredient, settings: Settings) -> tuple[Quantity, str]:
    """The strongest stock solution of ``line``'s substance, and why."""
    data = substance(line.id)
    if data.solubility is None:
        return settings.max_stock_concentration, "the site's limit for a substance of unknown solubility"
    limit = scaled(data.solubility, settings.stock_solubility_fraction)
    share = format_number(settings.stock_solubility_fraction * 100)
    return limit, f"{share} % of its solubility in water, {format_amount(data.solubility)} ({data.source})"


def _plan_aliquots(
    work: _Work,
    form: DosageForm,
    lines: list[Ingredient],
    *,
    active_exact: Quantity,
    source: PowderSource | TabletSource,
    minimum: Quantity,
    made: Quantity,
    readability: Quantity,
    settings: Settings,
    aqueous_phase: str = "",
) -> list[Ingredient]:
    """Give every weighed line below the minimum weight an aliquot plan (the active first).

    Solids in capsules and creams are triturated with the filler or base; those in
    liquids are dissolved in the vehicle, and in a cream whose formula names an
    ``aqueous_phase`` in that (a stock solution whose aliquot fits in it), else
    triturated in the base with a warning.  Liquids are measured, never triturated.  Each plan takes from what the earlier ones
    left: the diluent still to add, or the volume still free (after the liquids
    measured by volume).  The active is planned from the exact amount needed, not
    the amount rounded for direct weighing, so the aliquot holds the dose.
    """
    liquid = form in (DosageForm.ORAL_LIQUID, DosageForm.SUBLINGUAL_DROPS)
    diluent_index = next((i for i, line in enumerate(lines) if line.role in {"filler", "base"}), None)
    vehicle = next((line for line in lines if line.qs), None)
    measured = sum_of((line.amount for line in lines if line.measure == "measure"), new_quantity(Decimal(0), "mL"))
    free_volume = minus(made, measured) if liquid else new_quantity(Decimal(0), "mL")
    aqueous = next((line for line in lines if aqueous_phase and line.id == aqueous_phase), None)
    if aqueous is not None and not liquid:
        free_volume = aqueous.amount if aqueous.measure == "measure" else new_quantity(Decimal(0), "mL")
    diluent_left = None if diluent_index is None else lines[diluent_index].amount
    out = list(lines)
    for index, line in enumerate(lines):
        if index == diluent_index and line.amount < minimum:
            work.warn(
                "below-minimum-weight",
                f"{line.name}: {format_amount(line.amount)} is below the balance's minimum weight "
                f"{format_amount(minimum)}; make a larger batch or use a finer balance",
            )
        if line.measure != "weigh" or line.amount >= minimum or index == diluent_index:
            continue
        is_active = line.role == "active"
        content = _tablet_content(source) if is_active and isinstance(source, TabletSource) else None
        tablet_powder = content is not None
        what = "tablet powder" if tablet_powder else "the active" if is_active else line.name
        needed = active_exact if is_active else line.amount
        solvent = vehicle if liquid else aqueous
        in_solution = solvent is not None and not (is_active and isinstance(source, TabletSource))
        if liquid and not in_solution:
            raise AliquotError(
                "aliquot",
                format_amount(needed),
                "not be a stock 'solution' of crushed tablets: the tablet excipients do not dissolve; "
                "make a larger batch, use a finer balance, or use naltrexone HCl powder",
            )
        plan: AliquotPlan | None = None
        if in_solution:
            assert solvent is not None
            limit, reason = _stock_limit(line, settings)
            try:
                plan = solution_plan(
                    needed,
                    minimum,
                    solvent.name,
                    what=what,
                    final_volume=free_volume,
                    max_concentration=limit,
                    flasks=settings.volumetric_flasks,
                    pipettes=settings.volumetric_pipettes,
                    pipette_resolution=settings.pipette_resolution,
                    readability=readability,
                    limit_reason=reason,
                )
            except AliquotError as error:
                if liquid:
                    raise
                work.warn(
                    "aliquot-in-base",
                    f"{line.name} is triturated in the "
                    f"{lines[diluent_index].name if diluent_index is not None else 'base'}: it cannot {error.rule}",
                )
        if plan is not None:
            free_volume = minus(free_volume, plan.take)
        else:
            if diluent_index is None or diluent_left is None:  # pragma: no cover - a filler or base is required
                raise AliquotError("aliquot", line.name, "have a filler or base to triturate with")
            plan = trituration_plan(
                needed,
                minimum,
                lines[diluent_index].name,
                diluent_left,
                settings.dilution_factors,
                what=what,
                readability=readability,
                content=content,
            )
            diluent_left = minus(diluent_left, minus(plan.take, plan.holds))
        planned = attrs.evolve(line, aliquot=plan)
        if is_active:
            tablets = line.tablets
            if tablets is not None and isinstance(source, TabletSource):
                # crush enough tablets for the weighing the plan asks for, not only for the dose
                tablets = max(tablets, math.ceil(magnitude(plan.weigh, "mg") / magnitude(source.average_weight, "mg")))
                if tablets != line.tablets:
                    work.step(
                        "Tablets",
                        f"crush {tablets} tablets, not {line.tablets}: the aliquot weighs {format_amount(plan.weigh)} "
                        f"of powder ({format_amount(source.average_weight)} per tablet)",
                    )
            if line.overage.magnitude == 0:
                theoretical = plan.holds
            else:  # the same share of the aliquot as of the amount, to 0.1 mcg
                share = line.theoretical / line.amount
                theoretical = new_quantity(round_to_step(magnitude(plan.holds * share, "mg"), Decimal("0.0001")), "mg")
            planned = attrs.evolve(
                planned,
                amount=plan.holds,
                theoretical=theoretical,
                overage=minus(plan.holds, theoretical),
                tablets=tablets,
            )
        out[index] = planned
        if plan.method == "solution":  # planned above, with this line's limit and reason
            taken = f"take {format_amount(plan.take)} with a {plan.equipment[1]}"
            made_up = (
                f"make up to {format_amount(plan.dilute_to)} in a {plan.equipment[0]} "
                f"(at most {format_amount(limit)}: {reason})"
            )
        else:
            taken = f"take {format_amount(plan.take)} (rounded to the balance readability {format_amount(readability)})"
            made_up = f"dilute to {format_amount(plan.dilute_to)}"
        work.step(
            "Aliquot",
            f"{'tablet powder' if tablet_powder else line.name}: {_amount(needed)} is below the minimum weight "
            f"{format_amount(minimum)}: weigh {format_amount(plan.weigh)}, {made_up}, {taken}, "
            f"which holds {format_amount(plan.holds)}"
            + (f" of tablet powder ({content(plan.holds)})" if content else ""),
        )
    return out


# ---------------------------------------------------------------------------
def _read_titration(titration: str | Sequence[TitrationStep] | None) -> tuple[TitrationStep, ...]:
    if titration is None:
        return ()
    if isinstance(titration, str):
        return parse_titration(titration)
    steps = tuple(titration)
    if not all(isinstance(step, TitrationStep) for step in steps):
        raise InputError("titration", titration, "be text or TitrationStep values")
    return steps


#: Directions faults that ``directions_unchecked`` (a reason) lets through: text not read, or no dose stated.
_UNCHECKABLE = frozenset({"unreadable-directions", "directions-without-dose", "directions-too-long"})


def _unchecked_dose(
    dosing: Dosing, text: str, dose: Quantity | None, steps: Sequence[TitrationStep], settings: Settings
) -> tuple[Quantity | None, bool]:
    """The dose of directions printed unchecked: every amount they state is held to the dose.

    Each amount with a unit in ``text`` (capsules, mL, drops, clicks, mg …) is turned
    into a dose; each must be the ``dose`` given, or a step of the titration.  Without
    either, the text must state one dose, which becomes the dose (and is checked
    like one); text that states no amount needs a dose or a titration, never a
    made-up one.  Returns the dose and whether it came from the text.
    """
    shown = " ".join(text.split())
    doses: list[tuple[Decimal, str]] = []
    for amount, unit in amounts_in(text, settings=settings):
        mg = dosing.mg_of(amount, unit)
        if mg is None or mg <= 0:
            raise InputError(
                "directions",
                shown,
                f"state amounts of {dosing.form.display_name} (capsules, mL, drops, clicks or mg) that can be worked "
                f"out as a dose: {format_number(amount)} {unit} cannot; give --sig codes",
                code="directions-wrong-unit",
            )
        counted = unit in ("capsule", "drop", "click") and amount != 1
        doses.append((mg, f"{format_number(amount)} {unit}{'s' if counted else ''}"))
    basis = dosing.strength.basis
    if not doses:
        if dose is None and not steps:
            raise InputError(
                "directions",
                shown,
                "state an amount ldn_compound can read (e.g. '2 capsules', '4.5 mL', '4.5 mg') or come with a dose "
                "or a titration schedule, so the dose limits are checked",
                code="directions-without-dose",
            )
        return dose, False
    if dose is not None:
        given = magnitude(dose, "mg")
        for mg, said in doses:
            if mg != given:
                raise InputError(
                    "directions",
                    shown,
                    f"agree with the dose: the directions say {said} = {Strength(new_quantity(mg, 'mg'), basis).describe(significant=6)}, "
                    f"the dose says {Strength(dose, basis).describe(significant=6)}",
                    code="dose-disagreement",
                )
        return dose, False
    if steps:
        allowed = {magnitude(step.dose, "mg") for step in steps}
        for mg, said in doses:
            if mg not in allowed:
                raise InputError(
                    "directions",
                    shown,
                    f"agree with the titration: the directions say {said} = "
                    f"{Strength(new_quantity(mg, 'mg'), basis).describe(significant=6)}, which is no step of it",
                    code="dose-disagreement",
                )
        return None, False
    if len({mg for mg, _ in doses}) > 1:
        raise InputError(
            "directions",
            shown,
            f"state one dose ({', '.join(said for _, said in doses)} differ): give a titration schedule, or sig codes",
            code="dose-disagreement",
        )
    stated = new_quantity(doses[0][0], "mg")
    dosing.measure(stated, "directions")
    return stated, True


def _timing_words(prescribed: Prescribed) -> str:
    """How often the dose is taken: the directions' timing, or ``3 times a day`` for text not read."""
    if prescribed.directions is not None:
        return prescribed.directions.timing.en
    assert prescribed.daily_dose is not None
    assert prescribed.dose is not None
    times = prescribed.daily_dose.amount / prescribed.dose.amount
    return f"{format_number(magnitude(times, ''))} times a day"


def _check_prescribed(work: _Work, inputs: BatchInputs) -> Prescribed:
    """Read and check the directions, dose, titration and dispensed quantity (see :func:`check_prescribed`).

    Directions that cannot be read, or that state no dose, go ahead only with
    ``directions_unchecked`` (a reason), which is recorded as an override.
    """
    formula, settings, steps = inputs.formula, inputs.settings, inputs.titration
    topical = formula.topical
    dosing = Dosing(
        form=inputs.form,
        strength=inputs.strength,
        drops_per_ml=inputs.drops_per_ml,
        click_volume=None if topical is None else topical.click_volume,
        density=None if topical is None else topical.density,
        graduation=settings.syringe_graduation,
        density_range=settings.cream_density_range,
    )
    directions, reason = inputs.directions, inputs.directions_unchecked or ""
    dose = None if inputs.dose is None else inputs.dose.amount
    read: Directions | None = None
    from_text = False
    if directions is not None:
        try:
            read = read_directions(directions, settings=settings)
            if read.amount is None and dose is None and not (steps or read.titration):
                check_prescribed(dosing, directions=read, dose=None, quantity=inputs.quantity)  # raises: no dose
        except InputError as error:
            if not reason or error.code not in _UNCHECKABLE:
                raise
            read = None
            dose, from_text = _unchecked_dose(dosing, str(directions), dose, steps, settings)
            work.overrides.append(Override("directions-unchecked", reason))
            work.warn(
                "directions-unchecked",
                f"directions {str(directions)!r} were not read ({error.code}); overridden: {reason}; every amount "
                "they state was held to the dose",
            )
        else:
            if reason:
                raise InputError(
                    "directions unchecked",
                    reason,
                    "be given only for directions that cannot be read or state no dose (these can be checked)",
                    code="override-without-check",
                )
    prescribed = check_prescribed(
        dosing, directions=read, dose=dose, titration=steps, dispensed=inputs.dispensed, quantity=inputs.quantity
    )
    if from_text:
        prescribed = attrs.evolve(prescribed, dose_field="directions")
    times = None if read is not None or directions is None else most_per_day(str(directions), settings=settings)
    if times is not None and prescribed.dose is not None:  # unread text that names a timing: its daily dose too
        prescribed = attrs.evolve(
            prescribed, daily_dose=Strength(prescribed.dose.amount * times, prescribed.dose.basis)
        )
    for note in prescribed.notes:
        work.step("Directions", note)
    work.warnings.extend(prescribed.warnings)
    if prescribed.directions is not None:
        work.step("Directions", prescribed.directions.text())
        if prescribed.directions.per_day is None and prescribed.dose is not None:
            work.warn(
                "daily-dose-unchecked",
                f"the directions ({prescribed.directions.timing.en}) state no number of doses a day: "
                "only the dose per administration was checked",
            )
    daily, per_dose = prescribed.daily_dose, prescribed.dose
    if daily is not None and per_dose is not None and daily != per_dose:
        timing = _timing_words(prescribed)
        work.step("Daily dose", f"{per_dose.describe(significant=6)} {timing} = {daily.describe(significant=6)} a day")
    return prescribed


def _days_supply(
    prescribed: Prescribed, bud: BeyondUse, start: dt.date
) -> tuple[tuple[Step, ...], tuple[BatchWarning, ...]]:
    """The days' supply as a trace step, and a warning when its last day of use is after the beyond-use date.

    The first dose is taken on ``start`` (the compounding date), so the last is
    ``start + days - 1``; a last dose on the beyond-use date itself is within it.
    """
    days = prescribed.days_supply
    if days is None:
        return (), ()
    last = start + dt.timedelta(days=max(days, 1) - 1)
    plural = "s" if days != 1 else ""
    step = Step("Days' supply", f"{days} day{plural}, {start.isoformat()} to {last.isoformat()}")
    if last <= bud.date:
        return (step,), ()
    warning = BatchWarning(
        "days-supply-beyond-bud",
        f"the quantity lasts {days} day{plural} on these directions, from {start.isoformat()} to "
        f"{last.isoformat()}, after the beyond-use date {bud.date.isoformat()}: the patient would use it after "
        "that date; dispense less",
    )
    return (step,), (warning,)


# The stages of a batch.  Each reads what the earlier ones made and returns a
# frozen value; :func:`calculate_batch` runs them in order.


@attrs.frozen
class BatchInputs:
    """Every argument of :func:`calculate_batch`, read and validated."""

    formula: MasterFormula
    strength: Strength
    quantity: Quantity
    overage: Decimal
    made: Quantity  # the quantity made: ``quantity × (1 + overage)``
    date: dt.date
    source: PowderSource | TabletSource
    balance: Balance
    lots: tuple[Lot, ...]
    evidence: StabilityEvidence | None
    settings: Settings
    capsule_size: str | None = None
    packing: Quantity | None = None
    bulk_density: Quantity | None = None
    drops_per_ml: Decimal | None = None  # sublingual drops only
    dose: Strength | None = None  # one administration, as given
    directions: Directions | str | None = None  # as given: a value, sig codes or English
    directions_unchecked: str | None = None  # the reason to go ahead with directions that cannot be checked
    titration: tuple[TitrationStep, ...] = ()
    dispensed: Quantity | None = None  # given to the patient; None: the batch
    high_dose_reason: str | None = None
    other_medicines: tuple[str, ...] = ()
    co_medication_reason: str | None = None
    unclear_medicine_reason: str | None = None
    lot_number: str | None = None

    @property
    def form(self) -> DosageForm:
        return self.formula.dosage_form

    @property
    def arithmetic(self) -> ModuleType:
        return forms.for_dosage_form(self.form)

    def weigh_round(self, amount: Quantity) -> Quantity:
        """``amount`` rounded (half up) to the balance's readability, in mg."""
        return new_quantity(round_to_step(magnitude(amount, "mg"), magnitude(self.balance.readability, "mg")), "mg")


@attrs.frozen
class Checks:
    """The dose and co-medication checks: the dose checked, and what they warned and overrode.

    ``prescribed`` holds what the directions, dose, titration and dispensed quantity say
    together (:class:`~ldn_compound.directions.Prescribed`).
    """

    dose: Strength | None
    warnings: tuple[BatchWarning, ...] = ()
    overrides: tuple[Override, ...] = ()
    prescribed: Prescribed | None = None  # the directions, daily dose, dispensed quantity and days' supply
    steps: tuple[Step, ...] = ()
    screening: Screening = attrs.field(factory=Screening)


@attrs.frozen
class Active:
    """The active: per unit in its own salt form, the batch total, and the powder to weigh."""

    line: Ingredient
    per_unit: Strength
    exact: Quantity  # the powder needed, with the overage, unrounded
    theory: Quantity  # the powder needed without the overage, unrounded
    steps: tuple[Step, ...] = ()
    warnings: tuple[BatchWarning, ...] = ()


@attrs.frozen
class Excipients:
    """Every line of the batch (the active first) and the capsule fill."""

    lines: tuple[Ingredient, ...]
    capsule: CapsuleFill | None = None
    steps: tuple[Step, ...] = ()


@attrs.frozen
class Weighings:
    """The lines as weighed: below the minimum weight, with an aliquot plan."""

    lines: tuple[Ingredient, ...]
    aliquot: AliquotPlan | None
    weighings: tuple[Weighing, ...] = ()  # every weighing and measurement, in the order it is done
    equipment: tuple[str, ...] = ()  # measuring equipment the weighings need beyond the formula's list
    steps: tuple[Step, ...] = ()
    warnings: tuple[BatchWarning, ...] = ()
    active_dissolves: bool = True  # a cream's active in its aqueous phase (else levigated to a paste)


@attrs.frozen
class PerUnit:
    """The dose one unit delivers (a mL, a drop, a pump click) and the theoretical yield."""

    dose_per_unit: Mapping[str, Quantity]
    drops_per_ml: Decimal | None
    theoretical_yield: Quantity
    steps: tuple[Step, ...] = ()


@attrs.frozen
class Dates:
    """The beyond-use date and how it was found."""

    beyond_use: BeyondUse
    steps: tuple[Step, ...] = ()
    warnings: tuple[BatchWarning, ...] = ()


def read_inputs(
    formula: MasterFormula,
    *,
    quantity: object,
    strength: object = None,
    strength_basis: object = None,
    date: object = None,
    overage: object = 0,
    potency: object = None,
    assay: object = None,
    water: object = None,
    residual_solvent: object = None,
    tablet_weight: object = None,
    assay_basis: object = None,
    loss_on_drying: object = None,
    tablet_product: object = None,
    tablet_manufacturer: object = None,
    balance: Balance | None = None,
    balance_readability: object = None,
    balance_repeatability: object = None,
    lots: Iterable[Lot | str] | Mapping[str, Any] = (),
    capsule_size: str | None = None,
    packing: object = None,
    bulk_density: object = None,
    drops_per_ml: object = None,
    dose: object = None,
    directions: Directions | str | None = None,
    directions_unchecked: str | None = None,
    titration: str | Sequence[TitrationStep] | None = None,
    dispense: object = None,
    high_dose_reason: str | None = None,
    other_medicines: Iterable[str] = (),
    co_medication_reason: str | None = None,
    unclear_medicine_reason: str | None = None,
    stability: str | StabilityEvidence | None = None,
    lot_number: str | None = None,
    settings: Settings,
) -> BatchInputs:
    """Read and validate every argument of :func:`calculate_batch` (same names, same rules)."""
    form = formula.dosage_form
    strength_obj = _read_strength(formula, strength, strength_basis)
    qty: Quantity = forms.for_dosage_form(form).read_quantity(quantity, settings)
    over = _read_percent(overage, "overage", allow_zero=True, maximum=settings.max_overage)
    day = _read_date(date)
    source = _read_source(
        potency,
        assay,
        water,
        residual_solvent,
        tablet_weight,
        settings=settings,
        assay_basis=assay_basis,
        loss_on_drying=loss_on_drying,
        tablet_product=tablet_product,
        tablet_manufacturer=tablet_manufacturer,
    )
    scale = _read_balance(balance, balance_readability, balance_repeatability, settings)
    lot_list = _read_lots(formula, lots)
    evidence = _read_evidence(formula, stability)
    given_dose = None if dose is None else Strength(parse_quantity(dose, "dose", MASS), strength_obj.basis)
    fills = any(c.amount.kind is AmountKind.FILL for c in formula.components)
    per_ml: Decimal | None = None
    if form is DosageForm.SUBLINGUAL_DROPS:
        assert formula.drops is not None
        per_ml = formula.drops.drops_per_ml if drops_per_ml is None else to_decimal(drops_per_ml, "drops per mL")
        if not Decimal(5) <= per_ml <= Decimal(60):
            raise InputError("drops per mL", drops_per_ml, "be a calibrated dropper's drops per mL, from 5 to 60")
    if lot_number is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}", str(lot_number)):
        raise InputError("lot number", lot_number, "be 1 to 40 letters, digits, '.', '_', '/' or '-'")
    steps = _read_titration(titration)
    if steps and form not in (DosageForm.ORAL_LIQUID, DosageForm.SUBLINGUAL_DROPS):
        raise InputError(
            "titration", form.value, "be for an oral liquid or sublingual drops (a dose measured by the patient)"
        )
    reason = None if directions_unchecked is None else directions_unchecked.strip()
    if directions_unchecked is not None and not reason:
        raise InputError("directions unchecked", directions_unchecked, "give the reason", code="reason-missing")
    if reason and directions is None:
        raise InputError("directions unchecked", reason, "go with directions", code="override-without-check")
    dispensed: Quantity | None = None
    if dispense is not None:
        try:
            dispensed = forms.for_dosage_form(form).read_quantity(dispense, settings)
        except InputError as error:
            raise InputError("dispensed quantity", dispense, error.rule, code=error.code) from None
        if dispensed > qty:
            raise InputError(
                "dispensed quantity",
                dispense,
                f"be at most the batch, {format_amount(qty)}",
                code="dispense-above-batch",
            )
    return BatchInputs(
        formula=formula,
        strength=strength_obj,
        quantity=qty,
        overage=over,
        made=scaled(qty, 1 + over),
        date=day,
        source=source,
        balance=scale,
        lots=lot_list,
        evidence=evidence,
        settings=settings,
        capsule_size=capsule_size,
        packing=None if packing is None or not fills else parse_quantity(packing, "packing", MASS),
        bulk_density=None
        if bulk_density is None or not fills
        else parse_quantity(bulk_density, "bulk density", CONCENTRATION),
        drops_per_ml=per_ml,
        dose=given_dose,
        directions=directions,
        directions_unchecked=reason,
        titration=steps,
        dispensed=dispensed,
        high_dose_reason=high_dose_reason,
        other_medicines=(other_medicines,) if isinstance(other_medicines, str) else tuple(other_medicines),
        co_medication_reason=co_medication_reason,
        unclear_medicine_reason=unclear_medicine_reason,
        lot_number=lot_number,
    )


def _request_steps(inputs: BatchInputs) -> tuple[Step, ...]:
    """The trace's first steps: the strength and quantity asked for."""
    formula, form, qty = inputs.formula, inputs.form, inputs.quantity
    unit_word = {DosageForm.CAPSULES: "per capsule"}.get(form, "")
    return (
        Step(
            "Strength",
            f"{inputs.strength.describe()}{' ' + unit_word if unit_word else ''} "
            f"(formula {formula.id} v{formula.version} allows {formula.strength.describe()})",
        ),
        Step(
            "Quantity",
            format_amount(qty)
            if form is DosageForm.CAPSULES
            else f"{format_amount(qty)} of {dosage_form_name(form, inputs.source)}",
        ),
    )


def check_batch(inputs: BatchInputs) -> Checks:
    """The dose and co-medication checks (before any arithmetic: a refused batch gets none).

    The directions, ``dose`` and titration are read and checked against each other and
    the batch (:func:`~ldn_compound.directions.check_prescribed`); the dose per
    administration and, where the directions give one, the daily dose are held to the
    dose limits.  For capsules without directions or a dose, one capsule is the dose.
    """
    work = _Work()
    prescribed = _check_prescribed(work, inputs)
    dose, daily = prescribed.dose, prescribed.daily_dose
    settings, reason, field = inputs.settings, inputs.high_dose_reason, prescribed.dose_field
    upper = prescribed.upper
    if upper is not None and dose is not None:  # the dose of a click is known only within bounds: the highest
        per_day = daily.amount / dose.amount if daily is not None else 1
        most = Strength(upper.amount * per_day, upper.basis)
        shown = f"up to {most.describe(significant=4)}" + (" a day" if daily is not None else "")
        shown += " (the cream's density is not measured)"
        _check_dose(work, most, settings, reason, field="daily dose" if daily else "dose per click", shown=shown)
    elif daily is not None and dose is not None and daily != dose:
        every = f"{dose.describe(significant=6)} {_timing_words(prescribed)}"
        shown = f"{daily.describe(significant=6)} a day ({every})"
        _check_dose(work, daily, settings, reason, field="daily dose", shown=shown)
    else:
        _check_dose(work, dose, settings, reason, field=field)
    screening = _check_medicines(
        work, inputs.other_medicines, inputs.co_medication_reason, inputs.unclear_medicine_reason, inputs.settings
    )
    return Checks(
        dose=dose,
        warnings=tuple(work.warnings),
        overrides=tuple(work.overrides),
        prescribed=prescribed,
        steps=tuple(work.steps),
        screening=screening,
    )


def active_amount(inputs: BatchInputs) -> Active:
    """The active: salt basis, batch total, overage, potency or tablets, rounding to the balance."""
    work = _Work()
    form, qty, over, source, strength = inputs.form, inputs.quantity, inputs.overage, inputs.source, inputs.strength
    active = inputs.formula.active
    active_form = active.salt_form or NALTREXONE_HCL
    per_unit = strength.to_basis(active_form)
    if per_unit.basis != strength.basis:
        work.step(
            "Salt conversion",
            f"{strength.describe()} × {active_form.molecular_weight} g/mol ÷ "
            f"{strength.basis.molecular_weight} g/mol {_eq(per_unit.amount)} {active_form.short_name}",
        )
    pure = inputs.arithmetic.active_total(per_unit.amount, qty)
    work.step(
        "Active for the batch",
        f"{_amount(per_unit.amount)} × {format_amount(qty)} {_eq(pure)} {active_form.short_name}",
    )
    pure_made = scaled(pure, 1 + over)
    if over:
        work.step(
            "Overage",
            f"{_amount(pure)} × (1 + {_percent(over)}) {_eq(pure_made)}; every component is scaled by the same overage",
        )

    tablets: int | None = None
    name = active.name
    if isinstance(source, TabletSource):
        tab = source.tablet_strength.to_basis(active_form).amount
        ratio = magnitude(source.average_weight, "mg") / magnitude(tab, "mg")
        powder_exact = scaled(pure_made, ratio)
        powder_theory = scaled(pure, ratio)
        count = magnitude(pure_made, "mg") / magnitude(tab, "mg")
        tablets = math.ceil(count)
        tablet_name = source.tablet_strength.basis.short_name
        work.step(
            "Tablets",
            f"{_amount(pure_made)} ÷ {format_amount(tab)} per tablet = {format_number(count, significant=4)} "
            f"tablets: crush {tablets}; tablet powder to weigh = {_amount(pure_made)} × "
            f"{format_amount(source.average_weight)} average tablet weight ÷ {format_amount(tab)} "
            f"{_eq(powder_exact)} of tablet powder, which holds {_amount(pure_made)} {tablet_name}",
        )
        if form in (DosageForm.ORAL_LIQUID, DosageForm.SUBLINGUAL_DROPS):
            work.warn(
                "tablet-excipients",
                "the tablet excipients do not dissolve: the preparation is a suspension; label it 'Shake well'",
            )
        elif form is DosageForm.TOPICAL_CREAM:
            work.warn(
                "tablet-excipients-in-cream",
                "the tablet excipients do not dissolve: mill the cream until no particles are felt",
            )
        strength_text = source.tablet_strength.describe()
        name = f"Tablet powder ({source.product or strength_text + ' tablets'}, crushed)"
        basis_note = (
            f"crushed tablets: {format_amount(source.average_weight)} average weight per {strength_text} tablet"
        )
    else:
        potency_value = source.as_is_potency
        if potency_value is None:
            powder_exact, powder_theory = pure_made, pure
            work.step(
                "Potency", "no potency given: no correction (policy: correct only when a potency or assay is given)"
            )
            basis_note = f"as {active_form.short_name}, no potency correction"
        else:
            of = source.potency_of(active_form)
            if of != active_form:
                # An anhydrous- or dried-basis assay is of the anhydrous salt, and the water (or loss on
                # drying) that comes with it already counts the water of hydration: weigh the anhydrous
                # salt's amount by the as-is potency, never the hydrate's (that counts the water twice).
                per_of = strength.to_basis(of)
                pure = inputs.arithmetic.active_total(per_of.amount, qty)
                pure_made = scaled(pure, 1 + over)
                work.step(
                    "Potency basis",
                    f"the {source.basis} assay is of {of.short_name} ({format_number(of.molecular_weight)} g/mol), "
                    f"and the certificate's water counts the water of hydration of the {active_form.short_name}: "
                    f"the amount needed is taken as {of.short_name}, {_amount(per_of.amount)} × "
                    f"{format_amount(qty)} {_eq(pure)}"
                    + (f", × (1 + {_percent(over)}) overage {_eq(pure_made)}" if over else ""),
                )
            if source.assay is not None and source.basis == "anhydrous":
                work.step(
                    "Potency",
                    f"anhydrous basis: as-is potency = assay {_percent(source.assay)} × (1 − water "
                    f"{_percent(source.water)} − residual solvent {_percent(source.residual_solvent)}) "
                    f"= {_percent(potency_value)} {of.short_name}",
                )
            elif source.assay is not None and source.basis == "dried":
                work.step(
                    "Potency",
                    f"dried basis: as-is potency = assay {_percent(source.assay)} × (1 − loss on drying "
                    f"{_percent(source.loss_on_drying)}) = {_percent(potency_value)} {of.short_name}",
                )
            else:
                work.step(
                    "Potency",
                    f"as-is basis: {_percent(potency_value)} of the powder as it is is {of.short_name}; "
                    "no water or solvent correction",
                )
            powder_exact = divided(pure_made, potency_value)
            powder_theory = divided(pure, potency_value)
            work.step(
                "Potency", f"{_amount(pure_made)} ÷ {format_number(potency_value, significant=6)} {_eq(powder_exact)}"
            )
            basis_note = f"as {active_form.short_name} at {_percent(potency_value)} as-is potency"
            if of != active_form:
                basis_note += f" of {of.short_name}"
            if source.basis in ("anhydrous", "dried"):
                basis_note += f" ({source.basis}-basis assay {_percent(source.assay or Decimal(0))})"
    amount = inputs.weigh_round(powder_exact)
    theory = inputs.weigh_round(powder_theory)
    line = Ingredient(
        id=active.id,
        name=name,
        role="active",
        amount=amount,
        theoretical=theory,
        overage=minus(amount, theory),
        measure="weigh",
        basis=basis_note,
        tablets=tablets,
        lot=_lot_of(inputs, active.id),
    )
    return Active(
        line=line,
        per_unit=per_unit,
        exact=powder_exact,
        theory=powder_theory,
        steps=tuple(work.steps),
        warnings=tuple(work.warnings),
    )


def _volume_of(mass: Quantity, density: Quantity) -> Quantity:
    return new_quantity(magnitude(mass, "mg") / magnitude(density, "mg/mL"), "mL")


def _mass_of(component: str, amount: Quantity) -> Quantity:
    """A weighed amount, or a measured liquid's mass by its density (for the q.s. of a cream)."""
    if amount.dimensionality == MASS.dimensionality:
        return amount
    density = substance(component).density
    assert density is not None  # only liquids with a density are measured in a cream
    return new_quantity(magnitude(amount, "mL") * magnitude(density, "mg/mL"), "mg")


def _lot_of(inputs: BatchInputs, component: str) -> Lot | None:
    return next((lot for lot in inputs.lots if lot.component == component), None)


def _capsule_fill(inputs: BatchInputs, active: Active, work: _Work) -> tuple[CapsuleFill, Quantity, Quantity]:
    """The capsule fill, and the filler to weigh (with the overage) and in theory (without)."""
    formula, qty, settings = inputs.formula, inputs.quantity, inputs.settings
    assert formula.capsule is not None
    spec = formula.capsule
    size = inputs.capsule_size or spec.size
    cap_mass, cap_note = capsule_math.capacity(spec, size, inputs.packing, inputs.bulk_density)
    count = magnitude(qty, "capsule")
    active_each = divided(active.theory, count)
    others_each = sum_of(
        (
            inputs.arithmetic.excipient(c.amount, new_quantity(Decimal(1), "capsule"))[0]
            for c in formula.components
            if c.amount.kind is AmountKind.PER_UNIT
        ),
        new_quantity(Decimal(0), "mg"),
    )
    filler_each = capsule_math.filler_per_capsule(
        cap_mass, plus(active_each, others_each), spec.displacement_factor, size
    )
    work.step("Capsule capacity", cap_note)
    work.step(
        "Filler per capsule",
        f"{format_amount(cap_mass)} − {_amount(plus(active_each, others_each))} × displacement factor "
        f"{format_number(spec.displacement_factor)} {_eq(filler_each)}",
    )
    fill_weight = plus(plus(active_each, others_each), filler_each)
    low = inputs.weigh_round(scaled(fill_weight, 1 - settings.fill_tolerance))
    high = inputs.weigh_round(scaled(fill_weight, 1 + settings.fill_tolerance))
    shell, material = capsule_math.shell_weight(size)
    if size in spec.shell_weight:  # the formula's own shells, weighed by the pharmacy
        shell, material = spec.shell_weight[size], "as the formula states"
    capsule = CapsuleFill(
        size=size,
        capacity=cap_mass,
        capacity_basis=cap_note,
        active_per_capsule=active_each,
        filler_per_capsule=filler_each,
        fill_weight=fill_weight,
        fill_low=low,
        fill_high=high,
        batch_weight=scaled(fill_weight, count),
        shell_weight=shell,
        shell_material=material,
        weight_basis=settings.capsule_weight_basis,
        sampled=settings.capsules_sampled,
    )
    work.step(
        "Capsule fill weight",
        f"{_amount(fill_weight)} per capsule; each capsule's fill (net) within {format_amount(low)} to "
        f"{format_amount(high)} (± {_percent(settings.fill_tolerance)}); {format_amount(qty)} weigh "
        f"{_amount(capsule.batch_weight)} in all",
    )
    work.step(
        "Capsule weight check",
        f"gross (a filled capsule with its empty size {size} shell, {format_amount(shell)} {material}): "
        f"{format_amount(low)} + {format_amount(shell)} = {format_amount(plus(low, shell))} to "
        f"{format_amount(high)} + {format_amount(shell)} = {format_amount(plus(high, shell))}; "
        f"weigh {settings.capsules_sampled} capsules one by one, "
        + (
            "each with its shell (gross)"
            if settings.capsule_weight_basis == "gross"
            else "each less its empty shell (net)"
        ),
    )
    total = scaled(filler_each, magnitude(inputs.made, "capsule"))
    amount = inputs.weigh_round(total)
    work.step(
        "Filler",
        f"{_amount(filler_each)} × {format_number(magnitude(inputs.made, 'capsule'))} capsules {_eq(total)} "
        f"→ {format_amount(amount)}",
    )
    return capsule, amount, inputs.weigh_round(scaled(filler_each, count))


def excipients(inputs: BatchInputs, active: Active) -> Excipients:
    """The other components: per-unit and percentage amounts, the capsule fill, q.s. to the batch."""
    work = _Work()
    form, made, qty, settings = inputs.form, inputs.made, inputs.quantity, inputs.settings
    lines: list[Ingredient] = [active.line]
    capsule: CapsuleFill | None = None
    qs_index: int | None = None
    for component in inputs.formula.components:
        if component.role == "active":
            continue
        kind = component.amount.kind
        if kind is AmountKind.FILL:
            capsule, amount, line_theory = _capsule_fill(inputs, active, work)
            measure = "weigh"
        elif kind is AmountKind.QS and form is DosageForm.TOPICAL_CREAM:
            qs_index = len(lines)
            amount, measure, line_theory = made, "weigh", qty  # replaced below, once the others are known
        else:
            total, measure = inputs.arithmetic.excipient(component.amount, made)
            theory, _ = inputs.arithmetic.excipient(component.amount, qty)
            matter = substance(component.id)
            by_volume = measure == "weigh" and matter.liquid and matter.density is not None
            mass = total
            if by_volume:  # a liquid is measured by volume, never weighed into a trituration
                assert matter.density is not None
                measure, total, theory = (
                    "measure",
                    _volume_of(total, matter.density),
                    _volume_of(theory, matter.density),
                )
            if measure == "weigh":
                amount, line_theory = inputs.weigh_round(total), inputs.weigh_round(theory)
            elif measure == "measure":
                amount = measured_amount(total, settings.liquid_resolution, settings.pipette_resolution)
                line_theory = measured_amount(theory, settings.liquid_resolution, settings.pipette_resolution)
            else:
                amount, line_theory = total, theory
            if by_volume:
                assert matter.density is not None
                work.step(
                    component.name,
                    f"{component.amount.describe()} × {format_amount(made)} {_eq(mass)}; a liquid, measured by "
                    f"volume: ÷ {format_amount(matter.density, unit='g/mL')} ({matter.source}) {_eq(total)} "
                    f"→ {format_amount(amount)}",
                )
            elif measure != "q.s.":
                work.step(
                    component.name,
                    f"{component.amount.describe()} × {format_amount(made)} {_eq(total)} → {format_amount(amount)}",
                )
            else:
                work.step(component.name, f"q.s. to {format_amount(made)}")
        lines.append(
            Ingredient(
                id=component.id,
                name=component.name,
                role=component.role,
                amount=amount,
                theoretical=line_theory,
                overage=minus(amount, line_theory),
                measure=measure,
                basis=component.amount.describe(),
                qs=measure == "q.s.",
                lot=_lot_of(inputs, component.id),
            )
        )

    if qs_index is not None:
        base = lines[qs_index]
        others = sum_of(
            (_mass_of(line.id, line.amount) for i, line in enumerate(lines) if i != qs_index),
            new_quantity(Decimal(0), "mg"),
        )
        others_theory = sum_of(
            (_mass_of(line.id, line.theoretical) for i, line in enumerate(lines) if i != qs_index),
            new_quantity(Decimal(0), "mg"),
        )
        base_amount = inputs.weigh_round(minus(made, others))
        base_theory = inputs.weigh_round(minus(qty, others_theory))
        if base_amount.magnitude <= 0:
            raise InputError(
                "strength", inputs.strength.describe(), f"leave room for the {base.name} in {format_amount(qty)}"
            )
        work.step(
            base.name,
            f"q.s. to {format_amount(made)}: {format_amount(made)} − {format_amount(others)} "
            f"= {format_amount(base_amount)}",
        )
        lines[qs_index] = attrs.evolve(
            base,
            amount=base_amount,
            theoretical=base_theory,
            overage=minus(base_amount, base_theory),
            basis=f"q.s. to {format_amount(made)}",
        )
    return Excipients(lines=tuple(lines), capsule=capsule, steps=tuple(work.steps))


def plan_weighings(inputs: BatchInputs, active: Active, composition: Excipients) -> Weighings:
    """The minimum weight, the active's rounding, and an aliquot plan for each weighed line below the minimum."""
    work = _Work()
    scale = inputs.balance
    minimum = scale.minimum_weight
    work.step("Minimum weight", f"balance {scale.describe()} (USP <41>: 2000 × s, with s at least 0.41 d)")
    if active.line.amount >= minimum and active.line.amount != active.exact:
        work.step(
            "Rounding",
            f"{_amount(active.exact)} rounded half up to the balance readability {format_amount(scale.readability)} "
            f"= {format_amount(active.line.amount)}",
        )
    lines = _plan_aliquots(
        work,
        inputs.form,
        list(composition.lines),
        active_exact=active.exact,
        source=inputs.source,
        minimum=minimum,
        made=inputs.made,
        readability=scale.readability,
        settings=inputs.settings,
        aqueous_phase=inputs.formula.topical.aqueous_phase if inputs.formula.topical else "",
    )
    settings = inputs.settings
    diluent = next((line.id for line in lines if line.role in {"filler", "base"}), None)
    vehicle = next((line.id for line in lines if line.qs), None)
    aqueous = inputs.formula.topical.aqueous_phase if inputs.formula.topical else ""
    weighings = batch_weighings(
        lines,
        readability=scale.readability,
        diluent=diluent,
        vehicle=aqueous or vehicle,
        resolution=settings.liquid_resolution,
        pipette_resolution=settings.pipette_resolution,
    )
    listed = " ".join(inputs.formula.equipment).lower()
    equipment: list[str] = []
    for weighing in weighings:
        name = weighing.instrument
        if name not in {"balance", "calibrated container"} and name.lower() not in listed and name not in equipment:
            equipment.append(name)
    dissolves = _active_dissolves(work, lines, aqueous, settings)
    return Weighings(
        lines=tuple(lines),
        aliquot=lines[0].aliquot,
        weighings=weighings,
        equipment=tuple(equipment),
        steps=tuple(work.steps),
        warnings=tuple(work.warnings),
        active_dissolves=dissolves,
    )


def _active_dissolves(work: _Work, lines: Sequence[Ingredient], aqueous_phase: str, settings: Settings) -> bool:
    """Whether a cream's active, weighed straight into the batch, dissolves in the formula's aqueous phase.

    It does when the aqueous phase's volume holds it at no more than the strongest solution the
    settings allow (``stock_solubility_fraction`` of its solubility); else the record says to
    levigate it to a paste, and a warning says the cream holds it suspended.
    """
    active = next((line for line in lines if line.role == "active"), None)
    water = next((line for line in lines if aqueous_phase and line.id == aqueous_phase), None)
    if active is None or water is None or active.aliquot is not None:
        return True
    if water.amount.dimensionality != VOLUME.dimensionality:  # pragma: no cover - an aqueous phase is measured
        return True
    limit, why = _stock_limit(active, settings)
    needed_ml = magnitude(active.amount, "mg") / magnitude(limit, "mg/mL")
    have_ml = magnitude(water.amount, "mL")
    needed = new_quantity(round_to_step(needed_ml, magnitude(settings.liquid_resolution, "mL"), up=True), "mL")
    if have_ml >= needed_ml:
        work.step(
            "Dissolving the active",
            f"{format_amount(active.amount)} in {format_amount(water.amount)} of {water.name}: it needs at least "
            f"{format_amount(needed)} at {format_amount(limit)} ({why})",
        )
        return True
    work.step(
        "Dissolving the active",
        f"{format_amount(active.amount)} needs at least {format_amount(needed)} of water at {format_amount(limit)} "
        f"({why}); the aqueous phase is {format_amount(water.amount)}: levigated to a paste, not dissolved",
    )
    work.warn(
        "active-not-dissolved",
        f"{format_amount(active.amount)} of {active.name} needs at least {format_amount(needed)} of water to "
        f"dissolve ({format_amount(limit)}: {why}), and the formula's {water.name} is {format_amount(water.amount)}: "
        "the record says to levigate it with the water to a smooth paste, and the cream holds it suspended; "
        "check the cream for grittiness, or use a formula with more water",
    )
    return False


def unit_doses(inputs: BatchInputs) -> PerUnit:
    """The dose per mL, per drop or per pump click, and the theoretical yield."""
    work = _Work()
    form, formula, strength = inputs.form, inputs.formula, inputs.strength
    dose_per_unit: dict[str, Quantity] = {}
    per_ml = inputs.drops_per_ml
    if form is DosageForm.SUBLINGUAL_DROPS:
        assert per_ml is not None
        dose_per_unit["drop"] = new_quantity(magnitude(strength.amount, "mg/mL") / per_ml, "mg")
        work.step(
            "Dose per drop",
            f"{format_amount(strength.amount)} ÷ {format_number(per_ml)} drops/mL (calibrated dropper) "
            f"{_eq(dose_per_unit['drop'])}",
        )
    if form in (DosageForm.ORAL_LIQUID, DosageForm.SUBLINGUAL_DROPS):
        dose_per_unit["mL"] = new_quantity(magnitude(strength.amount, "mg/mL"), "mg")
    topical = formula.topical
    if form is DosageForm.TOPICAL_CREAM and topical and topical.click_volume and topical.density:
        per_click = new_quantity(
            magnitude(strength.amount, "mg/g")
            * magnitude(topical.density, "mg/mL")
            / 1000
            * magnitude(topical.click_volume, "mL"),
            "mg",
        )
        dose_per_unit["click"] = per_click
        work.step(
            "Dose per click",
            f"{format_amount(strength.amount)} × density {format_amount(topical.density, unit='g/mL')} × "
            f"{format_amount(topical.click_volume)} per click {_eq(per_click)}",
        )
    return PerUnit(
        dose_per_unit=dose_per_unit,
        drops_per_ml=per_ml,
        theoretical_yield=inputs.quantity if form is DosageForm.CAPSULES else inputs.made,
        steps=tuple(work.steps),
    )


def dates(inputs: BatchInputs) -> Dates:
    """The beyond-use date, and a warning when something shortened it or no lot's expiry was given to check it."""
    bud, steps = beyond_use(inputs.formula, inputs.date, inputs.lots, inputs.settings, inputs.evidence)
    warnings: tuple[BatchWarning, ...] = ()
    if bud.limited_by:
        warnings = (
            BatchWarning(
                "bud-shortened",
                f"the beyond-use date is {bud.days} day{'s' if bud.days != 1 else ''} after compounding "
                f"({bud.date.isoformat()}), shortened because {bud.limited_by}",
            ),
        )
    warnings += tuple(expiry_warnings(inputs.lots))
    return Dates(beyond_use=bud, steps=tuple(steps), warnings=warnings)


def _yield_range(theoretical: Quantity, tolerance: Decimal, form: DosageForm) -> tuple[Quantity, Quantity]:
    """The acceptable yield: ± ``tolerance`` of the theoretical, in whole capsules for capsules (32 → 31 to 33)."""
    low = scaled(theoretical, 1 - tolerance)
    high = scaled(theoretical, 1 + tolerance)
    if form is DosageForm.CAPSULES:  # a yield is a count: the whole capsules within the limits
        low = new_quantity(Decimal(math.ceil(magnitude(low, "capsule"))), "capsule")
        high = new_quantity(Decimal(math.floor(magnitude(high, "capsule"))), "capsule")
    return low, high


def assemble(
    inputs: BatchInputs,
    *,
    checks: Checks,
    active: Active,
    composition: Excipients,
    weighings: Weighings,
    units: PerUnit,
    when: Dates,
) -> BatchResult:
    """The batch result: the stages' values, their trace and warnings in the order they arose."""
    settings, theoretical_yield = inputs.settings, units.theoretical_yield
    prescribed = checks.prescribed
    supply_steps, supply_warnings = (
        ((), ()) if prescribed is None else _days_supply(prescribed, when.beyond_use, inputs.date)
    )
    result = BatchResult(
        formula=inputs.formula,
        strength=inputs.strength,
        quantity=inputs.quantity,
        compounding_date=inputs.date,
        lot_number=inputs.lot_number or PREVIEW_LOT,
        ingredients=weighings.lines,
        beyond_use=when.beyond_use,
        balance=inputs.balance,
        source=inputs.source,
        overage=inputs.overage,
        warnings=checks.warnings + active.warnings + weighings.warnings + when.warnings + supply_warnings,
        trace=_request_steps(inputs)
        + checks.steps
        + active.steps
        + composition.steps
        + weighings.steps
        + units.steps
        + when.steps
        + supply_steps,
        lots=inputs.lots,
        aliquot=weighings.aliquot,
        capsule=composition.capsule,
        overrides=checks.overrides,
        theoretical_yield=theoretical_yield,
        yield_range=_yield_range(theoretical_yield, settings.yield_tolerance, inputs.form),
        dose_per_unit=units.dose_per_unit,
        drops_per_ml=units.drops_per_ml,
        dose=checks.dose,
        directions=None if prescribed is None else prescribed.directions,
        daily_dose=None if prescribed is None else prescribed.daily_dose,
        dispensed=inputs.dispensed,
        days_supply=None if prescribed is None else prescribed.days_supply,
        screening=checks.screening,
        weighings=weighings.weighings,
        equipment=weighings.equipment,
        procedure=procedure_steps(
            inputs.formula.procedure,
            weighings.weighings,
            weighings.lines,
            dissolve_in=inputs.formula.topical.aqueous_phase if inputs.formula.topical else "",
            dissolves=weighings.active_dissolves,
        ),
    )
    steps = inputs.titration or (() if result.directions is None else result.directions.titration)
    if steps:  # every step measurable, within the limits, in the quantity given and ended by the BUD
        titration_plan(result, steps, quantity=inputs.dispensed, settings=settings)
    return result


def calculate_batch(
    formula: MasterFormula | str | Path,
    *,
    quantity: QuantityLike,
    strength: QuantityLike | None = None,
    strength_basis: str | SaltForm | None = None,
    date: str | dt.date | None = None,
    overage: NumberLike = 0,
    potency: NumberLike | None = None,
    assay: NumberLike | None = None,
    water: NumberLike | None = None,
    residual_solvent: NumberLike | None = None,
    tablet_weight: QuantityLike | None = None,
    assay_basis: str | None = None,
    loss_on_drying: NumberLike | None = None,
    tablet_product: str | None = None,
    tablet_manufacturer: str | None = None,
    balance: Balance | None = None,
    balance_readability: QuantityLike | None = None,
    balance_repeatability: QuantityLike | None = None,
    lots: Iterable[Lot | str] | Mapping[str, Any] = (),
    capsule_size: str | None = None,
    packing: QuantityLike | None = None,
    bulk_density: QuantityLike | None = None,
    drops_per_ml: NumberLike | None = None,
    dose: QuantityLike | None = None,
    directions: Directions | str | None = None,
    directions_unchecked: str | None = None,
    titration: str | Sequence[TitrationStep] | None = None,
    dispense: QuantityLike | None = None,
    high_dose_reason: str | None = None,
    other_medicines: Iterable[str] = (),
    co_medication_reason: str | None = None,
    unclear_medicine_reason: str | None = None,
    stability: str | StabilityEvidence | None = None,
    lot_number: str | None = None,
    settings: Settings | None = None,
    formula_dirs: Sequence[str | Path] = (),
) -> BatchResult:
    """Calculate a batch of ``formula``: what to weigh and measure, why, and the beyond-use date.

    ``formula`` is a :class:`~ldn_compound.model.MasterFormula`, a built-in id or a file path.
    ``quantity`` is a count of capsules (``100``), a volume (``"120 mL"``) or a
    mass (``"30 g"``) by dosage form; ``strength`` (default: the formula's) is
    text or a quantity in ``strength_basis`` (``"hcl"`` by default, or
    ``"base"``).  Percentages (``overage``, ``potency``, ``assay``, ``water``,
    ``residual_solvent``, ``loss_on_drying``) are given in percent:
    ``potency=97.71``.  An ``assay`` needs its ``assay_basis``, the basis the
    certificate states it on: ``"as-is"``, ``"anhydrous"`` (with ``water`` and
    optionally ``residual_solvent``) or ``"dried"`` (with ``loss_on_drying``);
    an anhydrous or dried assay is of the anhydrous salt, so a hydrate's water is
    counted once (see :class:`~ldn_compound.model.PowderSource`).
    ``tablet_weight`` makes the batch from crushed 50 mg tablets of that
    average weight; ``tablet_product`` (NDC or name) and ``tablet_manufacturer``
    print on the record (their lot and expiry are the active component's lot).

    ``directions`` are the directions for use: a
    :class:`~ldn_compound.directions.Directions`, or text read as English when it starts with
    a verb the vocabulary knows (``"Take 3 capsules by mouth at bedtime"``) and
    as sig codes otherwise (``"3 cap po qhs"``).  ``dose`` is the dose per
    administration (a mass in the strength's basis), ``titration`` a schedule
    (text or :class:`~ldn_compound.model.TitrationStep` values; liquids and drops) and
    ``dispense`` the quantity given to the patient (default: the batch).  Before
    any arithmetic they are checked against each other (where two state a dose,
    it is the same: code ``dose-disagreement``), for what the patient can measure
    (whole capsules, never below one; whole drops; the syringe's graduation;
    whole clicks), and the dose per administration and the daily dose are held to
    the dose limits (above ``Settings.dose_limit`` only with ``high_dose_reason``).
    Without directions or a dose, a capsule's strength is its dose.  A dispensed
    quantity below one dose is refused; a days' supply beyond the beyond-use date
    is a warning (``days-supply-beyond-bud``).  ``directions_unchecked`` (a
    reason) lets directions that cannot be read, or that state no dose, through
    unchecked, recorded as an override.
    ``other_medicines`` (the patient's other medicines: names as written,
    ``"Percocet 5/325 mg"``, or codes, ``"rxcui:7804"``, ``"atc:N02AA05"``) are
    screened for opioids (see :func:`ldn_compound.safety.screen_medicines`): an
    opioid raises CoMedicationError unless ``co_medication_reason`` is given, a
    name close to an opioid's raises MedicineNameError unless
    ``unclear_medicine_reason`` is given; the result is ``result.screening``.
    ``lot_number`` is the batch's internal lot; without one the batch is a
    preview (``lot_number == "preview"``) until the register gives it a lot
    (:meth:`ldn_compound.register.store.Register.record`).

    The calculation runs in named stages, each returning a frozen value:
    ``read_inputs`` → ``check_batch`` (dose and co-medication, before
    any arithmetic) → ``active_amount`` → ``excipients`` →
    ``plan_weighings`` → ``unit_doses`` → ``dates`` → ``assemble``.

    Raises an :class:`~ldn_compound.exceptions.InputError` naming the field and
    value for any input that breaks a rule.
    """
    from ldn_compound.loader import load_formula

    _check_types(locals())
    if not isinstance(formula, MasterFormula):
        formula = load_formula(formula, dirs=formula_dirs, settings=settings)
    inputs = read_inputs(
        formula,
        quantity=quantity,
        strength=strength,
        strength_basis=strength_basis,
        date=date,
        overage=overage,
        potency=potency,
        assay=assay,
        water=water,
        residual_solvent=residual_solvent,
        tablet_weight=tablet_weight,
        assay_basis=assay_basis,
        loss_on_drying=loss_on_drying,
        tablet_product=tablet_product,
        tablet_manufacturer=tablet_manufacturer,
        balance=balance,
        balance_readability=balance_readability,
        balance_repeatability=balance_repeatability,
        lots=lots,
        capsule_size=capsule_size,
        packing=packing,
        bulk_density=bulk_density,
        drops_per_ml=drops_per_ml,
        dose=dose,
        directions=directions,
        directions_unchecked=directions_unchecked,
        titration=titration,
        dispense=dispense,
        high_dose_reason=high_dose_reason,
        other_medicines=other_medicines,
        co_medication_reason=co_medication_reason,
        unclear_medicine_reason=unclear_medicine_reason,
        stability=stability,
        lot_number=lot_number,
        settings=settings or default_settings(),
    )
    checks = check_batch(inputs)
    active = active_amount(inputs)
    composition = excipients(inputs, active)
    weighings = plan_weighings(inputs, active, composition)
    result = assemble(
        inputs,
        checks=checks,
        active=active,
        composition=composition,
        weighings=weighings,
        units=unit_doses(inputs),
        when=dates(inputs),
    )
    _log.debug(
        "calculated %s v%s: %s at %s, lot %s, %d warning(s)",
        formula.id,
        formula.version,
        result.quantity,
        result.strength.describe(),
        result.lot_number,
        len(result.warnings),
    )
    return result
