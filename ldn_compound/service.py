"""The application layer: requests in, documents out.

The command line and the web app are thin interfaces over this module: they turn
what the user typed into a request (:class:`BatchRequest`), call one function here,
and print or serve what comes back.  Every rule about how the options go together
(which options belong to which dosage form, what a patient label needs, how a
dispensed quantity is read) lives here, once, so the interfaces cannot drift.

A request's fields are named like the keyword arguments of
:func:`~ldn_compound.calculate_batch` and hold the values as the user typed them
(text, or ``None`` when not given).  A mistake in a request raises a
:class:`RequestError` naming the request field; each interface shows that field by
its own name (``--capsule-size`` on the command line, the form field on a page):

>>> request = BatchRequest(formula="ldn-oral-liquid", quantity="120 mL", capsule_size="0")
>>> try:
...     run_batch(request)
... except RequestError as error:
...     print(error.describe(lambda field: field))
capsule_size: applies only to capsules; ldn-oral-liquid is oral liquid

The PDF renderers (and reportlab) are imported only when a document is asked for.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from ldn_compound.batch import calculate_batch, parse_lot
from ldn_compound.config import load_pharmacy_config, load_settings_config
from ldn_compound.directions import Directions, parse_sig
from ldn_compound.exceptions import InputError, LDNError, RenderError
from ldn_compound.i18n import LANGUAGES, check_language
from ldn_compound.loader import load_formula, load_formulas
from ldn_compound.model import (
    BatchResult,
    DosageForm,
    Lot,
    MasterFormula,
    Pharmacy,
    Prescription,
    TitrationStep,
)
from ldn_compound.settings import BudSystem, Settings, default_settings
from ldn_compound.text import MAX_LINE, MAX_NAME, MAX_VALUE, check_text, quote
from ldn_compound.titration import parse_titration
from ldn_compound.units import QuantityLike

if TYPE_CHECKING:  # the register (and SQLAlchemy) is imported only when a batch is registered
    from ldn_compound.register.store import (
        AuditReport,
        Event,
        LotRecord,
        LotSummary,
        RecallHit,
        Register,
        User,
        Weight,
    )

__all__ = [
    "DEFAULT_LABEL_STOCK",
    "ERROR_FIELDS",
    "LOT_ACTIONS",
    "BatchOutcome",
    "BatchRequest",
    "RequestError",
    "accept_amount",
    "add_user",
    "audit_log",
    "audit_verify",
    "backup_register",
    "check_text_fields",
    "create_token",
    "describe_error",
    "disable_user",
    "error_field",
    "formula_ids",
    "label_stocks",
    "list_formulas",
    "list_lots",
    "list_users",
    "lot_action",
    "master_record",
    "no_clobber",
    "parse_amounts",
    "read_formula",
    "read_pharmacy_config",
    "recall",
    "record_with_amounts",
    "reprint",
    "request_from_mapping",
    "run_batch",
    "show_formula",
    "show_lot",
    "sign_in",
    "signed_in_user",
    "site_settings",
    "token_user",
    "weigh",
]

#: The label stock used when a request names none.
DEFAULT_LABEL_STOCK: Final = "roll-4x2.5in"

#: The batch quantity used by ``show --strength`` when a formula names no reference quantity.
_REFERENCE_QUANTITY: Final = {
    DosageForm.CAPSULES: "100",
    DosageForm.ORAL_LIQUID: "100 mL",
    DosageForm.SUBLINGUAL_DROPS: "30 mL",
    DosageForm.TOPICAL_CREAM: "30 g",
}

#: The prescription fields a patient label needs, all together.
_PRESCRIPTION_FIELDS: Final = ("rx", "patient", "prescriber", "directions")
_MAX_REFILLS: Final = 99

#: Options that apply to some dosage forms only.
_ONLY_FOR: Final = {
    "capsule_size": frozenset({DosageForm.CAPSULES}),
    "packing": frozenset({DosageForm.CAPSULES}),
    "bulk_density": frozenset({DosageForm.CAPSULES}),
    "drops_per_ml": frozenset({DosageForm.SUBLINGUAL_DROPS}),
    "titration": frozenset({DosageForm.ORAL_LIQUID, DosageForm.SUBLINGUAL_DROPS}),
}

#: Request fields that only make sense on a label.
_LABEL_FIELDS: Final = ("label_stock", "language")

#: Request fields of the prescription: printed on the patient label and on the compounding record.
_RX_FIELDS: Final = (
    "rx",
    "patient",
    "prescriber",
    "directions",
    "sig",
    "directions_unchecked",
    "refills",
    "dispense",
    "titration",
)

_FIELD_REFERENCE = re.compile(r"\{([a-z_]+)\}")


class RequestError(InputError):
    """A request whose fields do not go together, or a field that breaks a rule of the request.

    ``field`` is the request field (``"capsule_size"``); ``rule`` may name other
    fields as ``{field}``, which each interface replaces by its own name for them
    (:meth:`describe`).  With ``show_value`` the message quotes the value given.
    """

    code = "invalid-request"

    def __init__(
        self, field: str, value: object, rule: str, *, code: str | None = None, show_value: bool = True
    ) -> None:
        self.show_value = show_value
        super().__init__(field, value, rule, code=code)

    def describe(self, name: Callable[[str], str], *, value: object = None) -> str:
        """The message with every field shown by ``name(field)``: ``--capsule-size: applies only to …``.

        ``value`` stands for the value the interface received, where the request held another form of it
        (a file name where the request asked for a document).
        """
        rule = _FIELD_REFERENCE.sub(lambda match: name(match.group(1)), self.rule)
        shown = self.value if value is None else value
        if (self.show_value or value is not None) and shown is not None:
            return f"{name(self.field)} {_quote(shown)}: {rule}"
        return f"{name(self.field)}: {rule}"

    def __str__(self) -> str:
        return self.describe(lambda field: field)


def _quote(value: object) -> str:
    """A value as the user typed it, in double quotes, clipped and on one line (:func:`ldn_compound.text.quote`)."""
    return quote(value)


#: Request fields that name files: any characters the file system allows, within the length of a path.
_PATH_FIELDS: Final = frozenset({"formula", "formula_dir", "pharmacy_config"})
#: Request fields that hold a line of free text rather than a name or a value.
_LINE_FIELDS: Final = frozenset({"directions", "co_medication_reason", "high_dose_reason", "titration"})


def check_text_fields(**fields: object) -> None:
    """Refuse a text field that is too long or holds characters that must not be printed.

    Paths may be up to :data:`~ldn_compound.text.MAX_VALUE` characters; free
    text (directions, reasons, a titration) up to ``MAX_LINE``; every other
    field up to ``MAX_NAME`` and free of control, bidirectional and invisible
    characters, which the error names by code point.
    """
    for field, value in fields.items():
        for item in value if isinstance(value, tuple | list) else (value,):
            if not isinstance(item, str):
                continue
            if field in _PATH_FIELDS:
                if len(item) > MAX_VALUE:
                    raise RequestError(
                        field, item, f"must be at most {MAX_VALUE} characters (got {len(item)})", code="text-too-long"
                    )
                continue
            try:
                check_text(field, item, limit=MAX_LINE if field in _LINE_FIELDS else MAX_NAME)
            except InputError as error:
                raise RequestError(field, item, f"must {error.rule}", code=error.code) from None


@attrs.frozen(kw_only=True)
class BatchRequest:
    """Everything a user can ask of a batch, as typed (text, or ``None`` when not given).

    The fields are named like :func:`~ldn_compound.calculate_batch`'s keyword
    arguments; ``record`` and ``labels`` ask for those documents, and the
    prescription fields (``rx``, ``patient``, ``prescriber``, ``directions``,
    ``refills``, ``dispense``, ``titration``) make the label a patient label,
    printed in ``language`` (``"en"``, the default, or ``"es"``).
    ``register`` names the register (a URL or a file; default
    ``$LDN_COMPOUND_REGISTER`` or the user's own) where a batch that prints is kept.
    The directions are English text (``directions``: a sentence, or sig codes when
    it does not start with a verb such as Take, Place, Apply) or sig codes
    (``sig``); ``directions_unchecked`` is the reason to print English text that
    cannot be read; ``sig_codes`` names a file of the pharmacy's own sig codes.
    """

    formula: str
    quantity: str | int | None
    strength: str | None = None
    strength_basis: str | None = None
    overage: str | None = None
    date: str | None = None
    lot_number: str | None = None
    dose: str | None = None
    formula_dir: str | None = None
    potency: str | None = None
    assay: str | None = None
    water: str | None = None
    residual_solvent: str | None = None
    assay_basis: str | None = None
    loss_on_drying: str | None = None
    tablet_weight: str | None = None
    tablet_product: str | None = None
    tablet_manufacturer: str | None = None
    lots: tuple[str, ...] = ()
    balance_readability: str | None = None
    balance_repeatability: str | None = None
    capsule_size: str | None = None
    packing: str | None = None
    bulk_density: str | None = None
    drops_per_ml: str | None = None
    bud_rules: str | None = None
    bud_day_one: bool = False
    stability: str | None = None
    other_medicines: tuple[str, ...] = ()
    co_medication_reason: str | None = None
    unclear_medicine_reason: str | None = None
    high_dose_reason: str | None = None
    record: bool = False
    labels: bool = False
    register: str | None = None
    label_stock: str | None = None
    page_size: str | None = None
    pharmacy_config: str | None = None
    rx: str | None = None
    patient: str | None = None
    prescriber: str | None = None
    directions: str | None = None
    sig: str | None = None
    directions_unchecked: str | None = None
    sig_codes: str | None = None
    refills: str | None = None
    dispense: str | None = None
    titration: str | None = None
    language: str | None = None

    def given(self, *fields: str) -> list[str]:
        """The fields among ``fields`` that were given (not ``None``, ``False`` or empty)."""
        return [name for name in fields if getattr(self, name) not in (None, False, ())]


@attrs.frozen
class BatchOutcome:
    """What a batch request gives: the calculated batch, its prescription and the documents asked for.

    A request for documents registers the batch (``registered``): ``result`` then carries
    the lot number the register gave it.  Without documents the batch is a preview.
    """

    result: BatchResult
    prescription: Prescription | None
    record: bytes | None = None
    labels: bytes | None = None
    #: Whether an existing output file may be replaced (the site's ``overwrite_outputs`` setting).
    overwrite: bool = True
    registered: bool = False


# --------------------------------------------------------------------------- formulas


def read_formula(formula: str, formula_dir: str | None = None, settings: Settings | None = None) -> MasterFormula:
    """The formula named ``formula``: a built-in id, one in ``formula_dir``, or a file path.

    With ``settings``, it must translate its label statements into their label languages.
    """
    check_text_fields(formula=formula, formula_dir=formula_dir)
    text = str(formula).strip()
    if not text:
        raise RequestError(
            "formula", formula, "must be a formula id or the path of a formula file (*.toml)", code="unknown-formula"
        )
    return load_formula(text, dirs=_formula_dirs(formula_dir), settings=settings)


def _formula_dirs(formula_dir: str | None) -> list[str]:
    """The formula folders to search, checked to be folders."""
    if formula_dir is None:
        return []
    check_text_fields(formula_dir=formula_dir)
    folder = Path(formula_dir)
    try:
        is_dir = folder.is_dir()
        reason = "does not exist" if not folder.exists() else "is not a directory"
    except (OSError, ValueError) as error:  # e.g. a name longer than the file system allows, a NUL
        is_dir, reason = False, f"cannot be used ({getattr(error, 'strerror', None) or error})"
    if not is_dir:
        raise RequestError(
            "formula_dir",
            formula_dir,
            f"{reason}; give the folder that holds your formula files (*.toml)",
            code="not-a-directory",
        )
    return [formula_dir]


def list_formulas(formula_dir: str | None = None) -> list[MasterFormula]:
    """The built-in formulas, and those of ``formula_dir``."""
    folders = _formula_dirs(formula_dir)
    return list(load_formulas(folders[0] if folders else None).values())


def reference_batch(formula: MasterFormula, strength: str) -> BatchResult:
    """The formula's reference batch at ``strength`` (validates the strength like a batch does)."""
    quantity: QuantityLike = formula.reference_quantity or _REFERENCE_QUANTITY[formula.dosage_form]
    return calculate_batch(formula, quantity=quantity, strength=strength, date="2000-01-01")


def show_formula(
    formula: str, strength: str | None = None, formula_dir: str | None = None
) -> tuple[MasterFormula, BatchResult | None]:
    """A formula, and its reference batch at ``strength`` when one is asked for."""
    check_text_fields(strength=strength)
    loaded = read_formula(formula, formula_dir)
    return loaded, None if strength is None else reference_batch(loaded, strength)


def master_record(
    formula: str,
    *,
    strength: str | None = None,
    pharmacy_config: str | None = None,
    page_size: str | None = None,
    formula_dir: str | None = None,
) -> tuple[MasterFormula, bytes]:
    """A formula and its master formulation record as PDF bytes."""
    check_text_fields(strength=strength, pharmacy_config=pharmacy_config, page_size=page_size)
    pharmacy = _pharmacy(pharmacy_config)
    loaded = read_formula(formula, formula_dir)
    if strength is not None:
        reference_batch(loaded, strength)  # the same strength checks as a batch
    render = _renderer("ldn_compound.render.record", "render_master_formula")
    data = _render(
        "output",
        lambda out: render(loaded, out, strength=strength, pharmacy=pharmacy, page_size=page_size or "letter"),
    )
    return loaded, data


# --------------------------------------------------------------------------- batches


def run_batch(request: BatchRequest) -> BatchOutcome:
    """Check a batch request, calculate it, and render the documents it asks for.

    Every check runs before anything is rendered: a request that fails gives no
    document.
    """
    check_text_fields(**attrs.asdict(request))
    settings = _settings(request)
    formula = read_formula(request.formula, request.formula_dir, settings)
    check_batch_request(request, formula)
    language = _language(request)
    pharmacy = _pharmacy(request.pharmacy_config)
    lots = _parse_lots(request.lots)
    titration = _parse_titration(request.titration)
    stock = request.label_stock or DEFAULT_LABEL_STOCK
    if request.labels:
        from ldn_compound.render.stocks import get_stock

        get_stock(stock)
    directions: Directions | str | None = request.directions
    if request.sig is not None:
        directions = parse_sig(request.sig, settings=settings)
    if request.quantity is None:
        raise RequestError("quantity", None, "is required: how much to make", code="quantity-missing")
    result = calculate_batch(
        formula,
        quantity=request.quantity,
        strength=request.strength,
        strength_basis=request.strength_basis,
        date=request.date,
        overage=0 if request.overage is None else request.overage,
        potency=request.potency,
        assay=request.assay,
        water=request.water,
        residual_solvent=request.residual_solvent,
        assay_basis=request.assay_basis,
        loss_on_drying=request.loss_on_drying,
        tablet_weight=milligrams(request.tablet_weight),
        tablet_product=request.tablet_product,
        tablet_manufacturer=request.tablet_manufacturer,
        balance_readability=request.balance_readability,
        balance_repeatability=request.balance_repeatability,
        lots=lots,
        capsule_size=request.capsule_size,
        packing=request.packing,
        bulk_density=request.bulk_density,
        drops_per_ml=request.drops_per_ml,
        dose=request.dose,
        directions=directions,
        directions_unchecked=request.directions_unchecked,
        titration=titration,
        dispense=request.dispense,
        high_dose_reason=request.high_dose_reason,
        other_medicines=list(request.other_medicines),
        co_medication_reason=request.co_medication_reason,
        unclear_medicine_reason=request.unclear_medicine_reason,
        stability=request.stability,
        lot_number=request.lot_number,
        settings=settings,
    )
    if request.rx is not None and result.dose is None:
        raise RequestError(
            "dose",
            None,
            f"is needed for a patient label for {formula.dosage_form.display_name} (the dose per administration, "
            'e.g. "4.5 mg"): give directions with an amount, {dose} or {titration}, so the dose limits are checked '
            "before the label is printed",
            code="dose-needed",
        )
    prescription = _prescription(request, result, titration)
    _check_translatable(request, prescription, language)
    if not (request.record or request.labels):
        return BatchOutcome(result=result, prescription=prescription, overwrite=settings.overwrite_outputs)

    def documents(stamped: BatchResult) -> dict[str, bytes]:
        """The documents asked for, of the batch with its lot number."""
        out = {}
        if request.record:
            render_record = _renderer("ldn_compound.render.record", "render_batch_record")
            out["record"] = _render(
                "record",
                functools.partial(
                    render_record,
                    stamped,
                    pharmacy=pharmacy,
                    page_size=request.page_size or "letter",
                    prescription=prescription,
                ),
            )
        if request.labels:
            render_labels = _renderer("ldn_compound.render.labels", "render_labels")
            prescriptions = () if prescription is None else (prescription,)
            out["labels"] = _render(
                "labels",
                functools.partial(
                    render_labels,
                    stamped,
                    prescriptions=prescriptions,
                    pharmacy=pharmacy,
                    stock=stock,
                    language=language,
                    settings=settings,
                ),
            )
        return out

    # a batch that prints is registered: its lot comes from the register, and what is printed is kept
    printed: dict[str, bytes] = {}

    def keep(stamped: BatchResult) -> dict[str, bytes]:
        printed.update(documents(stamped))
        return printed

    with _open(request.register) as register:
        lot = register.record(result, prescription, request=_request_data(request, pharmacy), prints=keep)
    return BatchOutcome(
        result=attrs.evolve(result, lot_number=lot),
        prescription=prescription,
        record=printed.get("record"),
        labels=printed.get("labels"),
        registered=True,
        overwrite=settings.overwrite_outputs,
    )


def _request_data(request: BatchRequest, pharmacy: Pharmacy | None = None) -> dict[str, object]:
    """The request as stored with a registered batch: every field given, and the pharmacy.

    The register drops its own URL and the paths of files (``store.kept_request``); the
    pharmacy the configuration file named is kept as printed on the record, so the record
    can be printed again with it.
    """
    data: dict[str, object] = {
        name: value for name, value in attrs.asdict(request).items() if value not in (None, False, ())
    }
    if pharmacy is not None:
        data["pharmacy"] = {**attrs.asdict(pharmacy), "address": list(pharmacy.address)}
    return data


def _stored_pharmacy(asked: Mapping[str, object]) -> Pharmacy | None:
    """The pharmacy kept with a registered batch's request; a register of 0.2.0 kept the file's path."""
    kept = asked.get("pharmacy")
    if isinstance(kept, dict):
        return Pharmacy(
            name=str(kept.get("name", "")),
            address=tuple(str(line) for line in kept.get("address", ())),
            phone=str(kept.get("phone", "")),
            pharmacist=str(kept.get("pharmacist", "")),
        )
    path = asked.get("pharmacy_config")
    return _pharmacy(path) if isinstance(path, str) else None


def check_batch_request(request: BatchRequest, formula: MasterFormula) -> None:
    """Refuse field combinations that would be ignored or cannot be right."""
    form = formula.dosage_form
    for field, forms in _ONLY_FOR.items():
        if getattr(request, field) is not None and form not in forms:
            titles = [f.display_name for f in DosageForm if f in forms]
            allowed = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]
            raise RequestError(
                field,
                None,
                f"applies only to {allowed}; {formula.id} is {form.display_name}",
                code="option-not-for-this-form",
            )
    for field in ("co_medication_reason", "unclear_medicine_reason"):
        if getattr(request, field) is not None and not request.other_medicines:
            raise RequestError(
                field,
                None,
                "goes with {other_medicines} (the medicines whose check it overrides)",
                code="override-without-check",
            )
    for field in ("co_medication_reason", "unclear_medicine_reason", "high_dose_reason"):
        value = getattr(request, field)
        if value is not None and not value.strip():
            raise RequestError(
                field,
                value,
                'must give the reason, e.g. "prescriber confirmed, no opioids for 14 days"',
                code="reason-missing",
            )
    labels_only = request.given(*_LABEL_FIELDS)
    if labels_only and not request.labels:
        raise RequestError(labels_only[0], None, "is for labels; add {labels}", code="labels-not-requested")
    rx_only = request.given(*_RX_FIELDS)
    if rx_only and not (request.labels or request.record):
        raise RequestError(
            rx_only[0],
            None,
            "is printed on the patient label and the compounding record; add {labels} or {record}",
            code="documents-not-requested",
        )
    if request.register is not None and not (request.record or request.labels):
        raise RequestError(
            "register",
            None,
            "keeps the batches that are printed; add {record} or {labels} (a batch without them is a preview)",
            code="documents-not-requested",
        )
    if request.page_size is not None and not request.record:
        raise RequestError("page_size", None, "is for the record; add {record}", code="record-not-requested")
    if request.pharmacy_config is not None and not (request.record or request.labels):
        raise RequestError(
            "pharmacy_config",
            None,
            "is printed on records and labels; add {record} or {labels}",
            code="documents-not-requested",
        )
    if request.sig is not None and request.directions is not None:
        raise RequestError(
            "sig", request.sig, "goes instead of {directions}: give the directions once", code="directions-twice"
        )
    if request.directions_unchecked is not None and request.directions is None:
        raise RequestError(
            "directions_unchecked",
            None,
            "goes with {directions} (English directions that cannot be read)",
            code="override-without-check",
        )
    if request.sig_codes is not None and request.sig is None and request.directions is None:
        raise RequestError(
            "sig_codes", None, "goes with {sig} or {directions} (the directions it reads)", code="option-not-used"
        )
    if request.sig is not None and not request.sig.strip():
        raise RequestError("sig", request.sig, "must not be empty", code="empty-value")
    given = request.given(*_PRESCRIPTION_FIELDS, "sig")
    has_directions = request.directions is not None or request.sig is not None
    missing = [
        field
        for field in _PRESCRIPTION_FIELDS
        if getattr(request, field) is None and not (field == "directions" and has_directions)
    ]
    extras = request.given("refills", "dispense", "titration", "directions_unchecked")
    if (given or extras) and missing:
        needed = ", ".join("{" + field + "}" for field in _PRESCRIPTION_FIELDS)
        absent = ", ".join("{" + field + "}" for field in missing)
        raise RequestError(
            missing[0],
            None,
            f"a prescription needs {needed}; missing {absent} (leave out all prescription fields for a stock batch "
            "and a container label)",
            code="prescription-incomplete",
        )
    for field in (*_PRESCRIPTION_FIELDS, "directions_unchecked"):
        value = getattr(request, field)
        if value is not None and not value.strip():
            raise RequestError(field, value, "must not be empty", code="empty-value")
    if given and request.labels and request.pharmacy_config is None:
        raise RequestError(
            "pharmacy_config",
            None,
            "is needed for a patient label: the pharmacy's name and address print on it",
            code="pharmacy-needed",
        )


def site_settings(pharmacy_config: str | None = None) -> Settings:
    """The site settings: the defaults with the ``[settings]`` of a pharmacy configuration file."""
    settings = default_settings()
    return settings if pharmacy_config is None else load_settings_config(pharmacy_config, settings)


def no_clobber(refuse_existing: bool, settings: Settings | None = None) -> bool:
    """Whether an existing output file is refused: asked for (``--no-clobber``), or the site's setting.

    >>> no_clobber(False), no_clobber(True), no_clobber(False, attrs.evolve(default_settings(), overwrite_outputs=False))
    (False, True, True)
    """
    return refuse_existing or not (settings or default_settings()).overwrite_outputs


def _language(request: BatchRequest) -> str:
    """The patient label's language (``"en"`` unless the request names one); only a patient label has one."""
    if request.language is None:
        return "en"
    try:
        language = check_language(request.language)
    except InputError as error:
        raise RequestError("language", request.language, f"must {error.rule}", code=error.code) from None
    if request.rx is None:
        raise RequestError(
            "language",
            request.language,
            "is the language of a patient label (a container label stays in the pharmacy's language); "
            "add the prescription: {rx}, {patient}, {prescriber}, {directions}",
            code="language-without-patient-label",
        )
    return language


def _check_translatable(request: BatchRequest, prescription: Prescription | None, language: str) -> None:
    """Refuse a label in another language than English whose directions the library has not read."""
    if language != "en" and prescription is not None and prescription.sig is None:
        raise RequestError(
            "directions",
            request.directions,
            f"are printed unchecked ({{directions_unchecked}}), in English only: a label in {LANGUAGES[language]} "
            "prints directions the library has read, from {sig} or {directions} it understands, never a machine "
            "translation",
            code="directions-not-translatable",
        )


def milligrams(text: str | None) -> str | None:
    """A bare number means milligrams (``180`` → ``"180 mg"``); text with a unit is kept as it is."""
    if text is not None and re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", text):
        return f"{text.strip()} mg"
    return text


def _settings(request: BatchRequest) -> Settings:
    """The site settings: the defaults, those of the pharmacy configuration file, then the request's options."""
    settings = default_settings()
    if request.pharmacy_config is not None and (request.record or request.labels):  # else refused with its rule
        settings = load_settings_config(request.pharmacy_config, settings)
    if request.sig_codes is not None:
        settings = attrs.evolve(settings, sig_code_file=request.sig_codes)
    if request.bud_rules is None and not request.bud_day_one:
        return settings
    bud = settings.bud_system
    if request.bud_rules is not None:
        try:
            bud = BudSystem(request.bud_rules)
        except ValueError:
            known = ", ".join(b.value for b in BudSystem)
            raise RequestError("bud_rules", request.bud_rules, f"must be one of {known}") from None
    return attrs.evolve(settings, bud_system=bud, compounding_day_is_day_zero=not request.bud_day_one)


def _parse_lots(texts: Sequence[str]) -> list[Lot]:
    """Each lot, read on its own so an error names the one that is wrong."""
    lots = []
    for text in texts:
        try:
            lots.append(parse_lot(text))
        except InputError as error:
            raise RequestError("lots", text, f"{error.field} must {error.rule}", code=error.code) from None
    return lots


def _parse_titration(text: str | None) -> tuple[TitrationStep, ...]:
    return () if text is None else parse_titration(text)


def read_pharmacy_config(path: str) -> Pharmacy:
    """The pharmacy of a configuration file (a bad file raises :class:`~ldn_compound.exceptions.PharmacyConfigError`)."""
    return load_pharmacy_config(path)


def _pharmacy(path: str | None) -> Pharmacy | None:
    """The pharmacy of a configuration file, or None."""
    return None if path is None else load_pharmacy_config(path)


def _prescription(
    request: BatchRequest, result: BatchResult, titration: tuple[TitrationStep, ...]
) -> Prescription | None:
    """The prescription for a patient label, or None for a container label."""
    if request.rx is None:
        return None
    patient, prescriber = request.patient or "", request.prescriber or ""
    refills = 0
    if request.refills is not None:
        text = request.refills.strip()
        if not (text.isascii() and text.isdigit()) or int(text) > _MAX_REFILLS:
            raise RequestError("refills", request.refills, f"must be a whole number from 0 to {_MAX_REFILLS}")
        refills = int(text)
    sig = result.directions
    directions = sig.text() if sig is not None else (request.directions or "")
    return Prescription(
        number=request.rx.strip(),
        patient=patient.strip(),
        prescriber=prescriber.strip(),
        directions=directions.strip(),
        date_filled=result.compounding_date,
        refills=refills,
        quantity=result.dispensed,
        titration=titration,
        sig=sig,
    )


# --------------------------------------------------------------------------- documents


class DocumentUnavailableError(LDNError, RuntimeError):
    """The PDF renderers cannot be imported in this installation."""

    code = "pdf-unavailable"


def _renderer(module: str, name: str) -> Callable[..., None]:
    """A PDF renderer, imported on first use (reportlab is heavy)."""
    try:
        function: Callable[..., None] = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise DocumentUnavailableError(
            f"PDF output is not available in this installation ({module}.{name}: {error})"
        ) from None
    return function


def _render(document: str, draw: Callable[[io.BytesIO], None]) -> bytes:
    """Render a PDF into memory; a render error names the document it was for."""
    buffer = io.BytesIO()
    try:
        draw(buffer)
    except RenderError as error:
        raise RequestError(document, None, _one_line(str(error)), code=error.code) from None
    return buffer.getvalue()


def _one_line(text: str) -> str:
    """Text folded onto one line (line breaks become single spaces)."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


# --------------------------------------------------------------------------- the batch register


@contextlib.contextmanager
def _open(register: str | None) -> Iterator[Register]:
    """The register named by ``register`` (a URL or a file; default: the environment's or the user's own)."""
    from ldn_compound.register import open_register

    with open_register(register) as opened:
        yield opened


def list_lots(
    *,
    status: str | None = None,
    formula: str | None = None,
    since: str | None = None,
    limit: int | None = None,
    register: str | None = None,
) -> list[LotSummary]:
    """Registered batches, newest first, by status, formula id and compounding date (from ``since``)."""
    with _open(register) as opened:
        return opened.lots(status=status, formula=formula, since=since, limit=limit)


def show_lot(lot: str, *, register: str | None = None) -> LotRecord:
    """Everything the register holds for ``lot``: the stored batch document, status, amounts, signatures."""
    with _open(register) as opened:
        return opened.get(lot)


def recall(lot: str, *, register: str | None = None) -> list[RecallHit]:
    """Every registered batch that used the component lot ``lot`` (or whose own lot it is)."""
    if not lot.strip():
        raise RequestError("lot", lot, "must name a component lot or a batch's lot", code="empty-value")
    with _open(register) as opened:
        return opened.recall(lot.strip())


def reprint(
    lot: str, *, record: bool = False, labels: bool = False, user: str | None = None, register: str | None = None
) -> dict[str, bytes]:
    """The same bytes as the first print of ``lot``'s record and/or labels; the reprint is an audit event."""
    kinds = [kind for kind, wanted in (("record", record), ("labels", labels)) if wanted]
    if not kinds:
        raise RequestError("record", None, "a reprint needs {record} or {labels}", code="documents-not-requested")
    with _open(register) as opened:
        return opened.reprint(lot, kinds, user=user)


def record_with_amounts(
    lot: str,
    *,
    pharmacy_config: str | None = None,
    page_size: str | None = None,
    user: str | None = None,
    register: str | None = None,
) -> bytes:
    """The compounding record of ``lot`` rendered again from its stored document, with the actual amounts filled in.

    The page size and pharmacy default to those the batch was registered with.  It is a new
    document, not a reprint (its bytes differ from the first print); its printing is an audit event.
    """
    with _open(register) as opened:
        held = opened.get(lot)
        asked = held.request or {}
        pharmacy = _pharmacy(pharmacy_config) if pharmacy_config is not None else _stored_pharmacy(asked)
        actual = {
            w.line: w.amount
            + ("" if w.within else f" (accepted by {w.accepted_by})" if w.accepted_by else " (out of tolerance)")
            for w in held.weights
        }
        render = _renderer("ldn_compound.render.record", "render_batch_record")
        size = page_size or asked.get("page_size") or "letter"
        data = _render(
            "record",
            functools.partial(
                render,
                held.batch,
                pharmacy=pharmacy,
                page_size=size,
                prescription=held.prescription_value,
                actual=actual,
            ),
        )
        opened.log_print(lot, "record-with-amounts", data, user=user)
    return data


def parse_amounts(lines: Sequence[str]) -> dict[str, str]:
    """``ID=AMOUNT`` items (``naltrexone-hcl=451.2 mg``), each line once.

    >>> parse_amounts(["naltrexone-hcl=451.2 mg", "mcc = 22.5 g"])
    {'naltrexone-hcl': '451.2 mg', 'mcc': '22.5 g'}
    """
    amounts: dict[str, str] = {}
    for text in lines:
        line, equals, amount = text.partition("=")
        if not equals or not line.strip() or not amount.strip():
            raise RequestError("line", text, "must be ID=AMOUNT, e.g. naltrexone-hcl=451.2 mg", code="invalid-line")
        if line.strip() in amounts:
            raise RequestError("line", text, f"must name {line.strip()} once", code="duplicate-line")
        amounts[line.strip()] = amount.strip()
    if not amounts:
        raise RequestError("line", None, "give each line's actual amount as ID=AMOUNT", code="invalid-line")
    return amounts


def weigh(lot: str, lines: Sequence[str], *, user: str, pin: str, register: str | None = None) -> tuple[Weight, ...]:
    """Enter the actual amounts of ``lot`` (``ID=AMOUNT`` each), signed by ``user`` with their PIN."""
    amounts = parse_amounts(lines)
    with _open(register) as opened:
        return opened.weigh(lot, amounts, user=user, pin=pin)


def accept_amount(
    lot: str, line: str, *, user: str, pin: str, reason: str | None, register: str | None = None
) -> Weight:
    """A pharmacist accepts ``line``'s out-of-tolerance amount, with a reason."""
    with _open(register) as opened:
        return opened.accept(lot, line, user=user, pin=pin, reason=reason or "")


#: The lifecycle actions, as the interfaces name them.
LOT_ACTIONS: Final = ("compound", "verify", "release", "quarantine", "reject", "return")


def lot_action(
    lot: str, action: str, *, user: str, pin: str, reason: str | None = None, register: str | None = None
) -> str:
    """Sign ``action`` (one of :data:`LOT_ACTIONS`) on ``lot``; returns the new status.

    ``quarantine``, ``reject`` and ``return`` need a reason; the others take none.
    """
    from ldn_compound.register.lifecycle import REASON_REQUIRED, Action

    if action not in LOT_ACTIONS:
        raise RequestError("action", action, f"must be one of {', '.join(LOT_ACTIONS)}", code="invalid-action")
    if reason is not None and Action(action) not in REASON_REQUIRED:
        raise RequestError(
            "reason", reason, f"is for quarantine, reject and return, not {action}", code="reason-not-used"
        )
    with _open(register) as opened:
        return opened.transition(lot, action, user=user, pin=pin, reason=reason).value


def sign_in(name: str, pin: str, *, register: str | None = None) -> User:
    """Check a user's PIN (a wrong one waits, is counted and is an audit event); the user."""
    if not name.strip():
        raise RequestError("user", name, "must name a user of the register", code="empty-value")
    with _open(register) as opened:
        return opened.authenticate(name.strip(), pin)


def signed_in_user(name: str, *, register: str | None = None) -> User | None:
    """The user ``name`` if they may still act (known and not disabled), else None."""
    from ldn_compound.register.errors import UnknownUserError

    with _open(register) as opened:
        try:
            user = opened.user(name)
        except UnknownUserError:
            return None
    return None if user.disabled else user


def create_token(name: str, pin: str, *, register: str | None = None) -> str:
    """A new API token for user ``name``, who gives their PIN (shown once; the register keeps only its hash).

    The token signs in as its user over HTTP, so only the user may make one.
    """
    with _open(register) as opened:
        opened.authenticate(name, pin)
        return opened.create_token(name)


def token_user(token: str, *, register: str | None = None) -> User | None:
    """The enabled user an API token belongs to, or None."""
    with _open(register) as opened:
        return opened.token_user(token)


def add_user(
    name: str, role: str, pin: str, *, by: str | None = None, by_pin: str | None = None, register: str | None = None
) -> User:
    """Add a technician or pharmacist with a PIN (stored as an argon2 hash).

    Once the register has had a pharmacist, an enabled one must sign for it: ``by`` is
    their name and ``by_pin`` their PIN (a wrong PIN is counted and waits, as at sign-in).
    The register's first pharmacist needs nobody.
    """
    with _open(register) as opened:
        return opened.add_user(name, role, pin, by=by, by_pin=_signer_pin(by, by_pin))


def list_users(*, register: str | None = None) -> list[User]:
    """The register's users."""
    with _open(register) as opened:
        return opened.users()


def disable_user(name: str, *, by: str | None = None, by_pin: str | None = None, register: str | None = None) -> User:
    """Disable a user: they can sign no more.  A pharmacist signs for it, as for :func:`add_user`.

    The last enabled pharmacist cannot be disabled: add another first.
    """
    with _open(register) as opened:
        return opened.disable_user(name, by=by, by_pin=_signer_pin(by, by_pin))


def _signer_pin(by: str | None, pin: str | None) -> str | None:
    """The signing pharmacist's PIN, required with their name."""
    if by is not None and pin is None:
        raise RequestError(
            "by_pin", None, "is needed with {by}: the PIN of the pharmacist who signs", code="field-required"
        )
    return pin


def audit_log(lot: str | None = None, *, register: str | None = None) -> list[Event]:
    """The audit trail, oldest first: the whole register's, or one lot's."""
    with _open(register) as opened:
        return opened.audit_log(lot)


def audit_verify(*, register: str | None = None) -> AuditReport:
    """Check the audit trail's hash chain and every batch and user against it."""
    with _open(register) as opened:
        return opened.verify_audit()


def backup_register(path: str, *, register: str | None = None) -> Path:
    """Copy a SQLite register, consistently, to ``path``."""
    if not path.strip():
        raise RequestError("output", path, "must name a file, e.g. register-backup.sqlite3", code="empty-value")
    with _open(register) as opened:
        return opened.backup(path)


# --------------------------------------------------------------------------- errors, for every interface

#: The request field of a core error's ``field`` (``"strength basis"`` → ``"strength_basis"``); the
#: command line derives the option of each from it.
ERROR_FIELDS: Final = {
    "quantity": "quantity",
    "strength": "strength",
    "strength basis": "strength_basis",
    "overage": "overage",
    "potency": "potency",
    "assay": "assay",
    "water": "water",
    "residual solvent": "residual_solvent",
    "assay basis": "assay_basis",
    "loss on drying": "loss_on_drying",
    "tablet product": "tablet_product",
    "tablet manufacturer": "tablet_manufacturer",
    "tablets": "tablet_weight",
    "tablet weight": "tablet_weight",
    "balance readability": "balance_readability",
    "balance repeatability": "balance_repeatability",
    "date": "date",
    "lot number": "lot_number",
    "dose": "dose",
    "capsule size": "capsule_size",
    "packing": "packing",
    "bulk density": "bulk_density",
    "drops per mL": "drops_per_ml",
    "stability": "stability",
    "other medicines": "other_medicines",
    "stock": "label_stock",
    "pharmacy": "pharmacy_config",
    "titration": "titration",
    "titration dose": "titration",
    "directions": "directions",
    "directions amount": "directions",
    "directions site": "directions",
    "directions unchecked": "directions_unchecked",
    "sig": "sig",
    "sig code": "sig",
    "dispensed quantity": "dispense",
    "lot": "lots",
}

#: What an error lets the user do to go on, with the request field to use.
_ERROR_HINTS: Final = {
    "dose-above-limit": "to go ahead, give {high_dose_reason}",
    "opioid-co-medication": "to go ahead, give {co_medication_reason}",
    "capsule-overfill": "use a larger {capsule_size}",
    "medicine-name-unclear": "correct it, or give {unclear_medicine_reason} to accept it as written",
}


def error_field(error: LDNError, request: BatchRequest | None = None) -> str | None:
    """The request field an error is about (``"capsule_size"``), or None when it is about no one field.

    A capsule's dose is its strength, and a liquid's may come from its titration: a dose
    error names the field the dose came from in ``request``.
    """
    from ldn_compound.exceptions import FormulaNotFoundError

    if isinstance(error, FormulaNotFoundError):
        return "formula"
    if isinstance(error, RequestError):
        return error.field
    if not isinstance(error, InputError):
        return None
    field = error.field
    found = ERROR_FIELDS.get(field)
    if found is None and field.startswith("lot "):  # "lot mcc=A1 expiry"
        return "lots"
    if found == "dose" and request is not None and request.dose is None:
        found = "titration" if request.titration else ("strength" if request.strength is not None else None)
    if found == "directions" and request is not None and request.directions is None and request.sig:
        found = "sig"  # the directions were read from the sig codes
    return found


def describe_error(error: LDNError, name: Callable[[str], str], request: BatchRequest | None = None) -> str:
    """One line for an error, with each request field shown by ``name(field)``.

    The command line names fields as options and the web app as form labels or JSON
    keys; the rest of the message is the same everywhere:
    ``strength "4.5 mL": strength must be a mass per capsule, e.g. '4.5 mg', not a volume``.
    """
    from ldn_compound.exceptions import FormulaNotFoundError

    if isinstance(error, FormulaNotFoundError):
        known = ", ".join(error.known) or "none"
        return f"{name('formula')} {_quote(error.formula)}: must be one of the formula ids: {known}"
    if isinstance(error, RequestError):
        return error.describe(name)
    if isinstance(error, InputError):
        field = error_field(error, request)
        shown: object = error.value
        if field is not None and request is not None:
            typed = getattr(request, field, None)
            if isinstance(typed, str):
                shown = typed
            elif isinstance(typed, tuple) and field == "lots" and typed:
                component = str(error.value) if error.field == "lot" else error.field.split()[1].split("=")[0]
                shown = next((text for text in typed if text.partition("=")[0].strip() == component), error.value)
        if field is None:
            message = f"{error.field} must {error.rule} (got {_quote(shown)})"
        else:
            message = f"{name(field)} {_quote(shown)}: {error.field} must {error.rule}"
        hint = _ERROR_HINTS.get(error.code)
        if hint is not None:
            message += "; " + _FIELD_REFERENCE.sub(lambda match: name(match.group(1)), hint)
        return message
    return _one_line(str(error))


def label_stocks() -> list[tuple[str, str]]:
    """The label stocks a request may name: (name, description), the default first."""
    from ldn_compound.render.stocks import load_stocks

    stocks = sorted(load_stocks().values(), key=lambda stock: (stock.name != DEFAULT_LABEL_STOCK, stock.name))
    return [(stock.name, stock.description) for stock in stocks]


def formula_ids(formula_dir: str | None = None) -> list[str]:
    """The ids of the formulas a request may name by id: the built-in ones and those of ``formula_dir``."""
    return [formula.id for formula in list_formulas(formula_dir)]


# --------------------------------------------------------------------------- requests from data

#: Request fields a caller over a network may set (the server chooses formula folders,
#: pharmacy configuration and which documents to render).
_MAPPING_TEXT_FIELDS: Final = tuple(
    field.name
    for field in attrs.fields(BatchRequest)
    if field.name
    not in {
        "formula",
        "formula_dir",
        "pharmacy_config",
        "sig_codes",
        "register",
        "record",
        "labels",
        "lots",
        "other_medicines",
    }
    and field.name != "bud_day_one"
)
_MAPPING_LIST_FIELDS: Final = ("lots", "other_medicines")
_MAPPING_FLAG_FIELDS: Final = ("bud_day_one",)

#: The longest text a request field may hold.
MAX_FIELD_LENGTH: Final = 1000
#: The most items of a list field (lots, other medicines).
MAX_LIST_ITEMS: Final = 50


def request_from_mapping(data: object, *, record: bool = False, labels: bool = False) -> BatchRequest:
    """A batch request from decoded JSON: ``{"formula": "ldn-capsules", "quantity": 100, "strength": "4.5 mg"}``.

    Keys are the request fields (the keyword arguments of :func:`~ldn_compound.calculate_batch`);
    text fields take a string or a number, ``lots`` and ``other_medicines`` a list of
    strings, ``bud_day_one`` a boolean.  ``formula`` must be a formula id (never a path).
    An unknown key or a value of the wrong type raises a :class:`RequestError` naming it.

    >>> request_from_mapping({"formula": "ldn-capsules", "quantity": 100, "potency": 97.71}).potency
    '97.71'
    """
    if not isinstance(data, dict):
        raise RequestError("request", None, "must be a JSON object of request fields", code="request-not-an-object")
    known = {"formula", *_MAPPING_TEXT_FIELDS, *_MAPPING_LIST_FIELDS, *_MAPPING_FLAG_FIELDS}
    for key in data:
        if key not in known:
            raise RequestError(
                str(key)[:100],
                None,
                f"is not a request field; known fields: {', '.join(sorted(known))}",
                code="unknown-field",
            )
    values: dict[str, object] = {}
    for key, value in data.items():
        if value is None:
            continue
        if key in _MAPPING_LIST_FIELDS:
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise RequestError(key, None, "must be a list of strings", code="invalid-type")
            if len(value) > MAX_LIST_ITEMS:
                raise RequestError(key, None, f"must have at most {MAX_LIST_ITEMS} items", code="too-long")
            values[key] = tuple(_text(key, item) for item in value)
        elif key in _MAPPING_FLAG_FIELDS:
            if not isinstance(value, bool):
                raise RequestError(key, value, "must be true or false", code="invalid-type")
            values[key] = value
        else:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise RequestError(key, None, "must be a string or a number", code="invalid-type")
            values[key] = _text(key, value if isinstance(value, str) else _number_text(value))
    if "formula" not in values:
        raise RequestError("formula", None, "is required: a formula id, e.g. ldn-capsules", code="field-required")
    formula = str(values["formula"])
    if formula.endswith(".toml") or "/" in formula or "\\" in formula:
        raise RequestError(
            "formula", formula, "must be a formula id, e.g. ldn-capsules (not a file path)", code="unknown-formula"
        )
    if "quantity" not in values:
        raise RequestError("quantity", None, 'is required, e.g. 100 (capsules) or "120 mL"', code="field-required")
    return BatchRequest(record=record, labels=labels, **values)  # type: ignore[arg-type]


def _number_text(value: float) -> str:
    """A JSON number as text: ``100``, ``97.71`` (``repr`` keeps every digit a float holds)."""
    return str(value) if isinstance(value, int) else repr(value)


def _text(field: str, value: str) -> str:
    """A text value, checked for length and control characters."""
    if len(value) > MAX_FIELD_LENGTH:
        raise RequestError(field, None, f"must be at most {MAX_FIELD_LENGTH} characters", code="too-long")
    if any(ord(char) < 32 and char != "\t" for char in value) or "\x7f" in value:
        raise RequestError(field, value, "must not contain control characters", code="control-character")
    return value
