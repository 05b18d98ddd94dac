"""Capsules: count, active per capsule, and the filler that completes each fill.

The filler per capsule is the capsule's capacity for filler alone (the
packing statistic, or nominal volume × bulk density) less what the active
displaces (its mass × the displacement factor).  A fill that needs more room
than the capsule has is an error, never a warning.

>>> from ldn_compound.units import parse_quantity, MASS, format_amount
>>> format_amount(filler_per_capsule(parse_quantity("230 mg", "c", MASS), parse_quantity("4.6 mg", "a", MASS), Decimal(1), "1"))
'225.4 mg'
"""

from __future__ import annotations

import functools
import tomllib
from decimal import Decimal
from importlib import resources
from typing import Final

from ldn_compound.exceptions import CapsuleOverfillError, InputError, QuantityError
from ldn_compound.model import Amount, AmountKind, CapsuleSpec
from ldn_compound.settings import Settings
from ldn_compound.units import (
    COUNT_CAPSULE,
    MASS,
    Quantity,
    format_amount,
    is_quantity,
    magnitude,
    minus,
    new_quantity,
    parse_quantity,
    scaled,
)

__all__ = [
    "CAPSULE_VOLUMES",
    "active_total",
    "capacity",
    "excipient",
    "filler_per_capsule",
    "read_quantity",
    "shell_weight",
]

#: Nominal volumes of empty hard capsules in mL (UNC pharmlabs; capsule makers' data).
CAPSULE_VOLUMES: Final = {
    "000": Decimal("1.37"),
    "00": Decimal("0.95"),
    "0": Decimal("0.68"),
    "1": Decimal("0.50"),
    "2": Decimal("0.37"),
    "3": Decimal("0.30"),
    "4": Decimal("0.21"),
    "5": Decimal("0.13"),
}


@functools.cache
def _shells() -> tuple[str, dict[str, Quantity]]:
    """The empty-shell weights of ``capsule_shells.toml`` (data, with its sources), read once."""
    data = tomllib.loads(resources.files("ldn_compound.forms").joinpath("capsule_shells.toml").read_text("utf-8"))
    weights = {size: parse_quantity(text, f"empty shell {size}", MASS) for size, text in data["weight"].items()}
    return str(data["material"]), weights


def shell_weight(size: str) -> tuple[Quantity, str]:
    """The average weight of one empty shell of ``size``, and what shells it is for.

    >>> weight, material = shell_weight("1")
    >>> format_amount(weight), material
    ('76 mg', 'hard gelatin')
    """
    material, weights = _shells()
    if size not in weights:
        raise InputError("capsule size", size, f"be one of {', '.join(weights)}")
    return weights[size], material


def read_quantity(value: object, settings: Settings) -> Quantity:
    """A whole number of capsules, from 1 to ``settings.max_capsules``."""
    quantity = parse_quantity(value, "quantity", COUNT_CAPSULE, default_unit="capsule")
    count = magnitude(quantity, "capsule")
    if count != count.to_integral_value():
        raise QuantityError("quantity", value, "be a whole number of capsules, e.g. 100")
    if count > settings.max_capsules:
        raise QuantityError("quantity", value, f"be at most {settings.max_capsules} capsules")
    return new_quantity(Decimal(int(count)), "capsule")


def active_total(per_unit: Quantity, quantity: Quantity) -> Quantity:
    """Mass of active in ``quantity`` capsules of ``per_unit`` each."""
    return scaled(per_unit, magnitude(quantity, "capsule"))


def capacity(
    spec: CapsuleSpec, size: str, packing: Quantity | None, bulk_density: Quantity | None
) -> tuple[Quantity, str]:
    """Mass of filler alone that fills one capsule of ``size``, and how it was found."""
    if size not in CAPSULE_VOLUMES:
        raise InputError("capsule size", size, f"be one of {', '.join(CAPSULE_VOLUMES)}")
    if packing is not None:
        return packing, f"packing statistic given for this batch: {format_amount(packing)} per size {size} capsule"
    if bulk_density is None and size in spec.packing:
        stat = spec.packing[size]
        return stat, f"packing statistic of the formula: {format_amount(stat)} of filler per size {size} capsule"
    density = bulk_density if bulk_density is not None else spec.bulk_density
    if density is None:
        raise InputError(
            "capsule size",
            size,
            "have a packing statistic or a bulk density in the formula (or give one for the batch)",
        )
    volume = CAPSULE_VOLUMES[size]
    mass = new_quantity(volume * magnitude(density, "mg/mL"), "mg")
    return mass, (
        f"nominal volume {volume} mL × bulk density {format_amount(density.to('g/mL'), unit='g/mL')} = "
        f"{format_amount(mass)} of filler per size {size} capsule"
    )


def filler_per_capsule(capacity: Quantity, active: Quantity, displacement: Decimal, size: str) -> Quantity:
    """Filler per capsule: capacity less the filler the active displaces; over-full is an error."""
    displaced = scaled(active, displacement)
    filler = minus(capacity, displaced)
    if filler.magnitude < 0:
        raise CapsuleOverfillError(
            "fill",
            f"{format_amount(active)} of active in a size {size} capsule",
            f"fit the capsule's capacity of {format_amount(capacity)}; choose a larger capsule size",
        )
    return filler


def excipient(amount: Amount, made: Quantity) -> tuple[Quantity, str]:
    """A per-capsule excipient for ``made`` capsules: total mass, weighed."""
    if amount.kind is AmountKind.PER_UNIT and is_quantity(amount.value):
        per = parse_quantity(amount.value, "amount", MASS)
        return per * magnitude(made, "capsule"), "weigh"
    raise InputError("amount", amount.describe(), "be a mass per capsule for a capsule formula")  # pragma: no cover
