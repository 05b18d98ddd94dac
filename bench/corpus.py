"""The output corpus: many batches, formulas and amounts, each reduced to a SHA-256 of what it prints.

A change that should not change any output (a faster path, a cache) is checked against the
hashes recorded from the code before it:

    python bench/corpus.py --write   # record bench/corpus.sha256 (run on the revision trusted)
    python bench/corpus.py           # compare: prints every case whose output differs, exit 1 if any

Each case is one input: a batch through :func:`ldn_compound.calculate_batch` (every built-in
formula and a few variants of them, over strengths, quantities, potencies and assays, tablets,
balances, overages, lots, directions, titrations, doses, settings), a request through
:func:`ldn_compound.service.run_batch` (with the compounding record and the labels as PDF bytes,
kept by a stand-in register), a formula document, a batch document read back, or an amount
read and printed.  A case's hash covers its JSON document, its text output, its fingerprint,
its PDFs when it has them, and for an input that is refused, the error's type, code and message.

PDF bytes are the same only within one reportlab version; the file records the versions it was
made with, and the comparison says so when they differ.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import hashlib
import io
import itertools
import random
import sys
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HASHES = Path(__file__).resolve().with_name("corpus.sha256")
DAY = "2026-03-01"
BUILT_IN = ("ldn-capsules", "ldn-oral-liquid", "ldn-sublingual-drops", "ldn-topical-cream")


def _versions() -> str:
    return " ".join(f"{name}=={metadata.version(name)}" for name in ("pint", "reportlab"))


# --------------------------------------------------------------------------- formula variants


def _variants(folder: Path) -> dict[str, Path]:
    """Built-in formulas changed the way tests change them: a dihydrate, a base, a density, shells, a per-unit excipient."""
    source = ROOT / "formulas"
    edits = {
        "dihydrate": ("ldn-capsules", [('salt_form = "hcl"', 'salt_form = "hcl-dihydrate"')]),
        "base-capsules": ("ldn-capsules", [('salt_form = "hcl"', 'salt_form = "base"')]),
        "shells": (
            "ldn-capsules",
            [
                (
                    'bulk_density = "0.30 g/mL"',
                    'bulk_density = "0.30 g/mL"\nshell_weight = { "1" = "60 mg", "0" = "71.5 mg" }',
                )
            ],
        ),
        "per-unit": (
            "ldn-capsules",
            [
                (
                    "\n[capsule]\n",
                    (
                        '\n[[components]]\nid = "ascorbic-acid"\nname = "Ascorbic acid USP"\nrole = "antioxidant"\n'
                        'amount = "2.5 mg"\n\n[capsule]\n'
                    ),
                )
            ],
        ),
        "cream-density": (
            "ldn-topical-cream",
            [('click_volume = "0.25 mL"', 'click_volume = "0.25 mL"\ndensity = "0.98 g/mL"')],
        ),
        "cream-no-water": (
            "ldn-topical-cream",
            [('aqueous_phase = "purified-water"\n', "")],
        ),
        "drops-base": ("ldn-sublingual-drops", [('basis = "hcl"', 'basis = "base"')]),
        "liquid-dihydrate": ("ldn-oral-liquid", [('salt_form = "hcl"', 'salt_form = "hcl-dihydrate"')]),
    }
    paths: dict[str, Path] = {}
    for name, (base, replacements) in edits.items():
        text = (source / f"{base}.toml").read_text(encoding="utf-8")
        for old, new in replacements:
            if old in text:
                text = text.replace(old, new, 1)
        text = text.replace(f'id = "{base}"', f'id = "{base}-{name}"', 1)
        path = folder / f"{base}-{name}.toml"
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths


# --------------------------------------------------------------------------- the cases


@functools.cache
def _settings_variants() -> dict[str, Any]:
    import attrs

    from ldn_compound.settings import BudSystem, Settings
    from ldn_compound.units import CONCENTRATION, MASS, VOLUME, parse_quantity

    base = Settings()
    return {
        "default": None,
        "legacy": Settings(bud_system=BudSystem.LEGACY),
        "day-one": Settings(compounding_day_is_day_zero=False),
        "net-20": attrs.evolve(base, capsule_weight_basis="net", capsules_sampled=20),
        "tolerances": attrs.evolve(base, fill_tolerance=Decimal("0.075"), yield_tolerance=Decimal("0.1")),
        "coarse": attrs.evolve(
            base,
            default_readability=parse_quantity("1 mg", "d", MASS),
            liquid_resolution=parse_quantity("0.5 mL", "r", VOLUME),
            pipette_resolution=parse_quantity("0.05 mL", "r", VOLUME),
            dilution_factors=(10, 25, 100),
        ),
        "stock": attrs.evolve(
            base,
            stock_solubility_fraction=Decimal("0.1"),
            max_stock_concentration=parse_quantity("2 mg/mL", "c", CONCENTRATION),
            volumetric_flasks=(Decimal(10), Decimal(25), Decimal(100)),
            volumetric_pipettes=(Decimal(1), Decimal(5)),
        ),
        "limits": attrs.evolve(
            base,
            dose_warning=parse_quantity("3 mg", "w", MASS),
            dose_limit=parse_quantity("6 mg", "l", MASS),
            syringe_graduation=parse_quantity("0.2 mL", "g", VOLUME),
        ),
        "tablets-50": attrs.evolve(base, tablets_weighed=50),
    }


def _calc_cases(variants: dict[str, Path]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Keyword arguments of calculate_batch: a full grid of the main axes, then options sampled at random (seeded)."""
    grids: dict[str, tuple[list[Any], list[Any]]] = {
        "ldn-capsules": (
            ["0.1 mg", "0.5 mg", "1 mg", "1.5 mg", "2.25 mg", "3 mg", "4.5 mg", "6 mg", "7.77 mg", "10 mg"],
            [1, 7, 17, 30, 32, 60, 90, 100, 250, 1000, 10000],
        ),
        "ldn-oral-liquid": (
            ["0.1 mg/mL", "0.5 mg/mL", "1 mg/mL", "1.5 mg/mL", "2.5 mg/mL", "5 mg/mL", "0.333 mg/mL", "5 mg/5 mL"],
            ["3 mL", "5 mL", "30 mL", "60 mL", "100 mL", "120 mL", "200 mL", "300 mL", "0.5 L", "1 L", "5 L"],
        ),
        "ldn-sublingual-drops": (
            ["1 mg/mL", "2 mg/mL", "4.5 mg/mL", "5 mg/mL", "10 mg/mL", "15 mg/mL", "20 mg/mL"],
            ["5 mL", "10 mL", "15 mL", "30 mL", "60 mL", "250 mL"],
        ),
        "ldn-topical-cream": (
            ["0.5 mg/g", "1 mg/g", "2.5 mg/g", "3 mg/g", "5 mg/g", "10 mg/g", "0.1 %"],
            ["3 g", "15 g", "30 g", "50 g", "100 g", "500 g", "5000 g"],
        ),
    }
    for formula, (strengths, quantities) in grids.items():
        for strength, quantity in itertools.product(strengths, quantities):
            yield "grid", {"formula": formula, "quantity": quantity, "strength": strength, "date": DAY}

    sources: list[dict[str, Any]] = [
        {},
        {"potency": 97.71},
        {"potency": "99.5 %"},
        {"potency": "90"},
        {"potency": 102},
        {"potency": "0.9771"},
        {"assay": 100.8, "assay_basis": "anhydrous", "water": 0.5, "residual_solvent": 0.1},
        {"assay": "99.2", "assay_basis": "anhydrous", "water": "8.9"},
        {"assay": 99, "assay_basis": "dried", "loss_on_drying": 0.4},
        {"assay": 98.7, "assay_basis": "as-is"},
        {"tablet_weight": "180 mg"},
        {"tablet_weight": "200 mg", "tablet_product": "NDC 0000-0000 naltrexone 50 mg", "tablet_manufacturer": "Acme"},
        {"tablet_weight": "60 mg"},
        {"tablet_weight": "620 mg"},
    ]
    balances: list[dict[str, Any]] = [
        {},
        {"balance_readability": "1 mg"},
        {"balance_readability": "0.1 mg", "balance_repeatability": "0.08 mg"},
        {"balance_readability": "0.01 mg"},
        {"balance_readability": "10 mg"},
        {"balance_readability": "0.5 mg", "balance_repeatability": "0.3 mg"},
    ]
    overages = [0, 5, "2.5", 10, 50]
    per_form: dict[str, list[dict[str, Any]]] = {
        "ldn-capsules": [
            {},
            {"strength_basis": "base"},
            {"strength_basis": "hcl-dihydrate"},
            {"strength": "4.5 mg/capsule"},
            {"strength": "0.0045 g"},
            {"strength": "4500 mcg"},
            {"capsule_size": "0"},
            {"capsule_size": "000"},
            {"capsule_size": "4"},
            {"capsule_size": "5"},
            {"packing": "250 mg"},
            {"capsule_size": "0", "bulk_density": "0.3 g/mL"},
            {"bulk_density": "0.42 g/mL"},
            {"dose": "4.5 mg"},
            {"dose": "13.5 mg", "high_dose_reason": "per the prescriber"},
            {"dose": "6 mg"},
            {"directions": "Take 1 capsule by mouth at bedtime"},
            {"directions": "1 cap po qhs", "dispense": 30},
            {"directions": "2 cap po bid"},
            {"directions": "1 cap po prn"},
            {"directions": "Take 2 capsules with food"},
            {"directions": "Take as you like", "directions_unchecked": "the prescriber's own words", "dose": "4.5 mg"},
            {"directions": "Take 2 to 3 caps as the letter says", "directions_unchecked": "as written"},
            {"titration": "1 mg:7, 2 mg"},
            {"lots": ["naltrexone-hcl=NX2291:2027-06-30", "mcc=M1:2026-04"]},
            {"lots": ["mcc=M1:2026-02-01"]},
            {"lots": {"mcc": {"lot": "M1", "expiry": "2026-03-01", "manufacturer": "FMC"}}},
            {"stability": "ijpc-2018-avicel"},
            {"stability": "made-up"},
            {"other_medicines": ["metformin", "loperamide"]},
            {"other_medicines": ["oxycodon"], "unclear_medicine_reason": "checked with the patient"},
            {"other_medicines": ["Percocet 5/325 mg"], "co_medication_reason": "stopped 14 days ago"},
            {"lot_number": "L2026-000123"},
            {"lot_number": "bad lot!"},
            {"date": "2026-12-31"},
            {"date": dt.date(2999, 12, 31)},
        ],
        "ldn-oral-liquid": [
            {},
            {"strength_basis": "base"},
            {"dose": "4.5 mg"},
            {"dose": "1.25 mg"},
            {"dose": "12 mg"},
            {"directions": "Take 4.5 mL by mouth at bedtime"},
            {"directions": "4.5 mg po qhs"},
            {"directions": "po bid", "titration": "1.5 mg:7, 3 mg"},
            {"titration": "1 mg:7, 2 mg"},
            {"titration": "1.5 mg for 7 days, then 4.5 mg"},
            {"titration": "0.5 mg:3, 1 mg:3, 1.5 mg:3, 2 mg", "dispense": "30 mL"},
            {"dispense": "60 mL", "directions": "3 mL po qhs"},
            {"stability": "fawcett-1997-refrigerated"},
            {"lots": ["glycerol=GL-7:2026-03-20", "naltrexone-hcl=N1"]},
            {"other_medicines": ["Imodium"]},
            {"date": "2026-03-05"},
        ],
        "ldn-sublingual-drops": [
            {},
            {"drops_per_ml": 25},
            {"drops_per_ml": 30},
            {"drops_per_ml": "33.3"},
            {"drops_per_ml": 100},
            {"drops_per_ml": 30, "dose": "3 mg"},
            {"directions": "1 gtt sl qhs"},
            {"directions": "3 gtt sl qhs"},
            {"titration": "1 mg:7, 2 mg:7, 4.5 mg"},
            {"strength_basis": "base"},
        ],
        "ldn-topical-cream": [
            {},
            {"dose": "1 mg"},
            {"dose": "2 mg"},
            {"directions": "1 click top qd"},
            {"directions": "1 click top qd", "dose": "0.25 mg"},
            {"directions": "top qd", "dose": "1 mg"},
            {"dose": "9 mg"},
            {"strength_basis": "base"},
        ],
    }
    settings = list(_settings_variants().values())
    rng = random.Random(20260301)
    for formula, options in per_form.items():
        strengths, quantities = grids[formula]
        for extra in options:
            for _ in range(4):
                arguments: dict[str, Any] = {
                    "formula": formula,
                    "quantity": rng.choice(quantities),
                    "strength": rng.choice(strengths),
                    "date": DAY,
                }
                arguments.update(rng.choice(sources))
                arguments.update(rng.choice(balances))
                arguments["overage"] = rng.choice(overages)
                arguments["settings"] = rng.choice(settings)
                arguments.update(extra)
                yield "options", arguments
        for source, balance, overage in itertools.product(sources, balances, overages):
            if rng.random() < 0.35:
                yield (
                    "sources",
                    {
                        "formula": formula,
                        "quantity": rng.choice(quantities),
                        "strength": rng.choice(strengths),
                        "date": DAY,
                        "overage": overage,
                        "settings": rng.choice(settings),
                        **source,
                        **balance,
                    },
                )
    # random numbers in each formula's range, as the property tests draw them
    ranges = {
        "ldn-capsules": ("0.1", "10", "mg", lambda: rng.randint(1, 2000)),
        "ldn-oral-liquid": ("0.1", "5", "mg/mL", lambda: f"{rng.randint(50, 10000) / 10} mL"),
        "ldn-sublingual-drops": ("1", "20", "mg/mL", lambda: f"{rng.randint(50, 2000) / 10} mL"),
        "ldn-topical-cream": ("0.5", "10", "mg/g", lambda: f"{rng.randint(30, 5000) / 10} g"),
    }
    for formula, (low, high, unit, quantity_of) in ranges.items():
        for _ in range(150):
            places = rng.choice([1, 2, 3])
            step = Decimal(1).scaleb(-places)
            count = int((Decimal(high) - Decimal(low)) / step)
            strength = Decimal(low) + step * rng.randint(0, count)
            arguments = {"formula": formula, "quantity": quantity_of(), "strength": f"{strength} {unit}", "date": DAY}
            if rng.random() < 0.5:
                arguments["potency"] = str(Decimal(rng.randint(9000, 10200)) / 100)
            elif rng.random() < 0.3:
                arguments.update(
                    assay=str(Decimal(rng.randint(9800, 10200)) / 100),
                    assay_basis="anhydrous",
                    water=str(Decimal(rng.randint(0, 1000)) / 100),
                )
            if rng.random() < 0.3:
                arguments["overage"] = str(Decimal(rng.randint(0, 200)) / 10)
            if rng.random() < 0.3:
                arguments["strength_basis"] = rng.choice(["base", "hcl", "hcl-dihydrate"])
            arguments.update(rng.choice(balances))
            if formula == "ldn-capsules" and rng.random() < 0.3:
                arguments["capsule_size"] = rng.choice(["000", "00", "0", "1", "2", "3", "4"])
            yield "random", arguments
    for name, path in variants.items():
        form = name.split("-")[0]
        base_id = {
            "dihydrate": "ldn-capsules",
            "base": "ldn-capsules",
            "shells": "ldn-capsules",
            "per": "ldn-capsules",
            "cream": "ldn-topical-cream",
            "drops": "ldn-sublingual-drops",
            "liquid": "ldn-oral-liquid",
        }[form]
        strengths, quantities = grids[base_id]
        for strength, quantity in itertools.product(strengths[::2], quantities[::2]):
            arguments = {"formula": str(path), "quantity": quantity, "strength": strength, "date": DAY}
            arguments.update(rng.choice(sources))
            arguments.update(rng.choice(balances))
            arguments["overage"] = rng.choice(overages)
            if base_id == "ldn-topical-cream" and rng.random() < 0.5:
                arguments["directions"] = rng.choice(["1 click top qd", "2 clicks top bid", "top qd"])
                arguments["dose"] = rng.choice([None, "0.25 mg", "0.5 mg", "1 mg"])
            yield f"variant-{name}", arguments


def _request_cases() -> Iterator[dict[str, Any]]:
    """Requests as the web API and the command line make them, some with a patient label and a record."""
    patient = {
        "rx": "104233",
        "patient": "Zoë Łukasiewicz-Núñez",
        "prescriber": "Dr. Amelia Hart",
        "refills": "2",
    }
    yield {"formula": "ldn-capsules", "quantity": 100, "strength": "4.5 mg", "date": DAY}
    yield {"formula": "ldn-oral-liquid", "quantity": "120 mL", "strength": "1 mg/mL", "date": DAY}
    yield {"formula": "ldn-sublingual-drops", "quantity": "30 mL", "date": DAY}
    yield {"formula": "ldn-topical-cream", "quantity": "30 g", "date": DAY}
    yield {"formula": "ldn-capsules", "quantity": 32, "strength": "1.5 mg", "potency": 97.71, "date": DAY}
    yield {"formula": "ldn-capsules", "quantity": "100", "strength": "4.5 mg", "tablet_weight": "180", "date": DAY}
    yield {"formula": "ldn-capsules", "quantity": 30, "bud_rules": "legacy", "date": DAY}
    yield {"formula": "ldn-capsules", "quantity": 30, "bud_day_one": True, "date": DAY}
    yield {"formula": "ldn-capsules", "quantity": 30, "capsule_size": "0", "strength": "2 mg", "date": DAY}
    yield {"formula": "ldn-oral-liquid", "quantity": "120 mL", "capsule_size": "0", "date": DAY}
    yield {"formula": "ldn-oral-liquid", "quantity": "120 mL", "rx": "1", "date": DAY}
    yield {"formula": "ldn-capsules", "quantity": 10.5, "date": DAY}
    yield {"formula": "ldn-capsules", "quantity": 0, "date": DAY}
    yield {"formula": "ldn-capsules", "quantity": "4.5 mg", "date": DAY}
    yield {"formula": "ldn-capsules", "quantity": 100, "strength": "45 mg", "date": DAY}
    yield {"formula": "ldn-capsules", "quantity": 100, "strength": "4.5 mL", "date": DAY}
    yield {"formula": "ldn-oral-liquid", "quantity": "120 mg", "date": DAY}
    yield {"formula": "ldn-oral-liquid", "quantity": "120 mL", "strength": "4.5 mg", "date": DAY}
    yield {"formula": "ldn-capsules", "quantity": 100, "date": "2026-02-30"}
    documents = [
        {"record": True},
        {"labels": True},
        {"record": True, "labels": True},
    ]
    with_rx: list[dict[str, Any]] = [
        {
            "formula": "ldn-capsules",
            "quantity": 30,
            "strength": "4.5 mg",
            "directions": "Take 1 capsule by mouth at bedtime",
        },
        {"formula": "ldn-capsules", "quantity": 60, "strength": "1.5 mg", "sig": "3 cap po qhs", "language": "es"},
        {"formula": "ldn-capsules", "quantity": 90, "strength": "3 mg", "sig": "1 cap po bid", "dispense": "60"},
        {
            "formula": "ldn-oral-liquid",
            "quantity": "120 mL",
            "strength": "1 mg/mL",
            "sig": "po qhs",
            "titration": "1.5 mg:7, 3 mg:7, 4.5 mg",
        },
        {"formula": "ldn-oral-liquid", "quantity": "100 mL", "directions": "Take 4.5 mL by mouth at bedtime"},
        {"formula": "ldn-sublingual-drops", "quantity": "30 mL", "sig": "3 gtt sl qhs", "language": "es"},
        {"formula": "ldn-topical-cream", "quantity": "30 g", "sig": "top qd", "dose": "1 mg"},
        {
            "formula": "ldn-capsules",
            "quantity": 30,
            "directions": "Take it as the doctor said",
            "directions_unchecked": "written on the prescription",
            "dose": "4.5 mg",
        },
    ]
    stock: list[dict[str, Any]] = [
        {"formula": "ldn-capsules", "quantity": 32, "strength": "1.5 mg", "lots": ["naltrexone-hcl=NX2291:2027-06-30"]},
        {"formula": "ldn-oral-liquid", "quantity": "300 mL", "potency": "98.5", "lots": ["glycerol=G7:2026-05"]},
        {"formula": "ldn-sublingual-drops", "quantity": "15 mL", "strength": "2 mg/mL", "drops_per_ml": "25"},
        {"formula": "ldn-topical-cream", "quantity": "50 g", "strength": "3 mg/g", "tablet_weight": "200 mg"},
        {"formula": "ldn-capsules", "quantity": 100, "tablet_weight": "180 mg", "strength": "0.5 mg"},
        {"formula": "ldn-capsules", "quantity": 100, "strength": "4.5 mg", "page_size": "a4"},
    ]
    for body, docs in itertools.product(with_rx, documents):
        yield {**body, **patient, **docs, "date": DAY}
    for body, docs in itertools.product(stock, documents):
        if "page_size" in body and not docs.get("record"):
            continue
        yield {**body, **docs, "date": DAY}


# --------------------------------------------------------------------------- running a case


def _error(error: Exception) -> bytes:
    return f"{type(error).__name__}|{getattr(error, 'code', '')}|{error}".encode()


def _batch_outputs(result: Any) -> list[bytes]:
    from ldn_compound.render.text import batch_text

    return [result.to_json().encode(), batch_text(result).encode(), result.fingerprint.encode()]


#: The temporary folder of the formula variants, as it appears in their documents ("source"), hashed as a fixed word.
_FOLDER: list[bytes] = []


def _digest(parts: list[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        for folder in _FOLDER:
            part = part.replace(folder, b"<folder>")  # noqa: PLW2901
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _describe(arguments: dict[str, Any]) -> str:
    shown = {k: (Path(v).name if k == "formula" and str(v).endswith(".toml") else v) for k, v in arguments.items()}
    return repr(sorted(shown.items(), key=lambda item: item[0]))


class _Register:
    """A stand-in for the batch register: gives every batch the same lot and keeps its prints."""

    def record(self, result: Any, _prescription: Any, *, request: Any, prints: Callable[[Any], Any]) -> str:  # noqa: ARG002
        import attrs

        lot = "L2026-000042"
        prints(attrs.evolve(result, lot_number=lot))
        return lot


def run(sections: set[str] | None = None, *, pdfs: bool = True) -> dict[str, str]:
    """Every case's id and hash, in order."""
    from ldn_compound import calculate_batch, service
    from ldn_compound.jsonio import batch_from_dict, dumps, formula_to_dict, formulas_to_dict
    from ldn_compound.loader import load_formula
    from ldn_compound.render.text import formula_text, formulas_table

    out: dict[str, str] = {}
    settings_names = _settings_variants()

    def want(section: str) -> bool:
        return sections is None or section in sections

    with tempfile.TemporaryDirectory() as folder:
        variants = _variants(Path(folder))
        _FOLDER[:] = [folder.encode()]
        # batches through calculate_batch
        if want("calc"):
            roundtrip = 0
            for section, arguments in _calc_cases(variants):
                shown = dict(arguments)
                settings = arguments.get("settings")
                if settings is not None and not isinstance(settings, str):
                    shown["settings"] = next(k for k, v in settings_names.items() if v is settings)
                key = f"calc {section} {_describe(shown)}"
                kwargs = dict(arguments)
                formula = kwargs.pop("formula")
                try:
                    result = calculate_batch(formula, **kwargs)
                except Exception as error:  # noqa: BLE001 - a refused input is an output too
                    parts = [_error(error)]
                else:
                    parts = _batch_outputs(result)
                    roundtrip += 1
                    if roundtrip % 5 == 0:  # the document read back gives the same document
                        data = result.to_dict()
                        try:
                            again = batch_from_dict(data, result.formula)
                        except Exception as error:  # noqa: BLE001
                            parts.append(_error(error))
                        else:
                            parts.append(dumps(again.to_dict()).encode())
                out[key] = _digest(parts)
        # requests through the service, with PDFs
        if want("service"):
            original = service._open  # noqa: SLF001 - the bench's stand-in register

            @contextlib.contextmanager
            def fake_open(_register: str | None) -> Iterator[_Register]:
                yield _Register()

            service._open = fake_open  # type: ignore[assignment]  # noqa: SLF001
            try:
                for body in _request_cases():
                    data = {k: v for k, v in body.items() if k not in {"record", "labels", "page_size"}}
                    key = f"service {_describe(body)}"
                    try:
                        request = service.request_from_mapping(
                            data, record=bool(body.get("record")), labels=bool(body.get("labels"))
                        )
                        import attrs

                        request = attrs.evolve(
                            request,
                            page_size=body.get("page_size"),
                            pharmacy_config=str(ROOT / "docs/examples/pharmacy.toml")
                            if body.get("record") or body.get("labels")
                            else None,
                        )
                        if not pdfs and (request.record or request.labels):
                            continue
                        outcome = service.run_batch(request)
                    except Exception as error:  # noqa: BLE001
                        parts = [_error(error)]
                    else:
                        parts = _batch_outputs(outcome.result)
                        parts += [outcome.record or b"", outcome.labels or b"", repr(outcome.prescription).encode()]
                    out[key] = _digest(parts)
            finally:
                service._open = original  # type: ignore[assignment]  # noqa: SLF001
        # formulas: documents, text, reference batches, master formulation records
        if want("formulas"):
            formulas = [load_formula(f) for f in BUILT_IN]
            formulas += [load_formula(path) for path in variants.values()]
            out["formulas list"] = _digest(
                [
                    dumps(formulas_to_dict(formulas)).encode(),
                    "\n".join(formulas_table(formulas, with_source=True)).encode(),
                ]
            )
            for formula in formulas:
                for strength in (None, formula.strength.minimum, formula.strength.maximum, "2 mg/mL", "3 mg"):
                    key = f"formula {formula.id} {strength}"
                    try:
                        reference = None if strength is None else service.reference_batch(formula, strength)
                        parts = [
                            dumps(formula_to_dict(formula, reference)).encode(),
                            formula_text(formula, reference).encode(),
                        ]
                    except Exception as error:  # noqa: BLE001
                        parts = [_error(error)]
                    out[key] = _digest(parts)
                if pdfs and formula.id in BUILT_IN:  # a variant's record prints its folder
                    from ldn_compound.render.record import render_master_formula

                    buffer = io.BytesIO()
                    render_master_formula(formula, buffer)
                    out[f"mfr {formula.id}"] = _digest([buffer.getvalue()])
        # amounts read and printed
        if want("units"):
            out.update(_unit_cases())
    return out


def _unit_cases() -> dict[str, str]:
    from ldn_compound.units import (
        CONCENTRATION,
        COUNT_CAPSULE,
        MASS,
        MASS_FRACTION,
        Q_,
        VOLUME,
        format_amount,
        magnitude,
        parse_quantity,
    )

    kinds = {
        "mass": MASS,
        "volume": VOLUME,
        "concentration": CONCENTRATION,
        "fraction": MASS_FRACTION,
        "count": COUNT_CAPSULE,
    }
    texts = [
        "4.5 mg",
        "0.0025 g",
        "2500 mcg",
        "2500 µg",
        "2500 μg",
        "1 kg",
        "0.09999 mg",
        "0.1 mg",
        "999.99995 mg",
        "999999.9 g",
        "1000000 mg",
        "0 mg",
        "-1 mg",
        "120 mL",
        "0.5 L",
        "1000 mL",
        "999.96 mL",
        "1 mg/mL",
        "5 mg/5 mL",
        "0.5 g/100 mL",
        "1 mg/g",
        "10 mg/g",
        "0.1 %",
        "2 %",
        "100",
        "100 capsules",
        "1 capsule",
        "4,5 mg",
        "1,000",
        "1e-7 mL",
        "1e3 mg",
        "4.5",
        "",
        " ",
        "mg",
        "4.5 mg/capsule",
        "4.5 mg mL",
        "(mg",
        "4.5 mg/0 mL",
        "4.5 drops",
        "1 click",
        "3 tablet",
        "1e16 mg",
        "NaN",
        "inf",
        "1 g/mL",
        "0.98 g/mL",
        "1 mg/L",
        "1 kg/L",
    ]
    out: dict[str, str] = {}
    for text, (name, kind) in itertools.product(texts, kinds.items()):
        parts: list[bytes] = []
        for positive, default in ((True, None), (False, None), (True, "mg"), (False, "mL")):
            try:
                quantity = parse_quantity(text, "field", kind, positive=positive, default_unit=default)
            except Exception as error:  # noqa: BLE001
                parts.append(_error(error))
            else:
                parts.append(f"{quantity.magnitude!r} {quantity.units!r}".encode())
                for significant, places in ((None, None), (3, None), (6, None), (None, 1), (None, 4)):
                    parts.append(format_amount(quantity, significant=significant, places=places).encode())
        out[f"units {text!r} {name}"] = _digest(parts)
    values = [
        Decimal(v)
        for v in (
            "0",
            "1e-7",
            "0.00005",
            "0.099995",
            "0.1",
            "4.98055",
            "99.99995",
            "999.99995",
            "1000",
            "123456.789",
            "-2.5",
        )
    ]
    units = [
        "mg",
        "g",
        "mcg",
        "kg",
        "mL",
        "L",
        "mg/mL",
        "mg/g",
        "g/mL",
        "capsule",
        "drop",
        "click",
        "tablet",
        "",
        "mg/L",
        "µL",
    ]
    for value, unit in itertools.product(values, units):
        parts = []
        quantity = Q_(value, unit)
        for significant, places in ((None, None), (4, None), (6, None), (None, 2)):
            for forced in (None, unit or None):
                try:
                    parts.append(format_amount(quantity, significant=significant, places=places, unit=forced).encode())
                except Exception as error:  # noqa: BLE001
                    parts.append(_error(error))
        for target in ("mg", "mL", "mg/mL", "g/mL", "capsule"):
            try:
                parts.append(repr(magnitude(quantity, target)).encode())
            except Exception as error:  # noqa: BLE001
                parts.append(_error(error))
        out[f"format {value} {unit!r}"] = _digest(parts)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"record the hashes in {HASHES.name}")
    parser.add_argument("--no-pdf", action="store_true", help="leave out the cases that render PDFs (faster)")
    parser.add_argument("--section", action="append", choices=["calc", "service", "formulas", "units"])
    args = parser.parse_args()
    hashes = run(set(args.section) if args.section else None, pdfs=not args.no_pdf)
    total = hashlib.sha256("".join(f"{k}\t{v}\n" for k, v in hashes.items()).encode()).hexdigest()
    if args.write:
        lines = [f"# {_versions()}", f"# total {total}", *(f"{v}\t{k}" for k, v in hashes.items())]
        HASHES.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{len(hashes)} cases written to {HASHES.name}")
        return 0
    recorded: dict[str, str] = {}
    versions = ""
    for line in HASHES.read_text(encoding="utf-8").splitlines():
        if line.startswith("# ") and "==" in line:
            versions = line[2:]
        elif line and not line.startswith("#"):
            value, _, key = line.partition("\t")
            recorded[key] = value
    if versions != _versions():
        print(f"note: hashes recorded with {versions}, running {_versions()} (PDF bytes may differ)")
    differ = [key for key, value in hashes.items() if recorded.get(key) != value]
    for key in differ:
        print(f"DIFFERS ({'new case' if key not in recorded else 'changed'}): {key}")
    checked = len(hashes) - len(differ)
    errors = sum(1 for key in hashes if key in recorded)
    print(f"{checked} of {len(hashes)} cases the same ({errors} recorded cases run)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
