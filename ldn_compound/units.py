"""Quantities: the package's one unit registry, reading user text, printing amounts.

All magnitudes are :class:`~decimal.Decimal`, so arithmetic is exact and never
shows float artefacts such as ``449.99999 mg``.  Text is read by
:func:`parse_quantity`, which checks the dimension the field needs; amounts are
printed by :func:`format_amount` the way a pharmacist writes them.

>>> str(format_amount(parse_quantity("0.0025 g", "dose", MASS)))
'2.5 mg'
>>> format_amount(parse_quantity("5 mg/5 mL", "strength", CONCENTRATION))
'1 mg/mL'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import resources
from typing import Any, Final, TypeAlias, TypeGuard

import pint

from ldn_compound.exceptions import DimensionError, QuantityError

__all__ = [
    "CONCENTRATION",
    "COUNT_CAPSULE",
    "MASS",
    "MASS_FRACTION",
    "Q_",
    "VOLUME",
    "Kind",
    "NumberLike",
    "Quantity",
    "QuantityLike",
    "divided",
    "format_amount",
    "format_number",
    "is_quantity",
    "magnitude",
    "minus",
    "new_quantity",
    "parse_quantity",
    "plus",
    "round_to_step",
    "scaled",
    "sum_of",
    "to_decimal",
    "ureg",
]

ureg: Final[pint.UnitRegistry[Decimal]] = pint.UnitRegistry(
    filename=None,
    non_int_type=Decimal,
    cache_folder=None,
    autoconvert_offset_to_baseunit=False,
)
ureg.load_definitions(str(resources.files("ldn_compound").joinpath("units.txt")))
ureg.formatter.default_format = "~C"

#: The type of every quantity, for annotations; build them with :data:`Q_`, test them with :func:`is_quantity`.
Quantity: TypeAlias = pint.Quantity[Any]
#: What a caller may give where a quantity is meant: text (``"4.5 mg"``), a number in the field's unit, or a quantity.
QuantityLike: TypeAlias = str | int | float | Decimal | Quantity
#: What a caller may give where a number or a percentage is meant: ``97.71``, ``"97.71"``, ``"97.71 %"``.
NumberLike: TypeAlias = str | int | float | Decimal
#: Our registry's quantity class: ``Q_(Decimal("4.5"), "mg")``.
Q_ = ureg.Quantity

#: The most entries a cache keyed by what a user typed holds before it starts again.
_CACHE_SIZE: Final = 1024

#: Each unit text's units container, parsed by pint once (containers are immutable and pint shares them).
_CONTAINERS: dict[str, Any] = {}


def _container(unit: str) -> Any:
    container = _CONTAINERS.get(unit)
    if container is None:
        container = _CONTAINERS[unit] = _interned(ureg.parse_units(unit)._units)  # noqa: SLF001 - the container
    return container


#: One units container for each set of units (equal containers are interchangeable), so that the caches
#: keyed by containers find them by identity rather than by comparing their contents.
_INTERNED: dict[Any, Any] = {}


def _interned(units: Any) -> Any:
    found = _INTERNED.get(units)
    if found is None:
        if len(_INTERNED) >= _CACHE_SIZE:
            return units
        found = _INTERNED[units] = units
    return found


def _plain_quantity() -> bool:
    """Whether a quantity is its magnitude and units container and nothing else (as in pint 0.25)."""
    probe = Q_(Decimal("1.5"), "mg")
    try:
        state = vars(probe)
    except TypeError:  # pragma: no cover - a pint whose quantities have slots
        return False
    return type(probe) is Q_ and state == {"_magnitude": Decimal("1.5"), "_units": _container("mg")}


#: Whether :func:`new_quantity` may build a quantity directly (it checks pint's layout once).
_DIRECT: Final = _plain_quantity()


def _quantity(value: object, units: Any) -> Quantity:
    """``Q_(value, units)`` for a Decimal or int ``value`` and a units container."""
    if not _DIRECT:  # pragma: no cover - another pint layout
        return Q_(value, units)
    quantity: Quantity = object.__new__(Q_)
    quantity._magnitude = value  # noqa: SLF001 - what pint's constructor sets for a number
    quantity._units = units  # noqa: SLF001
    return quantity


def new_quantity(value: object, unit: str) -> Quantity:
    """``Q_(value, unit)``, without parsing ``unit`` again.

    A Decimal or int ``value`` becomes the quantity pint builds, its magnitude and the
    unit's container, directly; any other value (or a pint whose quantities hold more
    than that) goes through pint's constructor.

    >>> new_quantity(Decimal("4.5"), "mg") == Q_(Decimal("4.5"), "mg")
    True
    """
    kind = type(value)
    if kind is Decimal or kind is int:
        return _quantity(value, _container(unit))
    return Q_(value, unit)


# Arithmetic in hot paths.  Each function gives what pint's operator gives, with the same Decimal
# operation on the magnitudes, where that is all pint does: both values quantities of this
# registry with Decimal magnitudes (and, to add or subtract, the same units), the number a
# Decimal or an int.  Anything else goes to pint's operator.  (This registry's units are all
# multiplicative and it does not reduce units after an operation.)


def _ours(quantity: object) -> bool:
    return _DIRECT and type(quantity) is Q_ and type(quantity._magnitude) is Decimal  # noqa: SLF001


def scaled(quantity: Quantity, number: Decimal | int) -> Quantity:
    """``quantity * number``."""
    if _ours(quantity) and type(number) in _NUMBERS:
        return _quantity(quantity._magnitude * number, quantity._units)  # noqa: SLF001
    result: Quantity = quantity * number
    return result


def divided(quantity: Quantity, number: Decimal | int) -> Quantity:
    """``quantity / number``."""
    if _ours(quantity) and type(number) in _NUMBERS:
        return _quantity(quantity._magnitude / number, quantity._units)  # noqa: SLF001
    result: Quantity = quantity / number
    return result


def _same_units(first: Quantity, second: Quantity) -> bool:
    units = first._units  # noqa: SLF001
    return units is second._units or units == second._units  # noqa: SLF001


def plus(first: Quantity, second: Quantity) -> Quantity:
    """``first + second``."""
    if _ours(first) and _ours(second) and _same_units(first, second):
        return _quantity(first._magnitude + second._magnitude, first._units)  # noqa: SLF001
    result: Quantity = first + second
    return result


def minus(first: Quantity, second: Quantity) -> Quantity:
    """``first - second``."""
    if _ours(first) and _ours(second) and _same_units(first, second):
        return _quantity(first._magnitude - second._magnitude, first._units)  # noqa: SLF001
    result: Quantity = first - second
    return result


def sum_of(quantities: Iterable[Quantity], start: Quantity) -> Quantity:
    """``sum(quantities, start)``: ``start`` plus each quantity in turn."""
    result = start
    for quantity in quantities:
        result = plus(result, quantity)
    return result


_NUMBERS: Final = (Decimal, int)


def is_quantity(value: object) -> TypeGuard[Quantity]:
    """Whether ``value`` is a pint quantity (of any registry)."""
    return isinstance(value, pint.Quantity)


class Kind:
    """A kind of quantity a field accepts: its dimension, canonical unit and a plain name.

    ``example`` is shown in error messages ("a mass, e.g. '4.5 mg'").
    """

    __slots__ = ("canonical", "dimensionality", "example", "name")

    def __init__(self, name: str, canonical: str, example: str) -> None:
        self.name = name
        self.canonical = canonical
        self.example = example
        self.dimensionality = ureg.parse_units(canonical).dimensionality

    def __repr__(self) -> str:
        return f"Kind({self.name!r})"


MASS: Final = Kind("a mass", "mg", "4.5 mg")
VOLUME: Final = Kind("a volume", "mL", "120 mL")
CONCENTRATION: Final = Kind("a mass per volume", "mg/mL", "1 mg/mL")
MASS_FRACTION: Final = Kind("a mass per mass", "mg/g", "1 mg/g")
COUNT_CAPSULE: Final = Kind("a number of capsules", "capsule", "100")

_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?"
# Both patterns run on stripped text of at most _MAX_TEXT characters, and neither backtracks
# more than linearly: no two neighbouring parts can match the same characters.
_QUANTITY_RE = re.compile(rf"(?P<num>{_NUMBER})\s*(?P<unit>[^\d\s].*)?")
_RATIO_RE = re.compile(
    rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>[^\d\s/]+?)\s*/\s*(?P<den>{_NUMBER})\s*(?P<dunit>[^\d\s/]+?)\s*$"
)
#: Numbers are accepted from 10^-15 to 10^15 (in the unit given): far beyond any batch, and exact in Decimal.
_MAX_DIGITS = 15
#: The longest quantity text read ("4.5 mg/capsule" is 14 characters).
_MAX_TEXT = 100


def to_decimal(value: object, field: str = "value") -> Decimal:
    """Turn a number (int, Decimal, float or numeric text) into an exact Decimal.

    Floats go through their shortest text form, so ``0.1`` becomes ``Decimal('0.1')``.

    >>> to_decimal(0.1)
    Decimal('0.1')
    """
    if isinstance(value, bool):
        raise QuantityError(field, value, "be a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        if len(value) > _MAX_TEXT:
            raise QuantityError(field, value, f"be at most {_MAX_TEXT} characters (got {len(value)})")
        text = value.strip()
        if re.fullmatch(r"[+-]?\d{1,3},\d{3}", text):  # "1,000": a thousands separator or a decimal comma?
            raise QuantityError(field, value, "be written without a thousands separator, e.g. 1000 (or 1.000 for one)")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # a decimal comma: "4,5"
        if not re.fullmatch(_NUMBER, text):
            raise QuantityError(field, value, "be a number")
        try:
            result = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            raise QuantityError(field, value, "be a number") from None
    else:
        raise QuantityError(field, value, "be a number")
    if not result.is_finite():
        raise QuantityError(field, value, "be a finite number")
    if result != 0 and abs(result.adjusted()) > _MAX_DIGITS:
        raise QuantityError(field, value, f"be a number of sensible size (from 1e-{_MAX_DIGITS} to 1e{_MAX_DIGITS})")
    return result


def _units(text: str, field: str, original: object) -> Any:
    cleaned = text.strip().replace("μ", "µ")
    if not cleaned:
        return ureg.dimensionless
    if not re.fullmatch(r"[A-Za-zµ%/*·. ()]+", cleaned) or re.search(r"\d", cleaned):
        raise QuantityError(field, original, "be a number followed by a unit such as 'mg', 'mL' or 'mg/mL'")
    try:
        return ureg.parse_units(cleaned.replace("·", "*"))
    except Exception:  # noqa: BLE001 - pint's parser fails in many ways (TokenError, RecursionError…): all bad input
        raise QuantityError(
            field, original, "use units ldn_compound knows (mg, g, mcg, kg, mL, L, %, capsule, drop, click)"
        ) from None


def _from_text(original: str, field: str) -> Quantity:
    if len(original) > _MAX_TEXT:
        raise QuantityError(field, original, f"be at most {_MAX_TEXT} characters (got {len(original)})")
    text = original.strip()
    ratio = _RATIO_RE.match(text)
    if ratio:
        # "5 mg/5 mL": both sides are quantities; pint alone would read mg·mL.
        num = Q_(to_decimal(ratio["num"], field), _units(ratio["unit"], field, text))
        den_value = to_decimal(ratio["den"], field)
        if den_value == 0:
            raise QuantityError(field, text, "not divide by zero")
        den = Q_(den_value, _units(ratio["dunit"], field, text))
        ratio_quantity: Quantity = num / den
        return ratio_quantity
    match = _QUANTITY_RE.fullmatch(text)
    if not match:
        raise QuantityError(field, text, "be a number followed by a unit, e.g. '4.5 mg', '120 mL' or '1 mg/mL'")
    unit_text = match["unit"] or ""
    if "/" in unit_text and re.search(r"/\s*[^/]*\d", unit_text):
        raise QuantityError(field, text, "be written as 'amount/volume', e.g. '5 mg/5 mL' or '1 mg/mL'")
    return Q_(to_decimal(match["num"], field), _units(unit_text, field, text))


def _rebuild(value: Any, field: str) -> Quantity:
    """Rebuild a quantity from any pint registry in ours, with a Decimal magnitude."""
    try:
        units = ureg.parse_units(str(value.units))
    except Exception:  # noqa: BLE001 - any unit we do not know is a bad input
        raise QuantityError(field, value, "use units ldn_compound knows (mg, g, mcg, mL, L, capsule, drop)") from None
    return Q_(to_decimal(value.magnitude, field), units)


def parse_quantity(
    value: object,
    field: str,
    kind: Kind,
    *,
    positive: bool = True,
    default_unit: str | None = None,
) -> Quantity:
    """Read ``value`` (text, a number with ``default_unit``, or a quantity) as ``kind``.

    The result is in the kind's canonical unit (mg, mL, mg/mL, mg/g), so equal
    quantities compare and hash equal.  Raises :class:`~ldn_compound.exceptions.QuantityError` for text
    that is not a quantity, :class:`~ldn_compound.exceptions.DimensionError` for the wrong kind, and
    :class:`~ldn_compound.exceptions.QuantityError` for zero or negative amounts when ``positive``.

    >>> print(parse_quantity("0.25 g", "mass", MASS))
    250 mg
    """
    key = (value, kind, positive, default_unit) if type(value) is str else None
    if key is not None:
        read = _READ.get(key)
        if read is not None:
            return _quantity(*read)
    result = _parse(value, field, kind, positive=positive, default_unit=default_unit)
    read = (result.magnitude, _interned(result._units))  # noqa: SLF001 - the immutable parts, never the quantity
    if key is not None:
        if len(_READ) >= _CACHE_SIZE:
            _READ.clear()
        _READ[key] = read
    return _quantity(*read)


#: Text read by :func:`parse_quantity`, and what it read (the magnitude and units, both immutable);
#: text that is refused is read again each time, so its error names its own field.
_READ: dict[tuple[str, Kind, bool, str | None], tuple[Decimal, Any]] = {}


def _parse(value: object, field: str, kind: Kind, *, positive: bool, default_unit: str | None) -> Quantity:
    if isinstance(value, pint.Quantity):
        quantity = value if value._REGISTRY is ureg else _rebuild(value, field)  # noqa: SLF001
        number = to_decimal(quantity.magnitude, field)  # a finite number of sensible size, even in a Quantity
        if number is not quantity.magnitude:
            quantity = Q_(number, quantity.units)
    elif isinstance(value, str):
        if not value.strip():
            raise QuantityError(field, value, f"be {kind.name}, e.g. {kind.example!r}")
        quantity = _from_text(value, field)
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        quantity = Q_(to_decimal(value, field), ureg.dimensionless)
    else:
        raise QuantityError(field, value, f"be {kind.name}, e.g. {kind.example!r}")

    if quantity.dimensionless and quantity.units == ureg.dimensionless and kind.dimensionality:
        if default_unit is None:
            raise QuantityError(field, value, f"carry a unit: {kind.name}, e.g. {kind.example!r}")
        quantity = Q_(quantity.magnitude, default_unit)
    if quantity.dimensionality != kind.dimensionality:
        raise DimensionError(field, value, f"{kind.name}, e.g. {kind.example!r}", _describe(quantity))
    if kind is MASS_FRACTION and quantity.units == ureg.dimensionless:
        raise QuantityError(field, value, f"carry a unit: {kind.name}, e.g. {kind.example!r}")
    result = quantity.to(kind.canonical)
    if positive and result.magnitude <= 0:
        raise QuantityError(field, value, "be greater than zero")
    return Q_(_tidy(result.magnitude), result.units)


def _tidy(value: Decimal) -> Decimal:
    """The same number without trailing zeros or an exponent: 250.00 → 250, 2.50 → 2.5."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


_DIMENSION_NAMES: Final = {
    MASS.dimensionality: "a mass",
    VOLUME.dimensionality: "a volume",
    CONCENTRATION.dimensionality: "a mass per volume",
    MASS_FRACTION.dimensionality: "a mass per mass or a plain number",
    COUNT_CAPSULE.dimensionality: "a number of capsules",
}


def _describe(quantity: Quantity) -> str:
    name = _DIMENSION_NAMES.get(quantity.dimensionality)
    return name or f"a quantity in {quantity.units:~C}"


_FACTORS: dict[tuple[Any, str], Decimal] = {}
_SYMBOLS: dict[str, str] = {}


def _factor(units: Any, unit: str) -> Decimal:
    """The exact factor from ``units`` to ``unit``, worked out by pint once and cached."""
    key = (units, unit)
    factor = _FACTORS.get(key)
    if factor is None:
        factor = Q_(Decimal(1), units).to(unit).magnitude
        _FACTORS[key] = factor
    return factor


def magnitude(quantity: Quantity, unit: str) -> Decimal:
    """The Decimal magnitude of ``quantity`` in ``unit`` (pint's conversion, cached per unit pair)."""
    value = _decimal(quantity)
    factor = _FACTORS.get((quantity._units, unit))  # noqa: SLF001 - the hashable units container
    if factor is None:
        factor = _factor(quantity._units, unit)  # noqa: SLF001
    return value * factor


def _decimal(quantity: Quantity) -> Decimal:
    """The magnitude of ``quantity`` as a Decimal."""
    value = quantity.magnitude
    return value if isinstance(value, Decimal) else to_decimal(value)


def _symbol(unit: str) -> str:
    symbol = _SYMBOLS.get(unit)
    if symbol is None:
        symbol = _SYMBOLS[unit] = f"{ureg.parse_units(unit):~C}"
    return symbol


def round_to_step(value: Decimal, step: Decimal, *, up: bool = False) -> Decimal:
    """Round ``value`` to a whole multiple of ``step``: half up, or always up when ``up``.

    >>> round_to_step(Decimal("4.98055"), Decimal("0.1"))
    Decimal('5.0')
    """
    steps = (value / step).quantize(Decimal(1), rounding=ROUND_CEILING if up else ROUND_HALF_UP)
    return steps * step


def format_number(value: Decimal, *, significant: int | None = None, places: int | None = None) -> str:
    """Print a number as a pharmacist writes it: no exponent, no trailing zeros, a leading zero.

    ``significant`` rounds to that many significant figures, ``places`` to that
    many decimal places (both half up); without either the value prints exactly.

    >>> format_number(Decimal("4.9805"), significant=3), format_number(Decimal("5.000"))
    ('4.98', '5')
    """
    if significant is not None and value != 0:
        exponent = value.adjusted() - significant + 1
        value = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return _plain(value)


def _plain(value: Decimal) -> str:
    """``value`` printed exactly: no exponent, no trailing zeros, a leading zero, never ``-0``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in {"-0", ""}:
        text = "0"
    return text


# For each kind: (threshold in the canonical unit, display unit), largest first.
_DISPLAY_UNITS: Final = {
    MASS.dimensionality: (
        (Decimal(1_000_000), "kg"),
        (Decimal(1000), "g"),
        (Decimal("0.1"), "mg"),
        (Decimal(0), "mcg"),
    ),
    VOLUME.dimensionality: ((Decimal(1000), "L"), (Decimal(0), "mL")),
}
_CANONICAL: Final = {kind.dimensionality: kind.canonical for kind in (MASS, VOLUME, CONCENTRATION, MASS_FRACTION)}


#: A kind's display choices for one units container: (threshold in the canonical unit, display unit,
#: the factor from the container's units to the display unit), largest first.
_Choices: TypeAlias = tuple[tuple[Decimal, str, Decimal], ...]
#: Per units container: its display choices (None for a kind with one unit), its canonical unit (or
#: symbol) and the factor to that unit (None without choices).
_DISPLAY: dict[Any, tuple[_Choices | None, str, Decimal | None]] = {}


def _display_choices(quantity: Quantity) -> tuple[_Choices | None, str, Decimal | None]:
    """How a quantity of these units is displayed: found from its dimensionality once per units container."""
    units = quantity._units  # noqa: SLF001 - the hashable units container
    found = _DISPLAY.get(units)
    if found is None:
        dimensionality = quantity.dimensionality
        choices = _DISPLAY_UNITS.get(dimensionality)
        if choices is None:
            found = (None, _CANONICAL.get(dimensionality) or _symbol(str(quantity.units)), None)
        else:
            canonical = _CANONICAL[dimensionality]
            with_factors = tuple((threshold, unit, _factor(units, unit)) for threshold, unit in choices)
            found = (with_factors, canonical, _factor(units, canonical))
        if len(_DISPLAY) < _CACHE_SIZE:
            _DISPLAY[units] = found
    return found


def _choose(choices: _Choices, canonical: str, to_canonical: Decimal, value: Decimal) -> tuple[str, Decimal]:
    """The display unit of an amount of ``value`` (in its own units) and the factor to it."""
    size = abs(value * to_canonical)
    if size == 0:
        return canonical, to_canonical
    for threshold, unit, factor in choices:
        if size >= threshold:
            return unit, factor
    return choices[-1][1], choices[-1][2]  # pragma: no cover - the last threshold is zero


def display_unit(quantity: Quantity) -> str:
    """The unit an amount is printed in: mcg below 0.1 mg, mg below 1 g, then g; mL below 1 L; zero in mg or mL."""
    choices, canonical, to_canonical = _display_choices(quantity)
    if choices is None or to_canonical is None:
        return canonical
    return _choose(choices, canonical, to_canonical, _decimal(quantity))[0]


def format_amount(
    quantity: Quantity,
    *,
    significant: int | None = None,
    places: int | None = None,
    unit: str | None = None,
) -> str:
    """Print an amount with a sensible unit: ``2.5 mg`` (not ``0.0025 g``), ``23.68 g`` (not ``23680 mg``).

    The value prints exactly unless ``significant`` or ``places`` asks for rounding
    (half up); ``unit`` forces a display unit.  The result is text that
    :func:`parse_quantity` reads back to the same quantity.

    >>> format_amount(parse_quantity("23680 mg", "mass", MASS))
    '23.68 g'
    """
    if unit:
        target = unit
        value = quantity.magnitude
        if not isinstance(value, Decimal):
            value = to_decimal(value)
        units = quantity._units  # noqa: SLF001 - the hashable units container
        factor = _FACTORS.get((units, target))
    else:  # display_unit, and the factor to the unit chosen
        units = quantity._units  # noqa: SLF001
        found = _DISPLAY.get(units)
        choices, target, factor = _display_choices(quantity) if found is None else found
        value = quantity.magnitude
        if not isinstance(value, Decimal):
            value = to_decimal(value)
        if choices is not None and factor is not None:
            size = abs(value * factor)
            if size != 0:
                for threshold, choice, to_choice in choices:
                    if size >= threshold:
                        target, factor = choice, to_choice
                        break
                else:  # pragma: no cover - the last threshold is zero
                    target, factor = choices[-1][1], choices[-1][2]
    if factor is None:
        factor = _factor(units, target)
    if significant is None and places is None:
        number = _plain(value * factor)
    else:
        number = format_number(value * factor, significant=significant, places=places)
    if unit is None and (significant is not None or places is not None):
        rounded = new_quantity(Decimal(number), target)  # 999.99995 mg to 6 figures is 1000 mg: print it as 1 g
        if display_unit(rounded) != target:
            return format_amount(rounded)
    symbol = _SYMBOLS.get(target) or _symbol(target)
    if symbol in {"capsule", "tablet", "drop", "click"} and number != "1":
        symbol += "s"
    return f"{number} {symbol}"
