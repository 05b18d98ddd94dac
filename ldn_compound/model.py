"""The domain values: master formulas, batch inputs and batch results.

Every class is an immutable, validated :mod:`attrs` value (change one with
:func:`attrs.evolve`).  Nothing here does I/O or arithmetic beyond what a value
needs to describe itself; the calculations live in ``ldn_compound.batch``
and ``ldn_compound.forms``.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from ldn_compound.exceptions import InputError, InputTypeError
from ldn_compound.i18n import N_
from ldn_compound.substances import NALTREXONE_HCL, SaltForm, anhydrous_form, convert_basis
from ldn_compound.text import MAX_LINE, MAX_LIST_ITEMS, MAX_NAME, MAX_PARAGRAPH, check_text
from ldn_compound.units import (
    CONCENTRATION,
    MASS,
    MASS_FRACTION,
    Kind,
    Quantity,
    format_amount,
    format_number,
    is_quantity,
    parse_quantity,
    plus,
    scaled,
)

if TYPE_CHECKING:
    from ldn_compound.directions import Directions

__all__ = [
    "ASSAY_BASES",
    "ActiveSource",
    "AliquotPlan",
    "Amount",
    "AmountKind",
    "Balance",
    "BatchResult",
    "BatchWarning",
    "BeyondUse",
    "CapsuleFill",
    "CapsuleSpec",
    "Component",
    "DosageForm",
    "DropsSpec",
    "Ingredient",
    "Lot",
    "MasterFormula",
    "MedicineStatus",
    "Override",
    "Pharmacy",
    "PowderSource",
    "PreparationClass",
    "Prescription",
    "QualityCheck",
    "Reference",
    "ScreenedMedicine",
    "Screening",
    "StabilityEvidence",
    "Step",
    "Strength",
    "StrengthRange",
    "TabletSource",
    "TitrationStep",
    "TopicalSpec",
    "Weighing",
    "dosage_form_name",
    "is_suspension",
]


class DosageForm(enum.StrEnum):
    """The four LDN dosage forms, each with the kinds of its strength and batch quantity."""

    CAPSULES = "capsules"
    ORAL_LIQUID = "oral-liquid"
    SUBLINGUAL_DROPS = "sublingual-drops"
    TOPICAL_CREAM = "topical-cream"

    @property
    def strength_kind(self) -> Kind:
        """What a strength is: a mass per capsule, a mass per volume or a mass per mass."""
        return {
            DosageForm.CAPSULES: MASS,
            DosageForm.ORAL_LIQUID: CONCENTRATION,
            DosageForm.SUBLINGUAL_DROPS: CONCENTRATION,
            DosageForm.TOPICAL_CREAM: MASS_FRACTION,
        }[self]

    @property
    def strength_rule(self) -> str:
        """What a strength of this form is, with an example, for error messages."""
        return {
            DosageForm.CAPSULES: "a mass per capsule, e.g. '4.5 mg'",
            DosageForm.ORAL_LIQUID: "a mass per volume, e.g. '1 mg/mL'",
            DosageForm.SUBLINGUAL_DROPS: "a mass per volume, e.g. '10 mg/mL'",
            DosageForm.TOPICAL_CREAM: "a mass per mass, e.g. '1 mg/g'",
        }[self]

    @property
    def quantity_rule(self) -> str:
        """The words used when a batch quantity of the wrong kind is given."""
        return {
            DosageForm.CAPSULES: "a number of capsules, e.g. 100",
            DosageForm.ORAL_LIQUID: "a volume, e.g. '120 mL'",
            DosageForm.SUBLINGUAL_DROPS: "a volume, e.g. '30 mL'",
            DosageForm.TOPICAL_CREAM: "a mass, e.g. '30 g'",
        }[self]

    @property
    def display_name(self) -> str:
        """The dosage form as printed on records and labels."""
        return {
            DosageForm.CAPSULES: N_("capsules"),
            DosageForm.ORAL_LIQUID: N_("oral liquid"),
            DosageForm.SUBLINGUAL_DROPS: N_("sublingual drops"),
            DosageForm.TOPICAL_CREAM: N_("topical cream"),
        }[self]

    @property
    def route(self) -> str:
        """The route of administration."""
        return {
            DosageForm.CAPSULES: "oral",
            DosageForm.ORAL_LIQUID: "oral",
            DosageForm.SUBLINGUAL_DROPS: "sublingual",
            DosageForm.TOPICAL_CREAM: "topical",
        }[self]


class PreparationClass(enum.StrEnum):
    """The USP <795> (2023) classes that set the default beyond-use date."""

    AQUEOUS_UNPRESERVED = "aqueous-unpreserved"
    AQUEOUS_PRESERVED = "aqueous-preserved"
    NONAQUEOUS_ORAL_LIQUID = "nonaqueous-oral-liquid"
    NONAQUEOUS_OTHER = "nonaqueous-other"

    @property
    def aqueous(self) -> bool:
        """Whether the preparation is aqueous (water activity at or above 0.6)."""
        return self in {PreparationClass.AQUEOUS_UNPRESERVED, PreparationClass.AQUEOUS_PRESERVED}


def _strip(value: object) -> str:
    return str(value).strip()


def _non_empty(_instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not value:
        raise InputError(attribute.name, value, "not be empty")


def _printable(field: str, limit: int = MAX_NAME, *, newlines: bool = False) -> Any:
    """A validator: text safe to print (no control, bidirectional or invisible characters), at most ``limit`` long."""

    def check(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str):
            raise InputTypeError(field, value, "text")
        if value.strip():  # blank text is for the field's own rule to refuse, with its own message
            check_text(field, value, limit=limit, newlines=newlines)

    return check


def _printable_lines(field: str, limit: int = MAX_LINE) -> Any:
    """A validator: a tuple of texts, each safe to print and at most ``limit`` long."""

    def check(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple):
            raise InputTypeError(field, value, "a tuple of texts")
        if len(value) > MAX_LIST_ITEMS:
            raise InputError(field, f"{len(value)} items", f"have at most {MAX_LIST_ITEMS} items")
        for item in value:
            if not isinstance(item, str):
                raise InputTypeError(field, item, "text")
            check_text(field, item, limit=limit)

    return check


@attrs.frozen
class Strength:
    """An amount of naltrexone per unit with its basis, e.g. ``4.5 mg naltrexone HCl`` per capsule.

    ``amount`` is a mass (per capsule), a mass per volume or a mass per mass,
    in the canonical unit (mg, mg/mL, mg/g).
    """

    amount: Quantity
    basis: SaltForm = NALTREXONE_HCL

    def to_basis(self, basis: SaltForm) -> Strength:
        """The same strength written in another salt form."""
        return Strength(convert_basis(self.amount, self.basis, basis), basis)

    def describe(self, *, significant: int | None = None) -> str:
        """``4.5 mg naltrexone HCl``."""
        return f"{format_amount(self.amount, significant=significant)} {self.basis.short_name}"

    def __str__(self) -> str:
        return self.describe()


@attrs.frozen
class StrengthRange:
    """A formula's default strength and the range it allows, in one basis."""

    default: Quantity
    minimum: Quantity
    maximum: Quantity
    basis: SaltForm = NALTREXONE_HCL

    def contains(self, amount: Quantity) -> bool:
        """Whether ``amount`` (in this range's basis and kind) lies within the range."""
        return bool(self.minimum <= amount <= self.maximum)

    def describe(self) -> str:
        """``0.1 mg to 10 mg naltrexone HCl``."""
        return f"{format_amount(self.minimum)} to {format_amount(self.maximum)} {self.basis.short_name}"


class AmountKind(enum.StrEnum):
    """How a component's amount is given in a master formula."""

    ACTIVE = "active"  # set by the strength
    FILL = "fill"  # capsule filler: whatever fills the capsule
    QS = "q.s."  # vehicle or base to the final volume or weight
    PER_UNIT = "per-unit"  # a mass per capsule
    W_V = "w/v"  # a mass per volume (stored in mg/mL)
    V_V = "v/v"  # a volume per volume (stored as a fraction)
    W_W = "w/w"  # a mass per mass (stored in mg/g)


@attrs.frozen
class Amount:
    """A component's amount in a master formula: its kind and, where it has one, its value.

    ``text`` keeps what the formula file said (``"0.5 % w/v"``) for the records.
    """

    kind: AmountKind
    value: Quantity | Decimal | None = None
    text: str = ""

    def describe(self) -> str:
        """The amount as the master formula states it."""
        if self.text:
            return self.text
        if self.kind is AmountKind.V_V and isinstance(self.value, Decimal):
            return f"{format_number(self.value * 100)} % v/v"
        if is_quantity(self.value):
            return format_amount(self.value)
        return str(self.kind)


@attrs.frozen
class Component:
    """One ingredient of a master formula.

    ``role`` is one of ``ROLES``; the active ingredient's role is ``"active"``
    and its ``salt_form`` says which form of naltrexone is used.  ``preserved``
    marks a base or vehicle bought with its own preservative (a preserved cream
    base), which counts as the preservative of an aqueous-preserved formula.
    """

    id: str = attrs.field(validator=[_non_empty, _printable("component id")])
    name: str = attrs.field(validator=[_non_empty, _printable("component name")])
    role: str
    amount: Amount
    grade: str = attrs.field(default="", validator=_printable("component grade"))
    salt_form: SaltForm | None = None
    notes: str = attrs.field(default="", validator=_printable("component notes", MAX_LINE))
    preserved: bool = False


ROLES = (
    "active",
    "filler",
    "vehicle",
    "base",
    "excipient",
    "preservative",
    "antioxidant",
    "sweetener",
    "flavouring",
    "humectant",
    "cosolvent",
    "buffer",
    "glidant",
    "levigating agent",
)


@attrs.frozen
class CapsuleSpec:
    """Capsule data of a formula: default size, the filler, its packing statistics, density.

    ``packing`` maps a size (``"1"``, ``"0"``, ``"00"``…) to the measured mass
    of filler alone that fills one capsule; ``bulk_density`` (mg/mL) is the
    fallback used with the capsule's nominal volume.  ``displacement_factor``
    is the mass of filler displaced by 1 mg of active.  ``shell_weight`` maps a
    size to the weight of one empty shell of the capsules this formula uses
    (sizes not given take the package's data, ``forms/capsule_shells.toml``).
    """

    size: str
    filler: str
    packing: Mapping[str, Quantity] = attrs.field(factory=dict)
    bulk_density: Quantity | None = None
    displacement_factor: Decimal = Decimal(1)
    shell_weight: Mapping[str, Quantity] = attrs.field(factory=dict)


@attrs.frozen
class DropsSpec:
    """Sublingual drops: the calibrated dropper's drops per mL."""

    drops_per_ml: Decimal
    dropper: str = attrs.field(default="", validator=_printable("dropper"))


@attrs.frozen
class TopicalSpec:
    """Topical cream: an optional calibrated dispenser volume per click and the cream's density."""

    click_volume: Quantity | None = None
    density: Quantity | None = None
    dispenser: str = attrs.field(default="", validator=_printable("dispenser"))
    aqueous_phase: str = ""  # the component (id) the active is dissolved in; an aliquot is a solution in it


@attrs.frozen
class StabilityEvidence:
    """Preparation-specific stability data a site may choose to date a batch by.

    It is used only when a batch names it explicitly, and its citation is printed.
    """

    id: str = attrs.field(validator=_printable("stability id"))
    days: int
    storage: str = attrs.field(validator=_printable("stability storage", MAX_LINE))
    citation: str = attrs.field(validator=_printable("stability citation", MAX_LINE))


@attrs.frozen
class QualityCheck:
    """A quality-control check of the master formula, e.g. ``pH`` ``4.0 to 5.0``."""

    name: str = attrs.field(validator=_printable("quality check name"))
    specification: str = attrs.field(validator=_printable("quality check specification", MAX_LINE))


@attrs.frozen
class Reference:
    """A published source behind a formula."""

    citation: str = attrs.field(validator=_printable("reference citation", MAX_LINE))
    supports: str = attrs.field(default="", validator=_printable("reference supports", MAX_LINE))


@attrs.frozen
class MasterFormula:
    """A master formula: what a pharmacy compounds, how, and how it is dated and labelled."""

    id: str
    name: str = attrs.field(validator=_printable("formula name"))
    version: str = attrs.field(validator=_printable("formula version"))
    dosage_form: DosageForm
    strength: StrengthRange
    components: tuple[Component, ...]
    preparation_class: PreparationClass
    storage: str = attrs.field(validator=_printable("storage", MAX_LINE))
    container: str = attrs.field(validator=_printable("container", MAX_LINE))
    description: str = attrs.field(default="", validator=_printable("description", MAX_PARAGRAPH, newlines=True))
    capsule: CapsuleSpec | None = None
    drops: DropsSpec | None = None
    topical: TopicalSpec | None = None
    reference_quantity: Quantity | None = None
    stability: tuple[StabilityEvidence, ...] = ()
    procedure: tuple[str, ...] = attrs.field(default=(), validator=_printable_lines("procedure"))
    equipment: tuple[str, ...] = attrs.field(default=(), validator=_printable_lines("equipment"))
    quality_checks: tuple[QualityCheck, ...] = ()
    auxiliary_labels: tuple[str, ...] = attrs.field(default=(), validator=_printable_lines("auxiliary labels"))
    references: tuple[Reference, ...] = ()
    source: str = ""
    #: The formula's own translations of its label statements: language → English → translation.
    translations: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)

    @property
    def active(self) -> Component:
        """The active (naltrexone) component."""
        return next(c for c in self.components if c.role == "active")

    def component(self, component_id: str) -> Component:
        """The component with this id."""
        for component in self.components:
            if component.id == component_id:
                return component
        raise InputError("component", component_id, f"be one of {', '.join(c.id for c in self.components)}")


# --------------------------------------------------------------------------- batch inputs


def _fraction(field: str) -> Any:
    def validate(_instance: object, _attribute: attrs.Attribute[Any], value: Decimal | None) -> None:
        if value is not None and not Decimal(0) < value <= Decimal("1.1"):
            raise InputError(field, f"{format_number(value * 100)} %", "be more than 0 % and at most 110 %")

    return validate


#: The bases a certificate of analysis states an assay on.
ASSAY_BASES = ("as-is", "anhydrous", "dried")


@attrs.frozen
class PowderSource:
    """Bulk naltrexone powder and its potency from the certificate of analysis.

    Give either ``potency`` (as-is, a fraction: 0.9771 for 97.71 %) or ``assay``
    with its ``basis``, the basis the certificate states it on:

    - ``"as-is"``: the share of the formula's salt form in the powder as it is
      (the same as ``potency``); no water or solvent correction;
    - ``"anhydrous"``: the share of the anhydrous salt in the water- and
      solvent-free powder, with ``water`` (Karl Fischer, which counts any water of
      hydration) and ``residual_solvent``: as-is potency
      ``= assay × (1 − water − residual solvent)``, as the anhydrous salt;
    - ``"dried"``: the share of the anhydrous salt in the dried powder, with
      ``loss_on_drying``: as-is potency ``= assay × (1 − loss on drying)``, as the
      anhydrous salt.

    With neither, no potency correction is made and the record says so.
    """

    potency: Decimal | None = attrs.field(default=None, validator=_fraction("potency"))
    assay: Decimal | None = attrs.field(default=None, validator=_fraction("assay"))
    water: Decimal = Decimal(0)
    residual_solvent: Decimal = Decimal(0)
    basis: str | None = None
    loss_on_drying: Decimal = Decimal(0)

    def __attrs_post_init__(self) -> None:
        if self.potency is not None and self.assay is not None:
            raise InputError("potency", self.potency, "not be given together with an assay")
        for field, value in (
            ("water", self.water),
            ("residual solvent", self.residual_solvent),
            ("loss on drying", self.loss_on_drying),
        ):
            if not Decimal(0) <= value < Decimal(1):
                raise InputError(field, f"{format_number(value * 100)} %", "be at least 0 % and below 100 %")
        if self.assay is not None and self.basis not in ASSAY_BASES:
            raise InputError("assay basis", self.basis, f"be one of {', '.join(ASSAY_BASES)} with an assay")
        if self.assay is None and self.basis not in (None, "as-is"):
            raise InputError("assay basis", self.basis, "be given only with an assay")
        if (self.water or self.residual_solvent) and self.basis != "anhydrous":
            raise InputError("water", f"{format_number(self.water * 100)} %", "be given with an anhydrous-basis assay")
        if self.loss_on_drying and self.basis != "dried":
            raise InputError(
                "loss on drying", f"{format_number(self.loss_on_drying * 100)} %", "be given with a dried-basis assay"
            )
        if self.as_is_potency is not None and not Decimal(0) < self.as_is_potency <= Decimal("1.1"):
            raise InputError("potency", self.as_is_potency, "be more than 0 % and at most 110 %")

    @property
    def as_is_potency(self) -> Decimal | None:
        """The potency to weigh by (a fraction), or ``None`` when none was given.

        It is the share of the formula's salt form for an as-is potency, and of the
        anhydrous salt for an anhydrous- or dried-basis assay (:meth:`potency_of`).
        """
        if self.potency is not None:
            return self.potency
        if self.assay is None:
            return None
        if self.basis == "anhydrous":
            return self.assay * (1 - self.water - self.residual_solvent)
        if self.basis == "dried":
            return self.assay * (1 - self.loss_on_drying)
        return self.assay

    def potency_of(self, salt: SaltForm) -> SaltForm:
        """The salt form the as-is potency is a share of, for a formula that weighs ``salt``."""
        return salt if self.assay is None or self.basis == "as-is" else anhydrous_form(salt)


@attrs.frozen
class TabletSource:
    """Commercial naltrexone HCl tablets, crushed to a tablet powder.

    The technician weighs ``weighed`` tablets (20 or more: USP tablet assay
    practice) for the ``average_weight``; ``product`` (NDC or name) and
    ``manufacturer`` identify the tablets on the record.
    """

    average_weight: Quantity
    tablet_strength: Strength = attrs.field(
        factory=lambda: Strength(parse_quantity("50 mg", "tablet strength", MASS), NALTREXONE_HCL)
    )
    product: str = ""
    manufacturer: str = ""
    weighed: int = 20

    def holds(self, powder: Quantity) -> Quantity:
        """The naltrexone (in the tablets' salt form) that ``powder`` of tablet powder holds."""
        result: Quantity = powder * (self.tablet_strength.amount / self.average_weight).to("").magnitude
        return result.to("mg")


ActiveSource = PowderSource | TabletSource


@attrs.frozen
class Balance:
    """The balance used to weigh: readability ``d`` and, when known, repeatability ``s``.

    USP <41>: the minimum weight is ``2000 × s``, with ``s`` no less than
    ``0.41 d``; so a balance with unknown or small ``s`` has ``820 × d``.  A site
    may set ``minimum_weight`` directly (e.g. 120 mg for a class III balance).
    """

    readability: Quantity
    repeatability: Quantity | None = None
    fixed_minimum: Quantity | None = None
    name: str = attrs.field(default="", validator=_printable("balance name"))

    @property
    def minimum_weight(self) -> Quantity:
        """The smallest amount this balance may weigh."""
        if self.fixed_minimum is not None:
            return self.fixed_minimum
        floor = scaled(self.readability, Decimal("0.41"))
        s = self.repeatability if self.repeatability is not None and self.repeatability > floor else floor
        return scaled(s, 2000)

    def describe(self) -> str:
        """``balance d = 0.1 mg, minimum weight 82 mg (USP <41>)``."""
        name = f"{self.name}, " if self.name else ""
        return f"{name}d = {format_amount(self.readability)}, minimum weight {format_amount(self.minimum_weight)}"


@attrs.frozen
class Lot:
    """A component lot used in a batch: lot number, expiry and maker."""

    component: str = attrs.field(validator=_printable("lot component"))
    lot: str = attrs.field(validator=_printable("lot"))
    expiry: dt.date | None = None
    manufacturer: str = attrs.field(default="", validator=_printable("lot manufacturer"))


@attrs.frozen
class Override:
    """A safety check the caller overrode, with the reason given."""

    code: str
    reason: str = attrs.field(validator=_printable("override reason", MAX_LINE))


class MedicineStatus(enum.StrEnum):
    """What the co-medication screen recognised a medicine as."""

    OPIOID = "opioid"  #: an opioid: the batch needs an override with a reason
    NOTE = "note"  #: noted (e.g. loperamide), not a block under the pharmacy's settings
    NOT_OPIOID = "not-opioid"  #: recognised, and not an opioid (e.g. naloxone, dextromethorphan)
    NOT_LISTED = "not-listed"  #: nothing in the list: no opioid found (e.g. metformin)
    UNCLEAR = "unclear"  #: close to an opioid's name but not it ("oxycodon"): refused unless a reason is given


@attrs.frozen
class ScreenedMedicine:
    """One of the patient's other medicines as the co-medication screen read it.

    ``given`` is the text as written (``"Percocet 5/325 mg"``) or a code
    (``"rxcui:7804"``, ``"atc:N02AA05"``); ``ingredients`` are the listed
    ingredients it was recognised as (``("oxycodone",)``), ``matched`` the
    listed names or codes that matched (``("Percocet",)``), ``suggestions``
    the names an unclear one is close to, and ``note`` what the list says of
    a noted medicine.
    """

    given: str
    status: MedicineStatus
    ingredients: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    note: str = ""

    def describe(self) -> str:
        """``Percocet 5/325 mg (oxycodone)``, or the name alone when nothing in the list matched."""
        if self.status is MedicineStatus.UNCLEAR:
            close = " or ".join(self.suggestions)
            return f"{self.given} (unclear{': close to ' + close if close else ''})"
        if not self.ingredients:
            return self.given
        return f"{self.given} ({', '.join(self.ingredients)})"


@attrs.frozen
class Screening:
    """The co-medication screen of a batch: what was screened, what each medicine is, and the result.

    ``medicines`` lists every medicine given, in order, as the screen read it;
    ``overrides`` holds the overrides used (an opioid co-medication, a medicine
    name accepted although unclear), each with its reason; ``list_version`` is
    the date of the opioid list that was used.  An empty screening means no
    other medicines were given: nothing was screened.
    """

    medicines: tuple[ScreenedMedicine, ...] = ()
    overrides: tuple[Override, ...] = ()
    list_version: str = ""

    @property
    def screened(self) -> bool:
        """Whether any medicine was given (and so screened)."""
        return bool(self.medicines)

    @property
    def opioids(self) -> tuple[str, ...]:
        """The opioid ingredients found, sorted, each once."""
        found = {i for m in self.medicines if m.status is MedicineStatus.OPIOID for i in m.ingredients}
        return tuple(sorted(found))

    @property
    def notes(self) -> tuple[str, ...]:
        """One line per noted medicine: ``Imodium 2 mg (loperamide): a peripherally acting opioid ...``."""
        return tuple(f"{m.describe()}: {m.note}" for m in self.medicines if m.status is MedicineStatus.NOTE)

    @property
    def unclear(self) -> tuple[ScreenedMedicine, ...]:
        """The medicines whose names were close to an opioid's but not it."""
        return tuple(m for m in self.medicines if m.status is MedicineStatus.UNCLEAR)

    @property
    def result(self) -> str:
        """The outcome in one word: ``not-screened``, ``opioid``, ``unclear``, ``note`` or ``no-opioid``.

        ``opioid`` and ``unclear`` appear only with their override (the screen refuses them otherwise).
        """
        if not self.medicines:
            return "not-screened"
        if self.opioids:
            return "opioid"
        if self.unclear:
            return "unclear"
        if self.notes:
            return "note"
        return "no-opioid"

    def summary(self) -> str:
        """One line for the record, e.g. ``Co-medication screened: metformin, levothyroxine: no opioid``."""
        if not self.medicines:
            return "No other medicines given: not screened"
        listed = ", ".join(m.describe() for m in self.medicines)
        opioids = self.opioids
        if opioids:
            outcome = f"opioid found ({', '.join(opioids)})"
        elif self.unclear:
            outcome = "no opioid recognised; unclear name accepted"
        else:
            outcome = "no opioid"
        parts = [f"Co-medication screened: {listed}: {outcome}"]
        parts += [f"note: {note}" for note in self.notes]
        parts += [f"overridden ({o.code}): {o.reason}" for o in self.overrides]
        return "; ".join(parts)


@attrs.frozen
class Pharmacy:
    """The pharmacy printed on records and labels."""

    name: str = attrs.field(validator=[_non_empty, _printable("pharmacy name")])
    address: tuple[str, ...] = attrs.field(default=(), validator=_printable_lines("pharmacy address", MAX_NAME))
    phone: str = attrs.field(default="", validator=_printable("pharmacy phone"))
    pharmacist: str = attrs.field(default="", validator=_printable("pharmacist"))


@attrs.frozen
class TitrationStep:
    """One step of a titration schedule: ``dose`` (a mass) once daily for ``days`` days.

    ``days=None`` marks the last step, taken from then on ("then 4.5 mg").
    """

    dose: Quantity
    days: int | None = None


@attrs.frozen
class Prescription:
    """A prescription for a patient label.

    ``quantity`` defaults to the whole batch; ``titration`` (liquids and drops)
    turns a dose schedule into amounts the patient measures.  ``directions`` is
    the English sentence printed; ``sig`` the checked :class:`~ldn_compound.directions.Directions`
    it was rendered from (None for directions printed unchecked); the patient label
    prints ``sig.text()`` when it is given, and a label in another language
    renders its own sentence from it (``sig.text("es")``).
    """

    number: str = attrs.field(validator=[_non_empty, _printable("rx")])
    patient: str = attrs.field(validator=[_non_empty, _printable("patient")])
    prescriber: str = attrs.field(validator=[_non_empty, _printable("prescriber")])
    directions: str = attrs.field(validator=[_non_empty, _printable("directions", MAX_LINE)])
    date_filled: dt.date | None = None
    refills: int = 0
    quantity: Quantity | None = None
    titration: tuple[TitrationStep, ...] = ()
    sig: Directions | None = None


# --------------------------------------------------------------------------- batch results


def is_suspension(form: DosageForm, source: PowderSource | TabletSource) -> bool:
    """Whether a batch of ``form`` from ``source`` is a suspension: a liquid made from crushed tablets."""
    return form in (DosageForm.ORAL_LIQUID, DosageForm.SUBLINGUAL_DROPS) and isinstance(source, TabletSource)


def dosage_form_name(form: DosageForm, source: PowderSource | TabletSource) -> str:
    """The dosage form as printed: ``oral suspension`` for an oral liquid made from tablets.

    >>> dosage_form_name(DosageForm.ORAL_LIQUID, TabletSource(parse_quantity("220 mg", "w", MASS)))
    'oral suspension'
    """
    if not is_suspension(form, source):
        return form.display_name
    return N_("oral suspension") if form is DosageForm.ORAL_LIQUID else N_("sublingual drops (suspension)")


@attrs.frozen
class Step:
    """One step of a calculation: what was done, in words and numbers."""

    title: str
    text: str


@attrs.frozen
class BatchWarning:
    """Something the pharmacist must see: a ``code`` for software and a ``message`` for people."""

    code: str
    message: str


@attrs.frozen
class Ingredient:
    """One line of a batch: what to weigh or measure.

    ``amount`` is what to measure (overage included); ``theoretical`` the amount
    without overage; ``overage`` the difference.  A q.s. line (``qs``) carries
    the final volume or weight to make up to.  ``measure`` says how: ``weigh``,
    ``measure`` (by volume) or ``q.s.``.  ``aliquot`` is the plan for weighing a
    line that is below the balance's minimum weight.
    """

    id: str
    name: str
    role: str
    amount: Quantity
    theoretical: Quantity
    overage: Quantity
    measure: str
    basis: str = ""
    qs: bool = False
    tablets: int | None = None
    lot: Lot | None = None
    aliquot: AliquotPlan | None = None

    def describe_amount(self) -> str:
        """The amount as printed: ``460.5 mg``, or ``q.s. to 120 mL``."""
        text = format_amount(self.amount)
        return f"q.s. to {text}" if self.qs else text


@attrs.frozen
class AliquotPlan:
    """How to measure an active amount smaller than the balance can weigh.

    Weigh ``weigh`` of the active, dilute it with ``diluent`` to ``dilute_to``
    (a mass for a trituration, a volume for a solution), and take ``take``,
    which holds ``holds`` of the active.
    """

    method: str  # "trituration" or "solution"
    weigh: Quantity
    diluent: str
    dilute_to: Quantity
    take: Quantity
    holds: Quantity
    factor: Decimal
    steps: tuple[str, ...]
    equipment: tuple[str, ...] = ()  # e.g. "5 mL volumetric flask", "1 mL volumetric pipette"


@attrs.frozen
class Weighing:
    """One weighing or measurement of a batch, in the order it is done.

    ``what`` names what is weighed or measured (a component, a trituration, a
    stock solution); ``line`` is the id of the ingredient it belongs to.
    ``amount`` is rounded by ``rule`` for its ``instrument``.  ``into_batch`` is
    false for what goes into an aliquot's trituration or stock solution rather
    than into the batch; ``holds`` maps each ingredient id to the amount this
    weighing puts into the batch (a portion of a trituration holds some active
    and some filler), so the weighings reconcile with the composition.
    """

    what: str
    line: str
    amount: Quantity
    instrument: str
    rule: str
    purpose: str = ""
    into_batch: bool = True
    holds: tuple[tuple[str, Quantity], ...] = ()
    aliquot: bool = False  # part of an aliquot plan


@attrs.frozen
class CapsuleFill:
    """The capsule arithmetic of a batch, with the individual-weight acceptance range.

    ``fill_low`` to ``fill_high`` is the **net** range (the fill alone);
    :attr:`gross_low` to :attr:`gross_high` adds one empty shell, for a capsule
    weighed whole.  ``weight_basis`` says which the weight check records.
    """

    size: str
    capacity: Quantity  # filler alone that fills one capsule
    capacity_basis: str
    active_per_capsule: Quantity
    filler_per_capsule: Quantity
    fill_weight: Quantity
    fill_low: Quantity
    fill_high: Quantity
    batch_weight: Quantity
    shell_weight: Quantity | None = None  # one empty shell of this size (data: capsule_shells.toml)
    shell_material: str = ""
    weight_basis: str = "gross"  # what each capsule's check weighs: "gross" (with its shell) or "net" (the fill)
    sampled: int = 10  # capsules weighed one by one

    @property
    def gross_low(self) -> Quantity | None:
        """The lowest acceptable weight of a filled capsule with its shell (the net limit + one empty shell)."""
        return None if self.shell_weight is None else plus(self.fill_low, self.shell_weight)

    @property
    def gross_high(self) -> Quantity | None:
        """The highest acceptable weight of a filled capsule with its shell."""
        return None if self.shell_weight is None else plus(self.fill_high, self.shell_weight)


@attrs.frozen
class BeyondUse:
    """The beyond-use date and how it was set."""

    date: dt.date
    days: int
    storage: str
    rule: str
    limited_by: str = ""


@attrs.frozen
class BatchResult:
    """Everything a batch needs: what to measure, why, and until when it may be used.

    ``ingredients`` lists what to weigh or measure; ``trace`` explains each
    calculation; :meth:`to_dict` gives the JSON form for other software.
    ``dose`` is the dose per administration that was checked against the dose
    limits (from the directions, the ``dose`` given, the titration's highest
    step, or a capsule's strength), or ``None``.  ``directions`` are the checked
    directions for use, ``daily_dose`` the dose a day they give, ``dispensed``
    the quantity given to the patient (None: the batch) and ``days_supply`` the
    whole days it lasts on the directions.
    ``screening`` is the co-medication screen: what was screened and the result.
    """

    formula: MasterFormula
    strength: Strength
    quantity: Quantity
    compounding_date: dt.date
    lot_number: str
    ingredients: tuple[Ingredient, ...]
    beyond_use: BeyondUse
    balance: Balance
    source: PowderSource | TabletSource
    overage: Decimal
    warnings: tuple[BatchWarning, ...]
    trace: tuple[Step, ...]
    lots: tuple[Lot, ...] = ()
    aliquot: AliquotPlan | None = None
    capsule: CapsuleFill | None = None
    overrides: tuple[Override, ...] = ()
    theoretical_yield: Quantity | None = None
    yield_range: tuple[Quantity, Quantity] | None = None
    drops_per_ml: Decimal | None = None
    dose: Strength | None = None
    dose_per_unit: Mapping[str, Quantity] = attrs.field(factory=dict)
    screening: Screening = attrs.field(factory=Screening)
    weighings: tuple[Weighing, ...] = ()
    equipment: tuple[str, ...] = ()  # measuring equipment this batch needs beyond the formula's list
    procedure: tuple[str, ...] = ()  # the formula's procedure, with the steps the weighings generate
    directions: Directions | None = None
    daily_dose: Strength | None = None
    dispensed: Quantity | None = None
    days_supply: int | None = None

    @property
    def active(self) -> Ingredient:
        """The active ingredient line."""
        return next(i for i in self.ingredients if i.role == "active")

    def tablet_powder_note(self, weighing: Weighing) -> str:
        """``naltrexone HCl in it: 5 mg``: the naltrexone in a weighing of tablet powder ("" for any other)."""
        source = self.source
        active = self.active
        if not isinstance(source, TabletSource) or weighing.line != active.id:
            return ""
        held = dict(weighing.holds).get(active.id) if weighing.into_batch else weighing.amount
        if held is None or held.dimensionality != source.average_weight.dimensionality:
            return ""
        return f"{source.tablet_strength.basis.short_name} in it: {format_amount(source.holds(held), significant=4)}"

    @property
    def suspension(self) -> bool:
        """Whether the batch is a suspension: a liquid made from crushed tablets (their excipients do not dissolve)."""
        return is_suspension(self.formula.dosage_form, self.source)

    @property
    def dosage_form_name(self) -> str:
        """The dosage form as records and labels print it: ``oral suspension`` for an oral liquid made from tablets."""
        return dosage_form_name(self.formula.dosage_form, self.source)

    @property
    def preparation_name(self) -> str:
        """The formula's name, saying "suspension" where a batch from tablets is one (not "solution")."""
        name = self.formula.name
        if not self.suspension:
            return name
        if re.search(r"\bsolution\b", name, flags=re.IGNORECASE):
            return re.sub(
                r"\bsolution\b",
                lambda m: "Suspension" if m[0][0].isupper() else "suspension",
                name,
                flags=re.IGNORECASE,
            )
        return f"{name} (suspension)"

    @property
    def beyond_use_date(self) -> dt.date:
        """The beyond-use date."""
        return self.beyond_use.date

    @property
    def fingerprint(self) -> str:
        """A short hash of the batch data, printed on records so a reprint can be matched to it."""
        from ldn_compound.jsonio import fingerprint

        return fingerprint(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], formula: MasterFormula | None = None) -> BatchResult:
        """Rebuild a batch from its document (:meth:`to_dict`), without recalculating it.

        The formula is ``formula`` or the built-in one with the document's id and version.
        """
        from ldn_compound.jsonio import batch_from_dict

        return batch_from_dict(data, formula)

    def to_dict(self) -> dict[str, Any]:
        """The batch as JSON-ready data (schema ``ldn-compound/batch``)."""
        from ldn_compound.jsonio import batch_to_dict

        return batch_to_dict(self)

    def to_json(self) -> str:
        """The batch as JSON text: sorted keys, two-space indent, one trailing newline."""
        from ldn_compound.jsonio import batch_to_json

        return batch_to_json(self)
