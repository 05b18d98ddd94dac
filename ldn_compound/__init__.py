"""ldn_compound: batch calculations, compounding records and labels for low-dose naltrexone.

>>> import ldn_compound
>>> batch = ldn_compound.calculate_batch("ldn-oral-liquid", quantity="120 mL", date="2026-03-01")
>>> [(line.name, line.describe_amount()) for line in batch.ingredients][:2]
[('Naltrexone hydrochloride USP', '120 mg'), ('Ascorbic acid USP', '600 mg')]

The PDF renderers (:func:`render_batch_record`, :func:`render_master_formula`,
:func:`render_labels`, :func:`render_label_sheet`) import reportlab on first use,
so importing the package stays quick; type checkers see their real signatures.

Everything in ``__all__`` is the public API (see the Embedding page of the docs
for the stability promise); other modules' names are internal unless documented.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ldn_compound._version import __version__
from ldn_compound.batch import calculate_batch, parse_lot
from ldn_compound.config import load_pharmacy_config, read_pharmacy_config
from ldn_compound.directions import Directions, parse_directions, parse_sig
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
    MedicineNameError,
    PharmacyConfigError,
    Problem,
    QuantityError,
    RenderError,
    SigCodeFileError,
)
from ldn_compound.loader import load_formula, load_formula_file, load_formulas
from ldn_compound.model import (
    ActiveSource,
    AliquotPlan,
    Amount,
    AmountKind,
    Balance,
    BatchResult,
    BatchWarning,
    BeyondUse,
    CapsuleFill,
    CapsuleSpec,
    Component,
    DosageForm,
    DropsSpec,
    Ingredient,
    Lot,
    MasterFormula,
    MedicineStatus,
    Override,
    Pharmacy,
    PowderSource,
    PreparationClass,
    Prescription,
    QualityCheck,
    Reference,
    ScreenedMedicine,
    Screening,
    StabilityEvidence,
    Step,
    Strength,
    StrengthRange,
    TabletSource,
    TitrationStep,
    TopicalSpec,
    Weighing,
)
from ldn_compound.safety import OpioidListError, find_opioids, load_opioid_list, screen_medicines
from ldn_compound.settings import BudSystem, Settings
from ldn_compound.substances import NALTREXONE_BASE, NALTREXONE_HCL, NALTREXONE_HCL_DIHYDRATE, SaltForm, convert_basis
from ldn_compound.titration import TitrationPlan, TitrationRow, parse_titration, titration_plan
from ldn_compound.units import (
    CONCENTRATION,
    COUNT_CAPSULE,
    MASS,
    MASS_FRACTION,
    VOLUME,
    Kind,
    NumberLike,
    Quantity,
    QuantityLike,
    format_amount,
    parse_quantity,
    ureg,
)

if TYPE_CHECKING:  # the renderers import reportlab: loaded on first use, typed for checkers
    from ldn_compound.render.labels import render_label_sheet, render_labels
    from ldn_compound.render.record import render_batch_record, render_master_formula

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "CONCENTRATION",
    "COUNT_CAPSULE",
    "MASS",
    "MASS_FRACTION",
    "NALTREXONE_BASE",
    "NALTREXONE_HCL",
    "NALTREXONE_HCL_DIHYDRATE",
    "VOLUME",
    "ActiveSource",
    "AliquotError",
    "AliquotPlan",
    "Amount",
    "AmountKind",
    "Balance",
    "BatchResult",
    "BatchWarning",
    "BeyondUse",
    "BudSystem",
    "CapsuleFill",
    "CapsuleOverfillError",
    "CapsuleSpec",
    "CoMedicationError",
    "Component",
    "DataFileError",
    "DimensionError",
    "Directions",
    "DosageForm",
    "DoseLimitError",
    "DropsSpec",
    "FormulaFileError",
    "FormulaNotFoundError",
    "Ingredient",
    "InputError",
    "InputTypeError",
    "Kind",
    "LDNError",
    "LabelFitError",
    "LabelStockFileError",
    "Lot",
    "MasterFormula",
    "MedicineNameError",
    "MedicineStatus",
    "NumberLike",
    "OpioidListError",
    "Override",
    "Pharmacy",
    "PharmacyConfigError",
    "PowderSource",
    "PreparationClass",
    "Prescription",
    "Problem",
    "QualityCheck",
    "Quantity",
    "QuantityError",
    "QuantityLike",
    "Reference",
    "RenderError",
    "SaltForm",
    "ScreenedMedicine",
    "Screening",
    "Settings",
    "SigCodeFileError",
    "StabilityEvidence",
    "Step",
    "Strength",
    "StrengthRange",
    "TabletSource",
    "TitrationPlan",
    "TitrationRow",
    "TitrationStep",
    "TopicalSpec",
    "Weighing",
    "__version__",
    "calculate_batch",
    "convert_basis",
    "find_opioids",
    "format_amount",
    "load_formula",
    "load_formula_file",
    "load_formulas",
    "load_opioid_list",
    "load_pharmacy_config",
    "parse_directions",
    "parse_lot",
    "parse_quantity",
    "parse_sig",
    "parse_titration",
    "read_pharmacy_config",
    "render_batch_record",
    "render_label_sheet",
    "render_labels",
    "render_master_formula",
    "screen_medicines",
    "titration_plan",
    "ureg",
]

_RENDERERS = {
    "render_batch_record": "ldn_compound.render.record",
    "render_master_formula": "ldn_compound.render.record",
    "render_labels": "ldn_compound.render.labels",
    "render_label_sheet": "ldn_compound.render.labels",
}


def __getattr__(name: str) -> Any:
    """Import the PDF renderers (and reportlab) only when first used."""
    module_name = _RENDERERS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'ldn_compound' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
