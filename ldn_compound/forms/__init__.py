"""One module per dosage form, each with the same functions.

- ``read_quantity(value, settings)``: the batch quantity as this form counts it.
- ``active_total(per_unit, quantity)``: the mass of active a quantity holds.
- ``excipient(component, made)``: the amount of a non-active component, and how it is measured.

:mod:`capsules` adds the capsule fill; :mod:`liquids` serves oral liquids and
sublingual drops; :mod:`cream` serves topical creams.
"""

from __future__ import annotations

from types import ModuleType

from ldn_compound.forms import capsules, cream, liquids
from ldn_compound.model import DosageForm

__all__ = ["capsules", "cream", "for_dosage_form", "liquids"]


def for_dosage_form(form: DosageForm) -> ModuleType:
    """The module that does the arithmetic for ``form``."""
    return {
        DosageForm.CAPSULES: capsules,
        DosageForm.ORAL_LIQUID: liquids,
        DosageForm.SUBLINGUAL_DROPS: liquids,
        DosageForm.TOPICAL_CREAM: cream,
    }[form]
