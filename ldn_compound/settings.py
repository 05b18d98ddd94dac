"""Site settings: the rules the reference says vary between pharmacies.

Each is a field of :class:`Settings` with the default the package uses; a
pharmacy whose SOP differs passes its own ``Settings`` (change one field with
:func:`attrs.evolve`).  Every setting used for a batch is printed in its trace.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

import attrs

from ldn_compound.exceptions import InputError
from ldn_compound.i18n import DEFAULT_LOCALE, check_language, check_locale
from ldn_compound.units import CONCENTRATION, MASS, VOLUME, Quantity, parse_quantity

__all__ = ["BudSystem", "Settings", "default_settings"]


class BudSystem(enum.StrEnum):
    """Which beyond-use-date rules to apply."""

    USP_795_2023 = "usp-795-2023"
    LEGACY = "legacy"


def _whole(low: int, high: int) -> Any:
    """A validator: a whole number from ``low`` to ``high``, else an :class:`InputError` naming the setting."""

    def validate(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InputError(attribute.name, value, f"be a whole number from {low} to {high}")

    return validate


def _one_of(*choices: str) -> Any:
    """A validator: one of ``choices``, else an :class:`InputError` naming the setting."""

    def validate(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value not in choices:
            raise InputError(attribute.name, value, f"be one of {', '.join(choices)}")

    return validate


def _languages(languages: object) -> tuple[str, ...]:
    """The label languages as known codes, each once, in order."""
    if isinstance(languages, str) or not isinstance(languages, (list, tuple)) or not languages:
        raise InputError(
            "label_languages", languages, "be a list of label languages, e.g. ['en', 'es']", code="unsupported-language"
        )
    return tuple(dict.fromkeys(check_language(language, "label_languages") for language in languages))


def _q(text: str, kind: object) -> Quantity:
    return parse_quantity(text, "setting", kind)  # type: ignore[arg-type]


@attrs.frozen
class Settings:
    """The rules a site may set differently.

    - ``bud_system``: USP <795> as revised in 2023 (default) or the legacy rules.
    - ``compounding_day_is_day_zero``: with ``True`` (default) a 14-day BUD for a
      batch made on 1 March is 15 March; with ``False`` the compounding day is
      day 1, giving 14 March.
    - ``default_readability``: the balance readability when none is given.
    - ``liquid_resolution``: measured volumes are rounded to this (half up).
    - ``dilution_factors``: the aliquot dilutions tried, smallest first.
    - ``stock_solubility_fraction``: an aliquot stock solution is made at most at this
      fraction of its substance's solubility in water (``substances.toml``; naltrexone HCl
      about 100 mg/mL, so at most 50 mg/mL by default).
    - ``max_stock_concentration``: the strongest stock solution of a substance whose
      solubility is not in ``substances.toml``.
    - ``volumetric_flasks`` and ``volumetric_pipettes``: the sizes (mL) of the site's
      volumetric glassware; a stock solution is made up in one of the flasks and its
      aliquot taken with one of the pipettes (or, under 1 mL, with a graduated pipette
      read to ``pipette_resolution``); a graduated cylinder measures nothing under 1 mL.
      The defaults are the standard sizes of ASTM E288 (flasks) and ASTM E969 (pipettes).
    - ``dose_warning`` and ``dose_limit``: warn above the first; refuse above the second
      unless overridden with a reason.
    - ``fill_tolerance``: individual capsule weights within ± this fraction of the
      theoretical fill (legacy USP <795>: 10 %).
    - ``yield_tolerance``: actual yield within ± this fraction of the theoretical.
    - ``max_overage``: the largest overage accepted, a fraction of the batch.
    - ``potency_range``: the as-is potency accepted (90-102 %): a value outside it is far
      more likely a typing slip (0.9771 for 97.71 %) than a real certificate of analysis.
    - ``assay_range``: the anhydrous-basis assay accepted; the USP monograph limits for the
      API are 98.0-102.0 %.
    - ``max_water``: the largest water, residual solvent or loss on drying accepted (10 %).
    - ``capsules_sampled``: how many capsules the weight check weighs one by one, 1 to 100
      (the record has a box for each).
    - ``capsule_weight_basis``: ``"gross"`` (default: each filled capsule is weighed with
      its shell, against the fill range plus the empty shell's weight) or ``"net"`` (the
      fill alone: each capsule's weight less its empty shell's).
    - ``tablets_weighed``: how many tablets are weighed for their average weight when a
      batch is made from crushed tablets (20 to 100: USP tablet assay practice weighs at
      least 20); the record has a box for each.
    - ``overwrite_outputs``: with ``True`` (default) an existing record or label file is
      replaced (atomically, keeping its permissions); with ``False`` it is refused, as the
      command line's ``--no-clobber`` does.
    - ``co_medication_notes_block``: with ``False`` (default) a medicine the opioid list marks as
      a note (loperamide, eluxadoline: opioids acting in the gut at usual doses) is printed on
      the record and in the JSON but does not stop the batch; with ``True`` it blocks like an
      opioid (an override with a reason is needed).
    - ``syringe_graduation``: the smallest mark of the oral dosing syringe dispensed with a
      liquid; a dose (``--dose``, a titration step, directions in mg) must be a whole number
      of these marks (default 0.1 mL).
    - ``cream_density_range``: the lowest and highest density a cream whose density is
      not measured may have (0.8-1.2 g/mL: oil-in-water creams lie near 1 g/mL); with the
      dispenser's click volume it bounds the dose of a click: a ``--dose`` outside the
      bounds is refused, and the upper bound is held to the dose limits.
    - ``sig_code_file``: a TOML file of the pharmacy's own sig codes, added to the built-in
      ones (same grammar as ``ldn_compound/sigcodes.toml``); ``None`` for the built-in only.
    - ``label_languages``: the languages the pharmacy prints patient labels in
      (``("en",)``; add ``"es"`` for Spanish).  Every formula loaded with these
      settings must then have a translation of each statement its labels print.
    - ``label_locale``: the regional variant of Spanish labels, for the decimal mark
      and month names: ``es_US`` (default, "4.5 mg") or e.g. ``es_ES`` ("4,5 mg").
      English labels keep the decimal point and ISO dates.
    - ``lot_pattern``: the register's lot numbers: ``{seq}`` (a counter, e.g. ``{seq:06d}``)
      with ``{year}``, ``{yy}`` or ``{month}`` of the compounding date; the counter starts
      again for each value of the date fields used (default ``L{year}-{seq:06d}``: ``L2026-000123``).
    - ``active_amount_tolerance`` and ``other_amount_tolerance``: an actual amount entered in
      the register must be within ± this fraction of the amount to measure, widened by the
      balance's readability (or the liquid resolution for volumes); else a pharmacist must
      accept it with a reason before verification (5 % for the active, 10 % for the rest).
    - ``self_verification``: whether a pharmacist may verify a batch they compounded (no).
    - ``wrong_pin_delay``: seconds to wait after a wrong PIN before answering (1 s).
    - ``pin_lockout_after`` and ``pin_lockout_seconds``: after this many wrong PINs in a row
      (5), the user's PIN is refused, right or wrong, until this long after the last wrong
      one (300 s), so PINs cannot be guessed quickly, not even by many requests at once.
    """

    bud_system: BudSystem = BudSystem.USP_795_2023
    compounding_day_is_day_zero: bool = True
    default_readability: Quantity = attrs.field(factory=lambda: _q("0.1 mg", MASS))
    liquid_resolution: Quantity = attrs.field(factory=lambda: _q("0.1 mL", VOLUME))
    dilution_factors: tuple[int, ...] = (10, 20, 50, 100)
    max_stock_concentration: Quantity = attrs.field(factory=lambda: _q("10 mg/mL", CONCENTRATION))
    stock_solubility_fraction: Decimal = Decimal("0.5")
    volumetric_flasks: tuple[Decimal, ...] = tuple(
        Decimal(v) for v in ("1", "2", "5", "10", "20", "25", "50", "100", "200", "250", "500", "1000")
    )
    volumetric_pipettes: tuple[Decimal, ...] = tuple(
        Decimal(v) for v in ("1", "2", "3", "4", "5", "10", "15", "20", "25", "50")
    )
    pipette_resolution: Quantity = attrs.field(factory=lambda: _q("0.01 mL", VOLUME))
    dose_warning: Quantity = attrs.field(factory=lambda: _q("4.5 mg", MASS))
    dose_limit: Quantity = attrs.field(factory=lambda: _q("10 mg", MASS))
    fill_tolerance: Decimal = Decimal("0.10")
    yield_tolerance: Decimal = Decimal("0.05")
    max_overage: Decimal = Decimal("0.50")
    potency_range: tuple[Decimal, Decimal] = (Decimal("0.90"), Decimal("1.02"))
    assay_range: tuple[Decimal, Decimal] = (Decimal("0.98"), Decimal("1.02"))
    max_water: Decimal = Decimal("0.10")
    capsules_sampled: int = attrs.field(default=10, validator=_whole(1, 100))
    capsule_weight_basis: str = attrs.field(default="gross", validator=_one_of("gross", "net"))
    tablets_weighed: int = attrs.field(default=20, validator=_whole(20, 100))
    max_capsules: int = 10_000
    max_volume: Quantity = attrs.field(factory=lambda: _q("5 L", VOLUME))
    max_mass: Quantity = attrs.field(factory=lambda: _q("5000 g", MASS))
    overwrite_outputs: bool = True
    co_medication_notes_block: bool = False
    syringe_graduation: Quantity = attrs.field(factory=lambda: _q("0.1 mL", VOLUME))
    cream_density_range: tuple[Quantity, Quantity] = attrs.field(
        factory=lambda: (_q("0.8 g/mL", CONCENTRATION), _q("1.2 g/mL", CONCENTRATION))
    )
    sig_code_file: str | None = None
    label_languages: tuple[str, ...] = attrs.field(default=("en",), converter=_languages)
    label_locale: str = attrs.field(default=DEFAULT_LOCALE, converter=check_locale)
    lot_pattern: str = "L{year}-{seq:06d}"
    active_amount_tolerance: Decimal = Decimal("0.05")
    other_amount_tolerance: Decimal = Decimal("0.10")
    self_verification: bool = False
    wrong_pin_delay: float = 1.0
    pin_lockout_after: int = attrs.field(default=5, validator=_whole(1, 100))
    pin_lockout_seconds: float = 300.0


_DEFAULT: Settings | None = None


def default_settings() -> Settings:
    """The package defaults, built once."""
    global _DEFAULT  # noqa: PLW0603 - a cache of an immutable value
    if _DEFAULT is None:
        _DEFAULT = Settings()
    return _DEFAULT
