"""Topical creams: active by w/w strength × mass, base q.s. to the final weight.

>>> from ldn_compound.units import parse_quantity, MASS_FRACTION, MASS, format_amount
>>> format_amount(active_total(parse_quantity("1 mg/g", "s", MASS_FRACTION), parse_quantity("30 g", "q", MASS)))
'30 mg'
"""

from __future__ import annotations

from ldn_compound.exceptions import InputError, QuantityError
from ldn_compound.model import Amount, AmountKind
from ldn_compound.settings import Settings
from ldn_compound.units import MASS, Quantity, format_amount, is_quantity, magnitude, new_quantity, parse_quantity

__all__ = ["active_total", "excipient", "read_quantity"]


def read_quantity(value: object, settings: Settings) -> Quantity:
    """A mass, from the smallest weighed (``settings.default_readability``) to ``settings.max_mass``."""
    quantity = parse_quantity(value, "quantity", MASS)
    if quantity < settings.default_readability:
        raise QuantityError(
            "quantity",
            value,
            f"be at least {format_amount(settings.default_readability)}, the smallest mass weighed",
            code="quantity-below-measurable",
        )
    if quantity > settings.max_mass:
        raise QuantityError("quantity", value, f"be at most {format_amount(settings.max_mass)}")
    return quantity


def active_total(per_unit: Quantity, quantity: Quantity) -> Quantity:
    """Mass of active in ``quantity`` (a mass) at ``per_unit`` (mg/g)."""
    return new_quantity(magnitude(per_unit, "mg/g") * magnitude(quantity, "g"), "mg")


def excipient(amount: Amount, made: Quantity) -> tuple[Quantity, str]:
    """An excipient's amount in ``made`` (a mass); the q.s. base is worked out by the batch."""
    if amount.kind is AmountKind.W_W and is_quantity(amount.value):
        return new_quantity(magnitude(amount.value, "mg/g") * magnitude(made, "g"), "mg"), "weigh"
    if amount.kind is AmountKind.QS:
        return made, "q.s."
    raise InputError("amount", amount.describe(), "be w/w or q.s. in a cream formula")  # pragma: no cover
