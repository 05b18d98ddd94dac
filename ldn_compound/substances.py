"""Naltrexone and its salt forms, and conversion between them by molecular weight.

A strength always names its basis (the salt form it is written in).  Amounts
convert between bases by the ratio of molecular weights, never by a typed
factor:

>>> from ldn_compound.units import parse_quantity, MASS, format_amount
>>> dose = parse_quantity("4.5 mg", "dose", MASS)
>>> format_amount(convert_basis(dose, NALTREXONE_HCL, NALTREXONE_BASE), significant=4)
'4.066 mg'
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Final

import attrs

from ldn_compound._toml import parse_toml, read_text
from ldn_compound.exceptions import DataFileError, InputError, Problem
from ldn_compound.i18n import N_
from ldn_compound.units import CONCENTRATION, Quantity, parse_quantity

__all__ = [
    "NALTREXONE_BASE",
    "NALTREXONE_HCL",
    "NALTREXONE_HCL_DIHYDRATE",
    "SALT_FORMS",
    "SaltForm",
    "Substance",
    "convert_basis",
    "salt_form",
    "substance",
]


@attrs.frozen
class SaltForm:
    """One form of the active substance: its id, name, formula and molecular weight (g/mol)."""

    id: str
    name: str
    short_name: str
    formula: str
    molecular_weight: Decimal
    source: str

    def __str__(self) -> str:
        return self.short_name


NALTREXONE_BASE: Final = SaltForm(
    id="base",
    name="naltrexone",
    short_name=N_("naltrexone base"),
    formula="C20H23NO4",
    molecular_weight=Decimal("341.40"),
    source="PubChem; drugs.com monograph",
)
NALTREXONE_HCL: Final = SaltForm(
    id="hcl",
    name="naltrexone hydrochloride",
    short_name=N_("naltrexone HCl"),
    formula="C20H23NO4·HCl",
    molecular_weight=Decimal("377.86"),
    source="USP monograph Naltrexone Hydrochloride; DailyMed label",
)
NALTREXONE_HCL_DIHYDRATE: Final = SaltForm(
    id="hcl-dihydrate",
    name="naltrexone hydrochloride dihydrate",
    short_name=N_("naltrexone HCl dihydrate"),
    formula="C20H23NO4·HCl·2H2O",
    molecular_weight=Decimal("413.90"),
    source="computed: 377.86 + 2 × 18.015 (Guguta et al., Cryst Growth Des 2009)",
)

SALT_FORMS: Final = {form.id: form for form in (NALTREXONE_BASE, NALTREXONE_HCL, NALTREXONE_HCL_DIHYDRATE)}
_ALIASES: Final = {"naltrexone": "base", "hydrochloride": "hcl", "naltrexone-hcl": "hcl", "dihydrate": "hcl-dihydrate"}


def salt_form(name: str | SaltForm, field: str = "basis") -> SaltForm:
    """Look up a salt form by id (``base``, ``hcl``, ``hcl-dihydrate``).

    >>> salt_form("HCl").name
    'naltrexone hydrochloride'
    """
    if isinstance(name, SaltForm):
        return name
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    try:
        return SALT_FORMS[key]
    except KeyError:
        raise InputError(field, name, f"be one of {', '.join(SALT_FORMS)}") from None


def convert_basis(amount: Quantity, source: SaltForm, target: SaltForm) -> Quantity:
    """Convert an amount of naltrexone from one salt form to another (molecular-weight ratio)."""
    if source == target:
        return amount
    converted: Quantity = amount * (target.molecular_weight / source.molecular_weight)
    return converted


@attrs.frozen
class Substance:
    """What the calculation needs to know of a component's substance (``substances.toml``).

    A ``liquid`` is measured, never triturated; ``solubility`` (in water) caps the
    strength of an aliquot stock solution made of it.
    """

    id: str
    state: str = "solid"  # "solid", "liquid" or "semisolid"
    density: Quantity | None = None
    solubility: Quantity | None = None
    source: str = ""

    @property
    def liquid(self) -> bool:
        """Whether the substance is a liquid (measured by volume)."""
        return self.state == "liquid"


_STATES: Final = ("solid", "liquid", "semisolid")


@functools.cache
def _substances() -> dict[str, Substance]:
    path = Path(__file__).with_name("substances.toml")
    data = parse_toml(read_text(path, DataFileError), path.name, DataFileError)
    out: dict[str, Substance] = {}
    problems: list[Problem] = []
    for key, entry in data.items():
        where = f"$.{key}"
        if not isinstance(entry, dict) or entry.get("state") not in _STATES or not entry.get("source"):
            problems.append(Problem(where, f"must have a state ({', '.join(_STATES)}) and a source"))
            continue
        try:
            out[key] = Substance(
                id=key,
                state=entry["state"],
                density=None if "density" not in entry else parse_quantity(entry["density"], "density", CONCENTRATION),
                solubility=None
                if "solubility" not in entry
                else parse_quantity(entry["solubility"], "solubility", CONCENTRATION),
                source=entry["source"],
            )
        except InputError as error:  # pragma: no cover - the shipped file is checked by a test
            problems.append(Problem(where, str(error)))
    if problems:  # pragma: no cover - the shipped file is checked by a test
        raise DataFileError(path.name, problems)
    return out


def substance(component_id: str) -> Substance:
    """The data of a component's substance; a solid of unknown solubility when not listed.

    >>> substance("naltrexone-hcl").solubility
    <Quantity(100, 'milligram / milliliter')>
    >>> substance("purified-water").liquid, substance("some-new-powder").solubility
    (True, None)
    """
    return _substances().get(component_id) or Substance(id=component_id)
