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

import math
from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal

from ldn_compound.exceptions import AliquotError
from ldn_compound.model import AliquotPlan
from ldn_compound.units import Q_, Quantity, format_amount, format_number, magnitude, round_to_step

__all__ = ["nice_ceiling", "solution_plan", "trituration_plan"]


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
) -> AliquotPlan:
    """Plan a trituration (geometric dilution with a solid) holding ``required`` of the active.

    ``diluent_available`` is how much of the diluent the batch uses in all (the
    filler or base); the part carried by the aliquot must not exceed it, and
    what remains to add must itself be zero or weighable.  ``what`` names the
    substance in the steps.  With ``readability``, the part taken is rounded
    (half up) to what the balance can weigh, and ``holds`` is what that part
    really holds: ``take ÷ factor``, within ``readability ÷ factor`` of ``required``.
    """
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
        if take < floor or diluent_mass < floor or take > total:
            continue
        if remaining is not None and (remaining < 0 or Decimal(0) < remaining < floor):
            continue
        f = format_number(Decimal(factor))
        steps: tuple[str, ...] = (
            f"Weigh {format_amount(Q_(weigh, 'mg'))} of {what}.",
            f"Weigh {format_amount(Q_(diluent_mass, 'mg'))} of {diluent}.",
            f"Triturate by geometric dilution to a uniform {format_amount(Q_(total, 'mg'))} (1 in {f}).",
            f"Weigh {format_amount(Q_(take, 'mg'))} of the trituration: it holds {format_amount(Q_(holds, 'mg'))} of {what}.",
        )
        if remaining is not None and diluent_available is not None:
            steps += (
                (
                    f"Add the rest of the {diluent}: {format_amount(Q_(remaining, 'mg'))} "
                    f"({format_amount(diluent_available)} in all, less {format_amount(Q_(carried, 'mg'))} "
                    "in the aliquot)."
                ),
            )
        return AliquotPlan(
            method="trituration",
            weigh=Q_(weigh, "mg"),
            diluent=diluent,
            dilute_to=Q_(total, "mg"),
            take=Q_(take, "mg"),
            holds=Q_(holds, "mg"),
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


def solution_plan(
    required: Quantity,
    minimum: Quantity,
    vehicle: str,
    *,
    what: str = "the active",
    final_volume: Quantity,
    max_concentration: Quantity,
    resolution: Quantity,
    readability: Quantity | None = None,
) -> AliquotPlan:
    """Plan a stock solution in the vehicle from which a measured volume holds ``required``.

    The textbook aliquot method, exact by construction: weigh ``k × required``
    (``k`` the smallest of 2, 4, 5, 8, 10, 16, 20 … that brings it to the minimum
    weight, so that every amount is a terminating decimal), make it up to
    ``k × V`` and take ``V``.  ``V`` is the smallest
    volume of at least 1 mL that keeps the stock at or below ``max_concentration``,
    in whole mL when that fits in ``final_volume`` (what the batch still has
    free), else in whole ``resolution`` graduations.  With ``readability``, the
    amount weighed is rounded up to what the balance can weigh and ``holds`` is
    ``weigh ÷ k``, within ``readability ÷ k`` of ``required``.
    """
    need = magnitude(required, "mg")
    floor = magnitude(minimum, "mg")
    final = magnitude(final_volume, "mL")
    k = _decimal_friendly(max(2, math.ceil(floor / need)))
    weigh = need * k
    if readability is not None:  # weigh what the balance can: the aliquot then holds weigh ÷ k
        weigh = round_to_step(weigh, magnitude(readability, "mg"), up=True)
    holds = Q_(weigh / k, "mg")
    limit = magnitude(max_concentration, "mg/mL")
    smallest = max(Decimal(1), need / limit)
    # a whole number of mL when that fits in what is free, else a whole number of graduations
    take = smallest.to_integral_value(rounding=ROUND_CEILING)
    if take > final:
        take = round_to_step(smallest, magnitude(resolution, "mL"), up=True)
    if take > final:
        raise AliquotError(
            "aliquot",
            format_amount(required),
            f"fit a stock solution of at most {format_amount(max_concentration)} whose aliquot fits in the "
            f"{format_amount(final_volume)} of the batch still free (make a larger batch or use a finer balance)",
        )
    stock = take * k
    concentration = Q_(weigh / stock, "mg/mL")
    steps = (
        f"Weigh {format_amount(Q_(weigh, 'mg'))} of {what} ({k} × {format_amount(holds)}).",
        (
            f"Dissolve it in {vehicle} and make up to {format_amount(Q_(stock, 'mL'))} "
            f"({format_amount(concentration, significant=4)})."
        ),
        (
            f"Measure {format_amount(Q_(take, 'mL'))} of the stock solution (1 part in {k}): it holds "
            f"{format_amount(holds)} of {what}; use it as part of the vehicle."
        ),
    )
    return AliquotPlan(
        method="solution",
        weigh=Q_(weigh, "mg"),
        diluent=vehicle,
        dilute_to=Q_(stock, "mL"),
        take=Q_(take, "mL"),
        holds=holds,
        factor=Decimal(k),
        steps=steps,
    )
