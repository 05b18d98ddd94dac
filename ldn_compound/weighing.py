"""Weighing below the balance's minimum weight: the aliquot method.

When the active to weigh is below the minimum weight, weigh a larger amount
``W`` (the next 1-2-5 value at or above both the minimum weight and the
amount needed), dilute it, and take the part that holds the amount needed.
Every weighing in the plan is at or above the minimum weight.

Worked example (reference, section 4): 48 mg needed, minimum weight 82 mg →
weigh 100 mg, triturate with 900 mg of filler (1 in 10), take 480 mg.

>>> from ldn_compound.units import parse_quantity, MASS, format_amount
>>> plan = trituration_plan(parse_quantity("48 mg", "a", MASS), parse_quantity("82 mg", "m", MASS),
...                         "microcrystalline cellulose", parse_quantity("7312 mg", "f", MASS), (10, 20))
>>> format_amount(plan.weigh), format_amount(plan.dilute_to), format_amount(plan.take)
('100 mg', '1 g', '480 mg')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Final

from ldn_compound.exceptions import AliquotError
from ldn_compound.model import AliquotPlan, Ingredient, Weighing
from ldn_compound.units import (
    MASS,
    Quantity,
    format_amount,
    format_number,
    magnitude,
    minus,
    new_quantity,
    plus,
    round_to_step,
)

__all__ = [
    "batch_weighings",
    "delivered",
    "measured_amount",
    "measured_volume",
    "nice_ceiling",
    "procedure_steps",
    "reconciliation",
    "reconciliation_text",
    "solution_plan",
    "trituration_plan",
]

GRADUATED_PIPETTE: Final = "1 mL graduated pipette"
GRADUATED_CYLINDER: Final = "graduated cylinder"


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest number of the 1-2-5 series (…, 10, 20, 50, 100, …) at or above ``value``.

    >>> nice_ceiling(Decimal(82)), nice_ceiling(Decimal(100)), nice_ceiling(Decimal("1.2"))
    (Decimal('100'), Decimal('100'), Decimal('2'))
    """
    if value <= 0:
        raise ValueError("value must be positive")
    scale = Decimal(1).scaleb(value.adjusted())
    for step in (1, 2, 5, 10):
        candidate = scale * step
        if candidate >= value:
            return Decimal(int(candidate)) if candidate == candidate.to_integral() else candidate.normalize()
    raise AssertionError("unreachable")  # pragma: no cover


def _decimal_friendly(at_least: int) -> int:
    """The smallest whole number ≥ ``at_least`` of the form 2^a·5^b (2, 4, 5, 8, 10, 16, 20, 25 …).

    Dividing by it always ends: an amount weighed to the balance's readability,
    divided by it, is a terminating decimal.  For each power of 5 up to
    ``at_least`` the smallest power of 2 that reaches it is found directly, so
    the search takes a few dozen steps however large ``at_least`` is.

    >>> _decimal_friendly(3), _decimal_friendly(11), _decimal_friendly(97), _decimal_friendly(10**30 + 1)
    (4, 16, 100, 1024000000000000000000000000000)
    """
    best: int | None = None
    five = 1
    while True:
        # the smallest 2^a with five · 2^a ≥ at_least
        need = -(-at_least // five)  # ceiling division
        candidate = five * (1 << max(0, (need - 1).bit_length()))
        if best is None or candidate < best:
            best = candidate
        if five >= at_least:
            return best
        five *= 5


def _weigh_amount(required: Decimal, minimum: Decimal) -> Decimal:
    return nice_ceiling(max(required, minimum))


def trituration_plan(
    required: Quantity,
    minimum: Quantity,
    diluent: str,
    diluent_available: Quantity | None,
    factors: Sequence[int],
    *,
    what: str = "the active",
    readability: Quantity | None = None,
    content: Callable[[Quantity], str] | None = None,
) -> AliquotPlan:
    """Plan a trituration (geometric dilution with a solid) holding ``required`` of the active.

    ``diluent_available`` is how much of the diluent the batch uses in all (the
    filler or base); the part carried by the aliquot must not exceed it, and
    what remains to add (rounded to the balance) must itself be zero or weighable;
    the batch's weighings list that rest (:func:`batch_weighings`).  ``what`` names the
    substance in the steps.  With ``readability``, the part taken is rounded
    (half up) to what the balance can weigh, and ``holds`` is what that part
    really holds: ``take ÷ factor``, within ``readability ÷ factor`` of ``required``.
    ``content`` says what an amount of ``what`` holds when it is not the drug
    itself (tablet powder: ``"4.091 mg naltrexone HCl"``); the steps then say it.
    """

    def holding(mass: Decimal) -> str:
        return "" if content is None else f" ({content(new_quantity(mass, 'mg'))})"

    need = magnitude(required, "mg")
    floor = magnitude(minimum, "mg")
    step = None if readability is None else magnitude(readability, "mg")
    weigh = _weigh_amount(need, floor)
    available = magnitude(diluent_available, "mg") if diluent_available is not None else None
    for factor in factors:
        total = weigh * factor
        diluent_mass = total - weigh
        take = need * factor if step is None else round_to_step(need * factor, step)
        holds = take / factor
        carried = take - holds
        remaining = None if available is None else available - carried
        if remaining is not None and step is not None:  # the rest is weighed too: on the balance's steps
            remaining = round_to_step(remaining, step)
        if take < floor or diluent_mass < floor or take > total:
            continue
        if remaining is not None and (remaining < 0 or Decimal(0) < remaining < floor):
            continue
        f = format_number(Decimal(factor))
        steps: tuple[str, ...] = (
            f"Weigh {format_amount(new_quantity(weigh, 'mg'))} of {what}{holding(weigh)}.",
            f"Weigh {format_amount(new_quantity(diluent_mass, 'mg'))} of {diluent}.",
            f"Triturate by geometric dilution to a uniform {format_amount(new_quantity(total, 'mg'))} (1 in {f}).",
            (
                f"Weigh {format_amount(new_quantity(take, 'mg'))} of the trituration: it holds "
                f"{format_amount(new_quantity(holds, 'mg'))} of {what}{holding(holds)}."
            ),
        )
        return AliquotPlan(
            method="trituration",
            weigh=new_quantity(weigh, "mg"),
            diluent=diluent,
            dilute_to=new_quantity(total, "mg"),
            take=new_quantity(take, "mg"),
            holds=new_quantity(holds, "mg"),
            factor=Decimal(factor),
            steps=steps,
        )
    raise AliquotError(
        "aliquot",
        format_amount(required),
        f"fit a trituration in which every weighing is at least {format_amount(minimum)} (tried 1 in "
        + ", 1 in ".join(str(f) for f in factors)
        + ")",
    )


def _volume(value: Decimal) -> str:
    return format_amount(new_quantity(value, "mL"))


def solution_plan(
    required: Quantity,
    minimum: Quantity,
    vehicle: str,
    *,
    what: str = "the active",
    final_volume: Quantity,
    max_concentration: Quantity,
    flasks: Sequence[Decimal],
    pipettes: Sequence[Decimal],
    pipette_resolution: Quantity,
    readability: Quantity | None = None,
    limit_reason: str = "",
) -> AliquotPlan:
    """Plan a stock solution in the vehicle from which a measured volume holds ``required``.

    Weigh ``W`` of the substance, dissolve it and make up to the mark of an
    ``S`` mL volumetric flask (one of ``flasks``), and take ``V`` mL with a
    volumetric pipette (one of ``pipettes``, the smallest that fits) or, from
    0.5 to 0.9 mL, with a 1 mL graduated pipette read to ``pipette_resolution``.  ``W =
    required × S ÷ V`` is at least the minimum weight; the stock is at most
    ``max_concentration`` (``limit_reason`` says why, for the message); ``V``
    fits in ``final_volume`` (what the batch still has free).  With
    ``readability``, ``W`` is rounded up to what the balance can weigh and
    ``holds`` is ``W × V ÷ S`` (the flask sizes divide exactly).
    """
    need = magnitude(required, "mg")
    floor = magnitude(minimum, "mg")
    final = magnitude(final_volume, "mL")
    limit = magnitude(max_concentration, "mg/mL")
    least = need / limit  # the smallest aliquot volume that keeps the stock at or below the limit
    # the smallest volumetric pipette that keeps the stock within the limit, then a graduated 1 mL
    # pipette in whole 0.1 mL, used only over at least half its capacity (below that it is not accurate)
    # (a volumetric pipette is named only when it is chosen)
    volumes: list[tuple[Decimal, str | None]] = [(v, None) for v in sorted(pipettes) if v >= least]
    graduated = max(round_to_step(least, Decimal("0.1"), up=True), Decimal("0.5"))
    if graduated < 1:
        volumes.append((graduated, GRADUATED_PIPETTE))
    for take, name in volumes:
        if take > final:
            continue
        for stock in sorted(flasks):
            if stock < 2 * take:
                continue
            weigh = need * stock / take
            if readability is not None:  # weigh what the balance can: the aliquot then holds W × V ÷ S
                weigh = round_to_step(weigh, magnitude(readability, "mg"), up=True)
            if weigh < floor or weigh / stock > limit:
                continue
            holds = new_quantity(weigh * take / stock, "mg")
            pipette = name or f"{_volume(take)} volumetric pipette"
            flask = f"{_volume(stock)} volumetric flask"
            concentration = new_quantity(weigh / stock, "mg/mL")
            reading = "" if "volumetric" in pipette else f" read to {format_amount(pipette_resolution)}"
            steps = (
                f"Weigh {format_amount(new_quantity(weigh, 'mg'))} of {what}.",
                (
                    f"Dissolve it in {vehicle} in a {flask} and make up to the mark, {_volume(stock)} "
                    f"({format_amount(concentration, significant=4)}); mix well."
                ),
                (
                    f"Take {_volume(take)} of the {_volume(stock)} of stock solution with a {pipette}{reading}: it holds "
                    f"{format_amount(holds)} of {what}; use it as part of the {vehicle}."
                ),
            )
            return AliquotPlan(
                method="solution",
                weigh=new_quantity(weigh, "mg"),
                diluent=vehicle,
                dilute_to=new_quantity(stock, "mL"),
                take=new_quantity(take, "mL"),
                holds=holds,
                factor=stock / take,
                steps=steps,
                equipment=(flask, pipette),
            )
    why = f" ({limit_reason})" if limit_reason else ""
    of = "" if what == "the active" else f" of {what}"
    if not volumes or min(v for v, _ in volumes) > final:
        smallest = min((v for v, _ in volumes), default=least)
        rule = (
            f"be a stock solution{of} of at most {format_amount(max_concentration)}{why} whose portion, at least "
            f"{_volume(smallest)} with a standard pipette, fits in the {format_amount(final_volume)} of "
            f"{vehicle} the batch has free (make a larger batch or use a finer balance)"
        )
    else:
        rule = (
            f"be a stock solution{of} whose portion holds it: the minimum weight {format_amount(minimum)} "
            f"needs more than the largest flask, {_volume(max(flasks))} (use a finer balance)"
        )
    raise AliquotError("aliquot", format_amount(required), rule)


def measured_volume(volume: Quantity, resolution: Quantity, pipette_resolution: Quantity) -> tuple[Quantity, str, str]:
    """A volume as it is measured: rounded, the instrument, and the rounding rule.

    From 1 mL up a graduated cylinder read to ``resolution``; under 1 mL a 1 mL
    graduated pipette read to ``pipette_resolution`` (a cylinder measures nothing
    under 1 mL).

    >>> from ldn_compound.units import parse_quantity, VOLUME
    >>> q = lambda text: parse_quantity(text, "v", VOLUME)
    >>> [format_amount(measured_volume(q(v), q("0.1 mL"), q("0.01 mL"))[0]) for v in ("24.06 mL", "0.063 mL")]
    ['24.1 mL', '0.06 mL']
    """
    value, by_cylinder = _measured(volume, resolution, pipette_resolution)
    if by_cylinder:
        return new_quantity(value, "mL"), GRADUATED_CYLINDER, f"to {format_amount(resolution)}, half up"
    return (
        new_quantity(value, "mL"),
        GRADUATED_PIPETTE,
        f"to {format_amount(pipette_resolution)}, half up (under 1 mL: a pipette)",
    )


def measured_amount(volume: Quantity, resolution: Quantity, pipette_resolution: Quantity) -> Quantity:
    """The volume of :func:`measured_volume`, without the instrument and the rule."""
    return new_quantity(_measured(volume, resolution, pipette_resolution)[0], "mL")


def _measured(volume: Quantity, resolution: Quantity, pipette_resolution: Quantity) -> tuple[Decimal, bool]:
    """A volume rounded as it is measured, in mL, and whether a graduated cylinder measures it (else a pipette)."""
    value = magnitude(volume, "mL")
    rounded = round_to_step(value, magnitude(resolution, "mL"))
    if rounded >= 1:
        return rounded, True
    return round_to_step(value, magnitude(pipette_resolution, "mL")), False


def _add(into: dict[str, Quantity], key: str, amount: Quantity) -> None:
    into[key] = plus(into[key], amount) if key in into else amount


def batch_weighings(
    lines: Sequence[Ingredient],
    *,
    readability: Quantity,
    diluent: str | None,
    vehicle: str | None,
    resolution: Quantity,
    pipette_resolution: Quantity,
) -> tuple[Weighing, ...]:
    """Every weighing and measurement of a batch, in the order it is done.

    First each aliquot (the active's first): what is weighed for the trituration
    or stock solution, then the portion of it taken into the batch; then each
    line weighed or measured directly, and the rest of the filler, base or
    vehicle the aliquots did not carry, rounded by the rule of its own
    instrument.  ``diluent`` is the id of the line triturations are made with,
    ``vehicle`` the id of the line stock solutions are made in.
    """
    balance_rule = f"to {format_amount(readability)}, half up"
    step = magnitude(readability, "mg")
    names = {line.id: line.name for line in lines}
    out: list[Weighing] = []
    carried: dict[str, Quantity] = {}
    for line in lines:
        plan = line.aliquot
        if plan is None:
            continue
        if plan.method == "trituration":
            assert diluent is not None
            in_aliquot = minus(plan.take, plan.holds)
            purpose = "for the trituration"
            out += [
                Weighing(
                    line.name,
                    line.id,
                    plan.weigh,
                    "balance",
                    balance_rule,
                    purpose=purpose,
                    into_batch=False,
                    aliquot=True,
                ),
                Weighing(
                    names[diluent],
                    diluent,
                    minus(plan.dilute_to, plan.weigh),
                    "balance",
                    balance_rule,
                    purpose=purpose,
                    into_batch=False,
                    aliquot=True,
                ),
                Weighing(
                    f"Trituration of {line.name} (1 in {format_number(plan.factor)})",
                    line.id,
                    plan.take,
                    "balance",
                    balance_rule,
                    purpose=f"into the batch (holds {format_amount(plan.holds)})",
                    holds=((line.id, plan.holds), (diluent, in_aliquot)),
                    aliquot=True,
                ),
            ]
            _add(carried, diluent, in_aliquot)
        else:
            assert vehicle is not None
            flask, pipette = plan.equipment
            out += [
                Weighing(
                    line.name,
                    line.id,
                    plan.weigh,
                    "balance",
                    f"to {format_amount(readability)}, up",
                    purpose="for the stock solution",
                    into_batch=False,
                    aliquot=True,
                ),
                Weighing(
                    f"{names[vehicle]} to the mark",
                    vehicle,
                    plan.dilute_to,
                    flask,
                    "made up to the mark",
                    purpose="for the stock solution",
                    into_batch=False,
                    aliquot=True,
                ),
                Weighing(
                    f"Stock solution of {line.name} ({format_amount(plan.take)} of {format_amount(plan.dilute_to)})",
                    line.id,
                    plan.take,
                    pipette,
                    "the pipette's volume" if "volumetric" in pipette else f"to {format_amount(pipette_resolution)}",
                    purpose=f"into the batch (holds {format_amount(plan.holds)})",
                    holds=((line.id, plan.holds), (vehicle, plan.take)),
                    aliquot=True,
                ),
            ]
            _add(carried, vehicle, plan.take)
    for line in lines:
        if line.aliquot is not None:
            continue
        if line.qs:
            out.append(
                Weighing(
                    line.name,
                    line.id,
                    line.amount,
                    "calibrated container",
                    "to the final volume",
                    purpose="q.s. to volume",
                )
            )
            continue
        taken = carried.get(line.id)
        amount = line.amount if taken is None else minus(line.amount, taken)
        if amount.dimensionality == MASS.dimensionality:
            amount = new_quantity(round_to_step(magnitude(amount, "mg"), step), "mg")
            instrument, rule = "balance", balance_rule
        else:
            amount, instrument, rule = measured_volume(amount, resolution, pipette_resolution)
        if amount.magnitude <= 0:
            continue
        out.append(
            Weighing(
                line.name if taken is None else f"{line.name} (the rest)",
                line.id,
                amount,
                instrument,
                rule,
                purpose="into the batch",
                holds=((line.id, amount),),
            )
        )
    return tuple(out)


def delivered(weighings: Sequence[Weighing]) -> dict[str, Quantity]:
    """What the weighings put into the batch, per ingredient id (q.s. lines excluded)."""
    out: dict[str, Quantity] = {}
    for weighing in weighings:
        if weighing.into_batch:
            for line, amount in weighing.holds:
                _add(out, line, amount)
    return out


#: A step of a formula's procedure written as this is replaced by the batch's weighings.
WEIGHINGS_STEP: Final = "@weighings"

_WEIGHINGS_IN_GENERAL: Final = (
    "Make the weighings and measurements in the order the compounding record lists them "
    "(with an aliquot plan when an amount is below the balance's minimum weight)."
)


def _weighing_step(weighing: Weighing) -> str:
    amount = format_amount(weighing.amount)
    if weighing.instrument == "balance":
        return f"Weigh {amount} of {weighing.what}."
    return f"Measure {amount} of {weighing.what} with a {weighing.instrument}."


def procedure_steps(
    procedure: Sequence[str],
    weighings: Sequence[Weighing] | None = None,
    lines: Sequence[Ingredient] = (),
    *,
    dissolve_in: str = "",
    dissolves: bool = True,
) -> tuple[str, ...]:
    """A formula's procedure with its ``@weighings`` step replaced by the batch's own steps.

    The steps come from the batch's plan, so the procedure never contradicts it:
    each aliquot plan's steps (weigh, triturate or dissolve, take the portion),
    then every direct weighing and measurement in order (a q.s. is left to the
    formula's own "make up" step).  ``dissolve_in`` names a cream's aqueous
    phase: an active weighed directly is dissolved in it, or, where it does not
    ``dissolves`` in so little water, levigated with it to a paste.  Without
    ``weighings`` (a master formulation record) the step says to follow the
    compounding record.
    """
    out: list[str] = []
    for step in procedure:
        if step.strip() != WEIGHINGS_STEP:
            out.append(step)
            continue
        if weighings is None:
            out.append(_WEIGHINGS_IN_GENERAL)
            continue
        for line in lines:
            if line.aliquot is not None:
                out += line.aliquot.steps
        names = {line.id: line.name for line in lines}
        for weighing in weighings:
            if not weighing.aliquot and not weighing.purpose.startswith("q.s."):
                out.append(_weighing_step(weighing))
        active = next((line for line in lines if line.role == "active"), None)
        if dissolve_in and active is not None and active.aliquot is None and dissolve_in in names:
            if dissolves:
                out.append(f"Dissolve the {active.name} in the {names[dissolve_in]}.")
            else:  # too little water to dissolve it: a paste, suspended in the cream
                out.append(
                    f"Levigate the {active.name} with the {names[dissolve_in]} to a smooth, uniform paste "
                    "(it does not all dissolve in so little water)."
                )
    return tuple(out)


def reconciliation(
    lines: Sequence[Ingredient], weighings: Sequence[Weighing]
) -> list[tuple[Ingredient, list[Quantity]]]:
    """For each line (not q.s.): the amounts of it the weighings put into the batch, in order.

    Their sum is the line's amount within the rounding of the instruments: the
    totals a record prints so the page reconciles.
    """
    out: list[tuple[Ingredient, list[Quantity]]] = []
    for line in lines:
        if line.qs:
            continue
        parts = [amount for w in weighings if w.into_batch for key, amount in w.holds if key == line.id]
        out.append((line, parts))
    return out


def reconciliation_text(line: Ingredient, parts: Sequence[Quantity]) -> str:
    """``Microcrystalline cellulose: 405 mg + 6.45 g = 6.855 g (in the batch 6.855 g)``."""
    if not parts:
        return f"{line.name}: nothing weighed (in the batch {format_amount(line.amount)})"
    total = parts[0]
    for part in parts[1:]:
        total = plus(total, part)
    summed = " + ".join(format_amount(part) for part in parts)
    equals = f"{summed} = {format_amount(total)}" if len(parts) > 1 else summed
    return f"{line.name}: {equals} (in the batch {format_amount(line.amount)})"
