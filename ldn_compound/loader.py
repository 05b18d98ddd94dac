"""Formula files (TOML) → :class:`~ldn_compound.model.MasterFormula`.

The built-in formulas ship inside the package (``ldn_compound.formulas``, the
repository's ``formulas/`` folder); a pharmacy adds its own by path or from a
directory of its own.  The file format is described in ``formulas/README.md``.
Loading reports every problem in a file at once, each with a key path
(``$.components[1].amount``) and what was expected.

>>> sorted(load_formulas())
['ldn-capsules', 'ldn-oral-liquid', 'ldn-sublingual-drops', 'ldn-topical-cream']
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

from ldn_compound._toml import parse_toml, read_text
from ldn_compound.exceptions import FormulaFileError, FormulaNotFoundError, InputError, Problem
from ldn_compound.i18n import LANGUAGES, LabelWords, formula_statements
from ldn_compound.model import (
    ROLES,
    Amount,
    AmountKind,
    CapsuleSpec,
    Component,
    DosageForm,
    DropsSpec,
    MasterFormula,
    PreparationClass,
    QualityCheck,
    Reference,
    StabilityEvidence,
    StrengthRange,
    TopicalSpec,
)
from ldn_compound.settings import Settings
from ldn_compound.substances import NALTREXONE_HCL, SALT_FORMS
from ldn_compound.units import (
    CONCENTRATION,
    COUNT_CAPSULE,
    MASS,
    MASS_FRACTION,
    VOLUME,
    Kind,
    Quantity,
    parse_quantity,
    to_decimal,
)

__all__ = [
    "FORMAT",
    "builtin_ids",
    "load_formula",
    "load_formula_file",
    "load_formulas",
    "missing_translations",
    "parse_formula",
]

#: The value of the ``format`` key every formula file starts with.
FORMAT = "ldn-compound/formula/1"

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_PERCENT_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*(w/v|v/v|w/w)\s*$", re.IGNORECASE)
_TOP_KEYS = {
    "format": True,
    "id": True,
    "name": True,
    "version": True,
    "dosage_form": True,
    "description": False,
    "preparation_class": True,
    "storage": True,
    "container": True,
    "reference_quantity": False,
    "strength": True,
    "components": True,
    "capsule": False,
    "drops": False,
    "topical": False,
    "stability": False,
    "procedure": False,
    "equipment": False,
    "quality_checks": False,
    "auxiliary_labels": False,
    "references": False,
    "translations": False,
}
_SECTION_FOR_FORM = {
    DosageForm.CAPSULES: "capsule",
    DosageForm.SUBLINGUAL_DROPS: "drops",
    DosageForm.TOPICAL_CREAM: "topical",
}
_AMOUNT_KINDS = {
    DosageForm.CAPSULES: {AmountKind.FILL, AmountKind.PER_UNIT},
    DosageForm.ORAL_LIQUID: {AmountKind.W_V, AmountKind.V_V, AmountKind.QS},
    DosageForm.SUBLINGUAL_DROPS: {AmountKind.W_V, AmountKind.V_V, AmountKind.QS},
    DosageForm.TOPICAL_CREAM: {AmountKind.W_W, AmountKind.QS},
}
_QUANTITY_KIND = {
    DosageForm.CAPSULES: COUNT_CAPSULE,
    DosageForm.ORAL_LIQUID: VOLUME,
    DosageForm.SUBLINGUAL_DROPS: VOLUME,
    DosageForm.TOPICAL_CREAM: MASS,
}

T = TypeVar("T")


class _Reader:
    """Walks one parsed document, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def table(self, data: Any, path: str) -> Mapping[str, Any] | None:
        if not isinstance(data, Mapping):
            self.problem(path, f"must be a table (got {type(data).__name__})")
            return None
        return data

    def keys(self, data: Mapping[str, Any], path: str, allowed: Mapping[str, bool]) -> None:
        for key in data:
            if key not in allowed:
                self.problem(f"{path}.{key}", f"is not a known key (known: {', '.join(allowed)})")
        for key, required in allowed.items():
            if required and key not in data:
                self.problem(f"{path}.{key}", "is required")

    def text(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True, default: str = "") -> str:
        if key not in data:
            return default
        value = data[key]
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(f"{path}.{key}", f"must be non-empty text (got {value!r})")
            return default
        return value.strip()

    def texts(self, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(f"{path}.{key}", f"must be a list of non-empty texts (got {value!r})")
            return ()
        return tuple(v.strip() for v in value)

    def quantity(self, data: Mapping[str, Any], key: str, path: str, kind: Kind, **options: Any) -> Quantity | None:
        if key not in data:
            return None
        value = data[key]
        try:
            return parse_quantity(value, f"{path}.{key}", kind, **options)
        except InputError as error:
            self.problem(f"{path}.{key}", f"must {error.rule} (got {value!r})")
            return None

    def choice(
        self, data: Mapping[str, Any], key: str, path: str, convert: Callable[[str], T], names: Iterable[str]
    ) -> T | None:
        value = data.get(key)
        if value is None:
            return None
        try:
            return convert(value)
        except (ValueError, KeyError, TypeError):
            self.problem(f"{path}.{key}", f"must be one of {', '.join(names)} (got {value!r})")
            return None

    def items(self, data: Mapping[str, Any], key: str, path: str) -> list[tuple[str, Mapping[str, Any]]]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.problem(f"{path}.{key}", f"must be an array of tables (got {type(value).__name__})")
            return []
        out = []
        for index, item in enumerate(value):
            item_path = f"{path}.{key}[{index}]"
            table = self.table(item, item_path)
            if table is not None:
                out.append((item_path, table))
        return out


def _amount(reader: _Reader, raw: Any, path: str, form: DosageForm | None) -> Amount | None:
    if not isinstance(raw, str) or not raw.strip():
        reader.problem(path, f"must be text such as '0.5 % w/v', '5 mg/mL', 'q.s.' or 'fill' (got {raw!r})")
        return None
    text = raw.strip()
    lowered = text.lower()
    amount: Amount | None = None
    if lowered in {"q.s.", "qs", "q.s"}:
        amount = Amount(AmountKind.QS, None, "q.s.")
    elif lowered == "fill":
        amount = Amount(AmountKind.FILL, None, "to fill")
    elif match := _PERCENT_RE.match(text):
        number = Decimal(match[1])
        kind = AmountKind(match[2].lower())
        if kind is AmountKind.W_V:
            amount = Amount(kind, parse_quantity(f"{number * 10} mg/mL", path, CONCENTRATION), text)
        elif kind is AmountKind.W_W:
            amount = Amount(kind, parse_quantity(f"{number * 10} mg/g", path, MASS_FRACTION), text)
        else:
            amount = Amount(kind, number / 100, text)
        if number <= 0 or number >= 100:
            reader.problem(path, f"must be a percentage above 0 and below 100 (got {raw!r})")
            return None
    else:
        for kind_, quantity_kind in (
            (AmountKind.PER_UNIT, MASS),
            (AmountKind.W_V, CONCENTRATION),
            (AmountKind.W_W, MASS_FRACTION),
        ):
            try:
                amount = Amount(kind_, parse_quantity(text, path, quantity_kind), text)
                break
            except InputError:
                continue
        if amount is None:
            reader.problem(
                path,
                f"must be '<n> % w/v', '<n> % v/v', '<n> % w/w', a mass per capsule, mg/mL, mg/g, 'q.s.' or 'fill' (got {raw!r})",
            )
            return None
    if form is not None and amount.kind not in _AMOUNT_KINDS[form]:
        allowed = ", ".join(sorted(k.value for k in _AMOUNT_KINDS[form]))
        reader.problem(path, f"must be one of the amount kinds a {form.value} formula uses ({allowed}) (got {raw!r})")
        return None
    return amount


def parse_formula(
    data: Mapping[str, Any], source: str = "<data>", *, settings: Settings | None = None
) -> MasterFormula:
    """Build a formula from parsed TOML (or equivalent) data; raise :class:`~ldn_compound.exceptions.FormulaFileError` listing every problem.

    With ``settings``, every label statement must have a translation into each
    of its ``label_languages`` (see :func:`~ldn_compound.loader.missing_translations`).
    """
    r = _Reader()
    if not isinstance(data, Mapping):
        raise FormulaFileError(source, [Problem("$", "must be a table")])
    r.keys(data, "$", _TOP_KEYS)
    if "format" in data and data["format"] != FORMAT:
        r.problem("$.format", f"must be {FORMAT!r} (got {data['format']!r})")
    formula_id = r.text(data, "id", "$")
    if formula_id and not _ID_RE.match(formula_id):
        r.problem("$.id", f"must be lower-case letters, digits and hyphens, e.g. 'ldn-capsules' (got {formula_id!r})")
    name = r.text(data, "name", "$")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        r.problem("$.version", f"must be text such as '1.0' (got {version!r})")
        version = ""
    form = r.choice(data, "dosage_form", "$", DosageForm, [f.value for f in DosageForm])
    prep = r.choice(data, "preparation_class", "$", PreparationClass, [c.value for c in PreparationClass])
    storage = r.text(data, "storage", "$")
    container = r.text(data, "container", "$")
    description = r.text(data, "description", "$", required=False)

    # strength
    rng: StrengthRange | None = None
    strength = r.table(data.get("strength", {}), "$.strength")
    if strength is not None and form is not None:
        r.keys(strength, "$.strength", {"default": True, "minimum": True, "maximum": True, "basis": False})
        kind = form.strength_kind
        default = r.quantity(strength, "default", "$.strength", kind)
        low = r.quantity(strength, "minimum", "$.strength", kind)
        high = r.quantity(strength, "maximum", "$.strength", kind)
        basis = r.choice(strength, "basis", "$.strength", lambda v: SALT_FORMS[v], SALT_FORMS) or NALTREXONE_HCL
        if default is not None and low is not None and high is not None:
            if not low <= default <= high:
                r.problem("$.strength.default", "must lie between minimum and maximum")
            else:
                rng = StrengthRange(default=default, minimum=low, maximum=high, basis=basis)

    # components
    components: list[Component] = []
    seen: set[str] = set()
    for path, item in r.items(data, "components", "$"):
        r.keys(
            item,
            path,
            {
                "id": True,
                "name": True,
                "role": True,
                "amount": False,
                "grade": False,
                "salt_form": False,
                "notes": False,
            },
        )
        cid = r.text(item, "id", path)
        if cid and not _ID_RE.match(cid):
            r.problem(f"{path}.id", f"must be lower-case letters, digits and hyphens (got {cid!r})")
        if cid in seen:
            r.problem(f"{path}.id", f"must be unique in the formula (got {cid!r} twice)")
        seen.add(cid)
        role = r.text(item, "role", path)
        if role and role not in ROLES:
            r.problem(f"{path}.role", f"must be one of {', '.join(ROLES)} (got {role!r})")
        salt = r.choice(item, "salt_form", path, lambda v: SALT_FORMS[v], SALT_FORMS)
        if role == "active":
            if "amount" in item:
                r.problem(f"{path}.amount", "must be left out for the active: its amount follows the strength")
            amount: Amount | None = Amount(AmountKind.ACTIVE)
        elif "amount" not in item:
            r.problem(f"{path}.amount", "is required for every component but the active")
            amount = None
        else:
            amount = _amount(r, item["amount"], f"{path}.amount", form)
        if cid and role and amount is not None:
            components.append(
                Component(
                    id=cid,
                    name=r.text(item, "name", path) or cid,
                    role=role,
                    amount=amount,
                    grade=r.text(item, "grade", path, required=False),
                    salt_form=salt if role == "active" else None,
                    notes=r.text(item, "notes", path, required=False),
                )
            )
    if "components" in data and isinstance(data.get("components"), list):
        actives = [c for c in components if c.role == "active"]
        if len(actives) != 1:
            r.problem("$.components", f"must have exactly one component with role 'active' (got {len(actives)})")
        qs_or_fill = [c for c in components if c.amount.kind in {AmountKind.QS, AmountKind.FILL}]
        if len(qs_or_fill) != 1 and not r.problems:
            r.problem("$.components", f"must have exactly one 'q.s.' or 'fill' component (got {len(qs_or_fill)})")

    # dosage-form sections
    capsule = drops = topical = None
    if form is not None:
        wanted = _SECTION_FOR_FORM.get(form)
        for section in ("capsule", "drops", "topical"):
            if section in data and section != wanted:
                r.problem(f"$.{section}", f"is only for {section} formulas, not {form.value}")
        if wanted and wanted not in data:
            r.problem(f"$.{wanted}", f"is required for a {form.value} formula")
        if form is DosageForm.CAPSULES and (table := r.table(data.get("capsule", {}), "$.capsule")) is not None:
            capsule = _capsule(r, table, seen)
        if form is DosageForm.SUBLINGUAL_DROPS and (table := r.table(data.get("drops", {}), "$.drops")) is not None:
            drops = _drops(r, table)
        if form is DosageForm.TOPICAL_CREAM and (table := r.table(data.get("topical", {}), "$.topical")) is not None:
            topical = _topical(r, table)
            known = {c.id for c in components}
            if topical.aqueous_phase and components and topical.aqueous_phase not in known:
                r.problem("$.topical.aqueous_phase", f"must name a component (got {topical.aqueous_phase!r})")
    if prep is PreparationClass.AQUEOUS_UNPRESERVED and storage and "refrigerat" not in storage.lower():
        r.problem(
            "$.storage",
            "must say the preparation is refrigerated: USP <795> dates unpreserved aqueous preparations for the refrigerator",
        )

    reference_quantity = None
    if form is not None and "reference_quantity" in data:
        reference_quantity = r.quantity(data, "reference_quantity", "$", _QUANTITY_KIND[form], default_unit="capsule")

    stability = []
    for path, item in r.items(data, "stability", "$"):
        r.keys(item, path, {"id": True, "days": True, "storage": True, "citation": True})
        days = item.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 1095:
            r.problem(f"{path}.days", f"must be a whole number of days from 1 to 1095 (got {days!r})")
            days = None
        sid, sst, cit = r.text(item, "id", path), r.text(item, "storage", path), r.text(item, "citation", path)
        if days is not None and sid and sst and cit:
            stability.append(StabilityEvidence(id=sid, days=days, storage=sst, citation=cit))

    checks = []
    for path, item in r.items(data, "quality_checks", "$"):
        r.keys(item, path, {"name": True, "specification": True})
        checks.append(QualityCheck(r.text(item, "name", path), r.text(item, "specification", path)))
    references = []
    for path, item in r.items(data, "references", "$"):
        r.keys(item, path, {"citation": True, "supports": False})
        references.append(Reference(r.text(item, "citation", path), r.text(item, "supports", path, required=False)))

    procedure = r.texts(data, "procedure", "$")
    equipment = r.texts(data, "equipment", "$")
    auxiliary = r.texts(data, "auxiliary_labels", "$")
    translations = _translations(r, data)

    if r.problems or form is None or prep is None or rng is None:
        if not r.problems:  # pragma: no cover - every None above records a problem
            r.problem("$", "is incomplete")
        raise FormulaFileError(source, r.problems)
    formula = MasterFormula(
        id=formula_id,
        name=name,
        version=str(version).strip(),
        dosage_form=form,
        strength=rng,
        components=tuple(components),
        preparation_class=prep,
        storage=storage,
        container=container,
        description=description,
        capsule=capsule,
        drops=drops,
        topical=topical,
        reference_quantity=reference_quantity,
        stability=tuple(stability),
        procedure=procedure,
        equipment=equipment,
        quality_checks=tuple(checks),
        auxiliary_labels=auxiliary,
        references=tuple(references),
        source=source,
        translations=translations,
    )
    return _checked(formula, settings)


def _translations(r: _Reader, data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The ``[translations.<language>]`` tables: each maps a label statement of this formula to its translation."""
    if "translations" not in data or (table := r.table(data["translations"], "$.translations")) is None:
        return {}
    statements = {text for _, text in formula_statements(data)}
    others = ", ".join(code for code in LANGUAGES if code != "en")
    result: dict[str, dict[str, str]] = {}
    for language, entries in table.items():
        path = f"$.translations.{language}"
        if language not in LANGUAGES or language == "en":
            r.problem(path, f"must be a label language other than English: {others}")
            continue
        if (entries := r.table(entries, path)) is None:
            continue
        result[language] = {}
        for english, translated in entries.items():
            where = f"{path}[{english!r}]"
            if english not in statements:
                r.problem(where, "must be the storage or an auxiliary statement of this formula, word for word")
            elif not isinstance(translated, str) or not translated.strip() or "\n" in translated:
                r.problem(where, f"must be one line of non-empty text (got {translated!r})")
            else:
                result[language][english] = translated.strip()
    return result


def missing_translations(formula: MasterFormula, languages: Iterable[str]) -> list[Problem]:
    """A problem for each label statement of ``formula`` without a translation into one of ``languages``.

    A statement is translated by the formula's own ``[translations.<language>]``
    table or by the package's catalog (which has the built-in formulas' statements).
    """
    statements = [("$.storage", formula.storage)]
    statements += [(f"$.stability[{n}].storage", evidence.storage) for n, evidence in enumerate(formula.stability)]
    statements += [(f"$.auxiliary_labels[{n}]", text) for n, text in enumerate(formula.auxiliary_labels)]
    problems: list[Problem] = []
    for language in languages:
        if language == "en":
            continue
        words = LabelWords(language=language).for_formula(formula.translations)
        for path, text in statements:
            try:
                words.translate(text.strip())
            except InputError:
                problems.append(
                    Problem(
                        path,
                        f"must have a {LANGUAGES[language]} translation ({language} is a label language in the "
                        f'settings): add {text.strip()!r} = "..." to [translations.{language}]',
                    )
                )
    return problems


def _checked(formula: MasterFormula, settings: Settings | None) -> MasterFormula:
    """``formula``, if it has a translation of every label statement into the settings' label languages."""
    if settings is not None and (problems := missing_translations(formula, settings.label_languages)):
        raise FormulaFileError(formula.source, problems)
    return formula


def _capsule(r: _Reader, table: Mapping[str, Any], component_ids: set[str]) -> CapsuleSpec | None:
    from ldn_compound.forms.capsules import CAPSULE_VOLUMES

    path = "$.capsule"
    r.keys(
        table,
        path,
        {"size": True, "filler": True, "packing": False, "bulk_density": False, "displacement_factor": False},
    )
    size = table.get("size")
    if size is not None and str(size) not in CAPSULE_VOLUMES:
        r.problem(f"{path}.size", f"must be one of {', '.join(CAPSULE_VOLUMES)} (got {size!r})")
    filler = r.text(table, "filler", path)
    if filler and filler not in component_ids:
        r.problem(f"{path}.filler", f"must be the id of a component (got {filler!r})")
    packing: dict[str, Quantity] = {}
    raw = table.get("packing", {})
    if r.table(raw, f"{path}.packing") is not None:
        for key in raw:
            if key not in CAPSULE_VOLUMES:
                r.problem(f"{path}.packing.{key}", f"must be a capsule size, one of {', '.join(CAPSULE_VOLUMES)}")
                continue
            stat = r.quantity(raw, key, f"{path}.packing", MASS)
            if stat is not None:
                packing[key] = stat
    density = r.quantity(table, "bulk_density", path, CONCENTRATION)
    factor = Decimal(1)
    if "displacement_factor" in table:
        given = _number_within(table["displacement_factor"], Decimal(0), Decimal(5), low_inclusive=False)
        if given is None:
            raw_factor = table["displacement_factor"]
            r.problem(f"{path}.displacement_factor", f"must be a number above 0 and at most 5 (got {raw_factor!r})")
        else:
            factor = given
    if size is not None and str(size) not in packing and density is None and str(size) in CAPSULE_VOLUMES:
        r.problem(f"{path}.packing", f"must give the default size {size!r} or set bulk_density")
    if size is None or not filler:
        return None
    return CapsuleSpec(size=str(size), filler=filler, packing=packing, bulk_density=density, displacement_factor=factor)


def _number_within(value: object, low: Decimal, high: Decimal, *, low_inclusive: bool = True) -> Decimal | None:
    """``value`` as a Decimal when it is a number within the bounds, else ``None``."""
    try:
        number = to_decimal(value)
    except InputError:
        return None
    above = number >= low if low_inclusive else number > low
    return number if above and number <= high else None


def _drops(r: _Reader, table: Mapping[str, Any]) -> DropsSpec | None:
    path = "$.drops"
    r.keys(table, path, {"drops_per_ml": True, "dropper": False})
    value = table.get("drops_per_ml")
    per_ml = _number_within(value, Decimal(5), Decimal(60))
    if per_ml is None:
        r.problem(
            f"{path}.drops_per_ml", f"must be the calibrated dropper's drops per mL, from 5 to 60 (got {value!r})"
        )
        return None
    return DropsSpec(drops_per_ml=per_ml, dropper=r.text(table, "dropper", path, required=False))


def _topical(r: _Reader, table: Mapping[str, Any]) -> TopicalSpec:
    path = "$.topical"
    r.keys(table, path, {"click_volume": False, "density": False, "dispenser": False, "aqueous_phase": False})
    return TopicalSpec(
        click_volume=r.quantity(table, "click_volume", path, VOLUME),
        density=r.quantity(table, "density", path, CONCENTRATION),
        dispenser=r.text(table, "dispenser", path, required=False),
        aqueous_phase=r.text(table, "aqueous_phase", path, required=False),
    )


def load_formula_file(path: str | Path, *, settings: Settings | None = None) -> MasterFormula:
    """Load one formula file; raise :class:`~ldn_compound.exceptions.FormulaFileError` for an unreadable or invalid file.

    With ``settings`` that list label languages other than English, a label
    statement without a translation into one of them is a problem too.
    """
    source = str(path)
    data = parse_toml(read_text(path, FormulaFileError), source, FormulaFileError)
    return parse_formula(data, source, settings=settings)


@functools.cache
def _builtin_folder() -> Traversable:
    """Where the built-in formulas are: the ``ldn_compound.formulas`` package.

    An editable install in setuptools' ``compat`` mode (the one type checkers can
    follow) puts the source tree on the path without the package mapping; there
    the formulas are read from the tree's ``formulas/`` folder beside the package.
    """
    try:
        return resources.files("ldn_compound.formulas")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "formulas"


@functools.cache
def _builtin_file(name: str) -> MasterFormula:
    """The built-in formula in ``formulas/<name>``, parsed once per process."""
    entry = _builtin_folder().joinpath(name)
    return parse_formula(tomllib.loads(entry.read_text(encoding="utf-8")), f"built-in {name}")


@functools.cache
def _builtin_names() -> tuple[str, ...]:
    folder = _builtin_folder()
    return tuple(sorted(e.name for e in folder.iterdir() if e.name.endswith(".toml")))


def _builtin() -> dict[str, MasterFormula]:
    formulas = (_builtin_file(name) for name in _builtin_names())
    return {formula.id: formula for formula in formulas}


def _builtin_by_id(formula_id: str) -> MasterFormula | None:
    """A built-in formula by id, reading only its own file (each is named ``<id>.toml``)."""
    name = f"{formula_id}.toml"
    if name in _builtin_names():
        formula = _builtin_file(name)
        if formula.id == formula_id:
            return formula
    return _builtin().get(formula_id)


def builtin_ids() -> tuple[str, ...]:
    """The ids of the built-in formulas, sorted."""
    return tuple(sorted(_builtin()))


def load_formulas(directory: str | Path | None = None, *, settings: Settings | None = None) -> dict[str, MasterFormula]:
    """The built-in formulas, plus every ``*.toml`` in ``directory`` (a pharmacy's own).

    A directory's formula replaces a built-in one with the same id; two files
    in the directory with the same id are an error.  With ``settings``, every
    formula must have a translation of its label statements into the settings'
    label languages.
    """
    formulas = {formula_id: _checked(formula, settings) for formula_id, formula in _builtin().items()}
    if directory is not None:
        folder = Path(directory)
        if not folder.is_dir():
            raise FormulaFileError(str(folder), [Problem("$", "must be a directory of formula files")])
        own: dict[str, MasterFormula] = {}
        for file in sorted(folder.glob("*.toml")):
            formula = load_formula_file(file, settings=settings)
            if formula.id in own:
                raise FormulaFileError(
                    str(file), [Problem("$.id", f"must be unique: {formula.id!r} is also in {own[formula.id].source}")]
                )
            own[formula.id] = formula
        formulas.update(own)
    return dict(sorted(formulas.items()))


def load_formula(
    formula: str | Path, dirs: Sequence[str | Path] = (), *, settings: Settings | None = None
) -> MasterFormula:
    """A formula by built-in id, by id from ``dirs``, or from a file path (``*.toml``).

    With ``settings``, the formula must have a translation of its label statements
    into the settings' label languages (:class:`~ldn_compound.exceptions.FormulaFileError` otherwise).

    >>> load_formula("ldn-oral-liquid").dosage_form.value
    'oral-liquid'
    """
    text = str(formula)
    if isinstance(formula, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        return load_formula_file(formula, settings=settings)
    if not dirs:
        found = _builtin_by_id(text)
        if found is not None:
            return _checked(found, settings)
    known: dict[str, MasterFormula] = dict(_builtin())
    for directory in dirs:
        known.update(load_formulas(directory))
    if text not in known:
        raise FormulaNotFoundError(text, sorted(known))
    return _checked(known[text], settings)
