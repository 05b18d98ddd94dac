"""A consumer of ldn_compound that uses every exported name, type-checked with mypy --strict in the tests.

It also runs (the test executes it), so the names resolve and the calls work as typed.
"""

from __future__ import annotations

import io
from decimal import Decimal

import ldn_compound
from ldn_compound import (
    CONCENTRATION,
    COUNT_CAPSULE,
    MASS,
    MASS_FRACTION,
    NALTREXONE_BASE,
    NALTREXONE_HCL,
    NALTREXONE_HCL_DIHYDRATE,
    VOLUME,
    ActiveSource,
    AliquotError,
    AliquotPlan,
    Amount,
    AmountKind,
    Balance,
    BatchResult,
    BatchWarning,
    BeyondUse,
    BudSystem,
    CapsuleFill,
    CapsuleOverfillError,
    CapsuleSpec,
    CoMedicationError,
    Component,
    DataFileError,
    DimensionError,
    Directions,
    DosageForm,
    DoseLimitError,
    DropsSpec,
    FormulaFileError,
    FormulaNotFoundError,
    Ingredient,
    InputError,
    InputTypeError,
    Kind,
    LabelFitError,
    LabelStockFileError,
    LDNError,
    Lot,
    MasterFormula,
    MedicineNameError,
    MedicineStatus,
    NumberLike,
    OpioidListError,
    Override,
    Pharmacy,
    PharmacyConfigError,
    PowderSource,
    PreparationClass,
    Prescription,
    Problem,
    QualityCheck,
    Quantity,
    QuantityError,
    QuantityLike,
    Reference,
    RenderError,
    SaltForm,
    ScreenedMedicine,
    Screening,
    Settings,
    SigCodeFileError,
    StabilityEvidence,
    Step,
    Strength,
    StrengthRange,
    TabletSource,
    TitrationPlan,
    TitrationRow,
    TitrationStep,
    TopicalSpec,
    Weighing,
    __version__,
    calculate_batch,
    convert_basis,
    find_opioids,
    format_amount,
    load_formula,
    load_formula_file,
    load_formulas,
    load_opioid_list,
    load_pharmacy_config,
    parse_directions,
    parse_lot,
    parse_quantity,
    parse_sig,
    parse_titration,
    read_pharmacy_config,
    render_batch_record,
    render_label_sheet,
    render_labels,
    render_master_formula,
    screen_medicines,
    titration_plan,
    ureg,
)

KINDS: tuple[Kind, ...] = (CONCENTRATION, COUNT_CAPSULE, MASS, MASS_FRACTION, VOLUME)
SALTS: tuple[SaltForm, ...] = (NALTREXONE_BASE, NALTREXONE_HCL, NALTREXONE_HCL_DIHYDRATE)
ERRORS: tuple[type[LDNError], ...] = (
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
    MedicineNameError,
    OpioidListError,
    PharmacyConfigError,
    QuantityError,
    RenderError,
    SigCodeFileError,
)
VALUE_TYPES: tuple[type, ...] = (
    ActiveSource.__class__,
    AliquotPlan,
    Amount,
    AmountKind,
    Balance,
    BatchWarning,
    BeyondUse,
    BudSystem,
    CapsuleFill,
    CapsuleSpec,
    Component,
    DropsSpec,
    Ingredient,
    Lot,
    Override,
    PowderSource,
    PreparationClass,
    Problem,
    QualityCheck,
    Reference,
    StabilityEvidence,
    Step,
    StrengthRange,
    TabletSource,
    TitrationPlan,
    TitrationRow,
    TopicalSpec,
    Weighing,
)


def main() -> str:
    """Calculate, check and render a capsule batch and a titrated liquid, all in memory."""
    assert __version__
    assert ldn_compound.__all__
    formula: MasterFormula = load_formula("ldn-capsules")
    assert formula.dosage_form is DosageForm.CAPSULES
    assert len(load_formulas()) >= 4
    settings = Settings()
    given: QuantityLike = "4.5 mg"
    percent: NumberLike = "99.1"
    dose: Quantity = parse_quantity(given, "dose", MASS)
    strength = Strength(dose, NALTREXONE_HCL)
    sig: Directions = parse_sig("1 cap po qhs")
    assert parse_directions(sig.text()) == sig
    assert sig.text("es").startswith("Tome 1 cápsula")
    base = convert_basis(dose, NALTREXONE_HCL, NALTREXONE_BASE)
    batch: BatchResult = calculate_batch(
        formula,
        quantity=30,
        strength="4.5 mg",
        potency=percent,
        date="2026-03-01",
        lots=[parse_lot("naltrexone-hcl=NX2291:2027-06-30")],
        directions=sig,
        settings=settings,
    )
    assert batch.days_supply == 30
    pharmacy: Pharmacy = read_pharmacy_config('[pharmacy]\nname = "Riverside Compounding Pharmacy"\n')
    prescription = Prescription(
        number="104233",
        patient="Ann Example",
        prescriber="Dr. A. Reyes",
        directions=sig.text(),
        date_filled=batch.compounding_date,
        sig=batch.directions,
    )
    record, labels, sheet, mfr = io.BytesIO(), io.BytesIO(), io.BytesIO(), io.BytesIO()
    render_batch_record(batch, record, pharmacy=pharmacy)
    render_labels(batch, labels, prescriptions=[prescription], pharmacy=pharmacy)
    render_label_sheet([(batch, prescription)], sheet, pharmacy=pharmacy)
    render_master_formula(formula, mfr, pharmacy=pharmacy)
    liquid = calculate_batch("ldn-oral-liquid", quantity="120 mL", date="2026-03-01")
    steps: tuple[TitrationStep, ...] = parse_titration("1.5 mg for 7 days, then 3 mg")
    plan = titration_plan(liquid, steps)
    assert ureg.Quantity(1, "mg") == dose / Decimal("4.5")
    assert callable(load_formula_file)
    assert callable(load_pharmacy_config)
    assert KINDS
    assert SALTS
    assert ERRORS
    assert VALUE_TYPES
    screening: Screening = screen_medicines(
        ["metformin", "Percocet 5/325 mg"], co_medication_reason="stopped", opioid_list=load_opioid_list()
    )
    first: ScreenedMedicine = screening.medicines[1]
    assert first.status is MedicineStatus.OPIOID
    assert find_opioids(["rxcui:7804"]) == ("oxycodone",)
    screened: BatchResult = calculate_batch(formula, quantity=30, other_medicines=["metformin"])
    assert screened.screening.result == "no-opioid"
    return " ".join(
        (
            format_amount(base, significant=4),
            strength.describe(),
            str(len(plan.rows)),
            str(record.getvalue()[:5]),
            str(len(mfr.getvalue()) > 0),
        )
    )


if __name__ == "__main__":
    print(main())  # noqa: T201 - a script that shows what it made
