"""ldn_compound: batch calculations, compounding records and labels for low-dose naltrexone.

>>> import ldn_compound
>>> batch = ldn_compound.calculate_batch("ldn-oral-liquid", quantity="120 mL", date="2026-03-01")
>>> [(line.name, line.describe_amount()) for line in batch.ingredients][:2]
[('Naltrexone hydrochloride USP', '120 mg'), ('Ascorbic acid USP', '600 mg')]

The PDF renderers (:func:`render_batch_record`, :func:`render_master_formula`,
:func:`render_labels`) import reportlab on first use, so importing the package
stays quick.
"""

from __future__ import annotations

from typing import Any

from ldn_compound._version import __version__
from ldn_compound.batch import calculate_batch, parse_lot
from ldn_compound.exceptions import (
    AliquotError,
    CapsuleOverfillError,
    CoMedicationError,
    DataFileError,
    DimensionError,
    DoseLimitError,
    FormulaFileError,
    FormulaNotFoundError,
    InputError,
    InputTypeError,
    LabelFitError,
    LabelStockFileError,
    LDNError,
    PharmacyConfigError,
    Problem,
    QuantityError,
    RenderError,
)
from ldn_compound.loader import load_formula, load_formula_file, load_formulas
from ldn_compound.model import (
    AliquotPlan,
    Balance,
    BatchResult,
    BatchWarning,
    BeyondUse,
    CapsuleFill,
    Component,
    DosageForm,
    Ingredient,
    Lot,
    MasterFormula,
    Override,
    Pharmacy,
    PowderSource,
    PreparationClass,
    Prescription,
    Step,
    Strength,
    StrengthRange,
    TabletSource,
    TitrationStep,
)
from ldn_compound.settings import BudSystem, Settings
from ldn_compound.substances import NALTREXONE_BASE, NALTREXONE_HCL, NALTREXONE_HCL_DIHYDRATE, SaltForm, convert_basis
from ldn_compound.units import format_amount, parse_quantity, ureg

__all__ = [
    "NALTREXONE_BASE",
    "NALTREXONE_HCL",
    "NALTREXONE_HCL_DIHYDRATE",
    "AliquotError",
    "AliquotPlan",
    "Balance",
    "BatchResult",
    "BatchWarning",
    "BeyondUse",
    "BudSystem",
    "CapsuleFill",
    "CapsuleOverfillError",
    "CoMedicationError",
    "Component",
    "DataFileError",
    "DimensionError",
    "DosageForm",
    "DoseLimitError",
    "FormulaFileError",
    "FormulaNotFoundError",
    "Ingredient",
    "InputError",
    "InputTypeError",
    "LDNError",
    "LabelFitError",
    "LabelStockFileError",
    "Lot",
    "MasterFormula",
    "Override",
    "Pharmacy",
    "PharmacyConfigError",
    "PowderSource",
    "PreparationClass",
    "Prescription",
    "Problem",
    "QuantityError",
    "RenderError",
    "SaltForm",
    "Settings",
    "Step",
    "Strength",
    "StrengthRange",
    "TabletSource",
    "TitrationStep",
    "__version__",
    "calculate_batch",
    "convert_basis",
    "format_amount",
    "load_formula",
    "load_formula_file",
    "load_formulas",
    "parse_lot",
    "parse_quantity",
    "render_batch_record",
    "render_labels",
    "render_master_formula",
    "ureg",
]

_RENDERERS = {
    "render_batch_record": "ldn_compound.render.record",
    "render_master_formula": "ldn_compound.render.record",
    "render_labels": "ldn_compound.render.labels",
}


def __getattr__(name: str) -> Any:
    """Import the PDF renderers (and reportlab) only when first used."""
    module_name = _RENDERERS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'ldn_compound' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
