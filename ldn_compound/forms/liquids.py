"""Oral liquids and sublingual drops: active by concentration × volume, vehicle q.s. to volume.

>>> from ldn_compound.units import parse_quantity, CONCENTRATION, VOLUME, format_amount
>>> format_amount(active_total(parse_quantity("1 mg/mL", "s", CONCENTRATION), parse_quantity("120 mL", "q", VOLUME)))
'120 mg'
"""

from __future__ import annotations

from decimal import Decimal

from ldn_compound.exceptions import InputError, QuantityError
from ldn_compound.model import Amount, AmountKind
from ldn_compound.settings import Settings
from ldn_compound.units import VOLUME, Quantity, format_amount, is_quantity, magnitude, new_quantity, parse_quantity

__all__ = ["active_total", "excipient", "read_quantity"]


def read_quantity(value: object, settings: Settings) -> Quantity:
    """A volume, from the smallest measured (``settings.liquid_resolution``) to ``settings.max_volume``."""
    quantity = parse_quantity(value, "quantity", VOLUME)
    if quantity < settings.liquid_resolution:
        raise QuantityError(
            "quantity",
            value,
            f"be at least {format_amount(settings.liquid_resolution)}, the smallest volume measured",
            code="quantity-below-measurable",
        )
    if quantity > settings.max_volume:
        raise QuantityError("quantity", value, f"be at most {format_amount(settings.max_volume)}")
    return quantity


def active_total(per_unit: Quantity, quantity: Quantity) -> Quantity:
    """Mass of active in ``quantity`` (a volume) at concentration ``per_unit``."""
    return new_quantity(magnitude(per_unit, "mg/mL") * magnitude(quantity, "mL"), "mg")


def excipient(amount: Amount, made: Quantity) -> tuple[Quantity, str]:
    """An excipient's amount in ``made`` (a volume) and how it is measured."""
    volume = magnitude(made, "mL")
    if amount.kind is AmountKind.W_V and is_quantity(amount.value):
        return new_quantity(magnitude(amount.value, "mg/mL") * volume, "mg"), "weigh"
    if amount.kind is AmountKind.V_V and isinstance(amount.value, Decimal):
        return new_quantity(amount.value * volume, "mL"), "measure"
    if amount.kind is AmountKind.QS:
        return made, "q.s."
    raise InputError("amount", amount.describe(), "be w/v, v/v or q.s. in a liquid formula")  # pragma: no cover
