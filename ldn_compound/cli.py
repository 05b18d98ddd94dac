"""The ``ldn-compound`` command line: list and show formulas, print records, calculate batches.

::

    ldn-compound formulas [--dir DIR] [--json]
    ldn-compound show FORMULA [--strength S] [--json]
    ldn-compound mfr FORMULA [--strength S] -o FILE
    ldn-compound batch FORMULA --quantity Q [options]

Every command is documented with examples in ``docs/cli.md``; the JSON it
prints follows the schemas in ``ldn_compound/schemas/`` (``docs/json.md``).

This module only parses arguments, writes files and prints: every rule of how the
options go together is in the application layer, :mod:`ldn_compound.service`
(shared with the web app), and every calculation is :func:`ldn_compound.calculate_batch`.  A mistake gets one line on stderr
starting ``error:`` that says what was wrong and what is accepted, exit status
2 for bad usage or input and 1 for anything else, and no output file is
written.  The PDF renderers (and reportlab) are imported only when a PDF is
asked for, so ``batch --json`` starts quickly.

>>> main(["batch", "ldn-capsules", "--quantity", "100", "--date", "2026-03-01", "--json"])  # doctest: +ELLIPSIS
{
  "aliquot": null,
...
0
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import functools
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, NoReturn

from ldn_compound import inputs, outputs, service
from ldn_compound._version import __version__
from ldn_compound.config import PharmacyConfigError
from ldn_compound.exceptions import (
    CapsuleOverfillError,
    CoMedicationError,
    DoseLimitError,
    FormulaFileError,
    FormulaNotFoundError,
    InputError,
    LDNError,
    MedicineNameError,
    Problem,
    SigCodeFileError,
)
from ldn_compound.inputs import FileRead
from ldn_compound.jsonio import dumps, formula_to_dict, formulas_to_dict
from ldn_compound.register.errors import RegisterError, WrongPinError
from ldn_compound.render.text import batch_text, formula_text, formulas_table
from ldn_compound.settings import BudSystem
from ldn_compound.text import MAX_VALUE, quote, terminal

__all__ = ["main"]

PROG: Final = "ldn-compound"
COMMANDS: Final = ("formulas", "show", "mfr", "batch", "serve", "lots", "users", "audit", "register")

#: What to add to an error when an option lets the user go on.
_HINTS: Final[dict[type[Exception], str]] = {
    DoseLimitError: "to go ahead, give --high-dose-reason REASON",
    CoMedicationError: "to go ahead, give --override-reason REASON",
    MedicineNameError: "correct it, or give --unclear-medicine-reason REASON to accept it as written",
    CapsuleOverfillError: "use a larger --capsule-size",
}

#: The option of each batch request field (the argparse ``dest``), where the two differ in more than dashes.
_REQUEST_OPTIONS: Final = {
    field: {"tablet_weight": "tablets", "co_medication_reason": "override_reason"}.get(field, field)
    for field in (
        "quantity", "strength", "strength_basis", "overage", "date", "lot_number", "dose", "potency", "assay",
        "water", "residual_solvent", "assay_basis", "loss_on_drying", "tablet_weight", "tablet_product",
        "tablet_manufacturer", "balance_readability", "balance_repeatability",
        "capsule_size", "packing", "bulk_density", "drops_per_ml", "bud_rules", "bud_day_one", "stability",
        "co_medication_reason", "unclear_medicine_reason", "high_dose_reason", "label_stock", "page_size",
        "pharmacy_config", "rx", "patient", "prescriber", "directions", "sig", "directions_unchecked", "sig_codes",
        "refills", "dispense", "titration", "language", "register",
    )
}  # fmt: skip

#: Where a core error's ``field`` came from on the command line: the option's ``dest`` of its
#: request field (a ``lot`` is found among the ``--lot`` options by its component instead).
_FIELD_TO_DEST: Final = {
    field: _REQUEST_OPTIONS.get(request_field, "other_medicine" if request_field == "other_medicines" else "")
    for field, request_field in service.ERROR_FIELDS.items()
    if request_field != "lots"
}

#: How the command line names the request fields that are not simply ``--field-name``.
_FIELD_OPTIONS: Final = {
    "formula": "FORMULA",
    "formula_dir": "--dir",
    "lots": "--lot",
    "other_medicines": "--other-medicine",
    "output": "-o",
    "tablet_weight": "--tablets",
    "co_medication_reason": "--override-reason",
}


# --------------------------------------------------------------------------- errors


class _CommandError(Exception):
    """A mistake to report as one ``error:`` line, with the exit status to use."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _quote(value: object) -> str:
    """A value as the user typed it, in double quotes, clipped and on one line (:func:`ldn_compound.text.quote`)."""
    return quote(value)


def _one_line(text: str) -> str:
    """Text folded onto one line (line breaks become single spaces), in time linear in its length."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _field_option(field: str) -> str:
    """How the command line names a request field: ``capsule_size`` → ``--capsule-size``."""
    return _FIELD_OPTIONS.get(field) or _option(field)


def _from_request_error(error: service.RequestError, args: argparse.Namespace | None) -> str:
    """The message for a request error, with the request's fields named as options."""
    if error.field in {"record", "labels", "output"} and args is not None:
        path = getattr(args, error.field, None)
        if path is not None:
            return error.describe(_field_option, value=path)
    return error.describe(_field_option)


def _option(dest: str) -> str:
    """The option string of an argparse ``dest``: ``balance_readability`` → ``--balance-readability``."""
    return "--" + dest.replace("_", "-")


def _from_input_error(error: InputError, args: argparse.Namespace | None) -> str:
    """The message for a core input error, naming the option and the value the user typed."""
    field = error.field
    rule = error.rule
    hint = next((text for cls, text in _HINTS.items() if isinstance(error, cls)), "")
    option: str | None = None
    raw: object = error.value
    if args is not None:
        dest = _FIELD_TO_DEST.get(field)
        if dest == "dose" and getattr(args, "dose", None) is None:
            # a capsule's dose is its strength; a liquid's may come from --titration
            dest = "titration" if getattr(args, "titration", None) else "strength"
            if dest == "strength" and getattr(args, "strength", None) is None:
                dest = None
        if dest == "directions" and getattr(args, "directions", None) is None and getattr(args, "sig", None):
            dest = "sig"  # the directions came from --sig
        if dest is not None and hasattr(args, dest):
            option = _option(dest)
            typed = getattr(args, dest)
            if typed is not None and not isinstance(typed, list):
                raw = typed
        elif (field == "lot" or field.startswith("lot ")) and getattr(args, "lot", None):
            # "lot" (value: the component), "lot mcc=A1 expiry": find the --lot that named the component
            component = str(error.value) if field == "lot" else field.split()[1].split("=")[0]
            option = "--lot"
            raw = next((text for text in args.lot if text.partition("=")[0].strip() == component), error.value)
    if raw is None:  # a value that was needed and not given
        message = f"{option}: {field} must {rule}" if option else f"{field} must {rule}"
    else:
        message = (
            f"{option} {_quote(raw)}: {field} must {rule}" if option else f"{field} must {rule} (got {_quote(raw)})"
        )
    return f"{message}; {hint}" if hint else message


def _from_problems(what: str, source: str, problems: Sequence[Problem]) -> str:
    """One line for a file with problems: ``formula file x.toml: $.id: must be …; $.name: is required``."""
    parts = [p.message if p.path == "$" else f"{p.path}: {p.message}" for p in problems]
    if len(parts) == 1 and problems[0].path == "$":
        return f"{what} {source} {parts[0]}"
    count = f" has {len(parts)} problems" if len(parts) > 1 else ""
    return f"{what} {source}{count}: " + "; ".join(parts)


def _describe(error: LDNError, args: argparse.Namespace | None) -> str:
    """The one-line message for any error of the package (its own message if describing it fails)."""
    try:
        return _describe_error(error, args)
    except Exception:  # noqa: BLE001 - never let the error report itself fail
        return str(error)


def _describe_error(error: LDNError, args: argparse.Namespace | None) -> str:  # noqa: PLR0911 - one per kind
    if isinstance(error, FormulaNotFoundError):
        close = difflib.get_close_matches(error.formula, error.known, n=1)
        guess = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(error.known) or "none"
        return (
            f"FORMULA {_quote(error.formula)}: must be a formula id or the path of a formula file (*.toml); "
            f"known ids: {known}{guess}"
        )
    if isinstance(error, FormulaFileError):
        return _from_problems("formula file", error.source, error.problems)
    for cls, option, what in (
        (PharmacyConfigError, "--pharmacy-config", "pharmacy config"),
        (SigCodeFileError, "--sig-codes", "sig code file"),
    ):
        if isinstance(error, cls):
            assert isinstance(error, PharmacyConfigError | SigCodeFileError)
            return f"{option}: " + _from_problems(what, error.source, error.problems)
    if isinstance(error, outputs.OutputRefusedError):
        return f"{error.option} {_quote(error.target)}: must {error.rule}"
    if isinstance(error, outputs.OutputError):
        return f"{error.option} {_quote(error.target)}: cannot write: {error.reason}"
    if isinstance(error, service.RequestError):
        return _from_request_error(error, args)
    if isinstance(error, WrongPinError):
        return f"--user {_quote(error.value)}: wrong PIN ({error.rule.partition('(')[2].rstrip(')')})"
    if isinstance(error, InputError) and getattr(args, "action", None) is not None:  # lots, users, audit, register
        return f"{error.field} must {error.rule} (got {_quote(error.value)})"
    if isinstance(error, InputError):
        return _from_input_error(error, args)
    return str(error)


# --------------------------------------------------------------------------- argument parsing


class _Once(argparse.Action):
    """Store an option's value; refuse it given twice (the first would be silently lost) or without a value."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[object] | None,
        option_string: str | None = None,
    ) -> None:
        name = option_string or self.dest
        if self.nargs == argparse.OPTIONAL and values == self.default:  # an optional positional left out
            setattr(namespace, self.dest, values)
            return
        if not isinstance(values, str):  # argparse turns "--option=--" into []
            parser.error(f"{name}: expected one argument")
        seen: set[str] = namespace.__dict__.setdefault("_given_once", set())
        if self.dest in seen:
            parser.error(f"{name}: given twice; give it once")
        seen.add(self.dest)
        setattr(namespace, self.dest, values)


class _Append(argparse._AppendAction):  # noqa: SLF001 - argparse's own repeatable option
    """A repeatable option whose every value is text (argparse turns "--option=--" into [])."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[object] | None,
        option_string: str | None = None,
    ) -> None:
        if not isinstance(values, str):
            parser.error(f"{option_string or self.dest}: expected one argument")
        super().__call__(parser, namespace, values, option_string)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``error:`` line and exit status 2."""

    commands: dict[str, argparse.ArgumentParser]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", None, _Once)
        self.register("action", "store", _Once)
        self.register("action", "append", _Append)

    def check_options(self, arguments: Sequence[str]) -> None:
        """Refuse an unknown ``--option`` by name (before argparse reports a missing required one)."""
        command = next((a for a in arguments if not a.startswith("-")), None)
        sub = getattr(self, "commands", {}).get(command or "")
        if sub is None:
            return
        rest = arguments[arguments.index(str(command)) + 1 :]
        nested = getattr(sub, "commands", None)
        if nested is not None:  # lots list, users add…: the action's own options
            action = next((a for a in rest if not a.startswith("-")), None)
            if action not in nested:
                return
            rest = rest[rest.index(str(action)) + 1 :]
            sub, command = nested[action], f"{command} {action}"
        known = sorted(sub._option_string_actions)  # noqa: SLF001 - argparse keeps no public list
        for item in rest:
            if item == "--":
                return
            name = item.partition("=")[0]
            if item.startswith("--") and name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                guess = f"; did you mean {close[0]}?" if close else ""
                raise _CommandError(f"unknown option {name} for {command}{guess} (see '{PROG} {command} --help')")

    def error(self, message: str) -> NoReturn:
        """Raise the usage error instead of printing usage and exiting."""
        text = message.replace("argument ", "", 1) if message.startswith("argument ") else message
        raise _CommandError(f"{text} (see '{self.prog} --help')")


_BATCH_EPILOG = """\
examples:
  ldn-compound batch ldn-capsules --quantity 100 --strength "4.5 mg"
  ldn-compound batch ldn-capsules --quantity 100 --strength "1.5 mg" --potency 99.1 \\
      --lot naltrexone-hcl=NX2291:2027-06-30 --lot mcc=MC881 --record record.pdf --labels labels.pdf
  ldn-compound batch ldn-oral-liquid --quantity "120 mL" --tablets 180 --json
  ldn-compound batch ldn-capsules --quantity 30 --strength "3 mg" --labels rx.pdf \\
      --rx 104233 --patient "Zoë Łukasiewicz-Núñez" --prescriber "Dr. A. Reyes" \\
      --directions "Take 1 capsule by mouth at bedtime" --refills 2 --pharmacy-config pharmacy.toml
"""


def build_parser() -> _Parser:
    """The parser of the whole command line."""
    parser = _Parser(
        prog=PROG,
        description="Batch calculations, compounding records and labels for low-dose naltrexone (LDN).",
        epilog="Run 'ldn-compound COMMAND --help' for a command's options; docs/cli.md has examples.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    parser.commands = {}

    def command(
        name: str, help_text: str, handler: Callable[[argparse.Namespace], int], epilog: str = ""
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            epilog=epilog or None,
            allow_abbrev=False,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(handler=handler)
        parser.commands[name] = sub
        return sub

    def no_clobber(sub: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
        sub.add_argument(
            "--no-clobber",
            action="store_true",
            help="refuse to replace an existing output file (default: replace it, keeping its permissions)",
        )

    def formula_dir(sub: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
        sub.add_argument(
            "--dir", metavar="DIR", help="the pharmacy's folder of formula files (*.toml), besides the built-in ones"
        )

    # formulas
    sub = command(
        "formulas",
        "list the built-in master formulas (and those in DIR)",
        _cmd_formulas,
        "examples:\n  ldn-compound formulas\n  ldn-compound formulas --dir ./our-formulas --json\n",
    )
    formula_dir(sub)
    sub.add_argument("--json", action="store_true", help="print the list as JSON (schema ldn-compound/formulas/1)")

    # show
    sub = command(
        "show",
        "show a formula's composition, strength range and beyond-use class",
        _cmd_show,
        'examples:\n  ldn-compound show ldn-oral-liquid\n  ldn-compound show ldn-capsules --strength "1.5 mg"\n'
        "  ldn-compound show ./our-formulas/ldn-capsules-lactose-free.toml --json\n",
    )
    sub.add_argument("formula", metavar="FORMULA", help="a built-in formula id or the path of a formula file")
    sub.add_argument("--strength", metavar="S", help='also show the reference batch at this strength, e.g. "1.5 mg"')
    formula_dir(sub)
    sub.add_argument("--json", action="store_true", help="print the formula as JSON (schema ldn-compound/formula/1)")

    # mfr
    sub = command(
        "mfr",
        "write a formula's master formulation record as a PDF",
        _cmd_mfr,
        "examples:\n  ldn-compound mfr ldn-capsules -o mfr-ldn-capsules.pdf\n"
        '  ldn-compound mfr ldn-oral-liquid --strength "1 mg/mL" -o mfr.pdf --pharmacy-config pharmacy.toml\n',
    )
    sub.add_argument("formula", metavar="FORMULA", help="a built-in formula id or the path of a formula file")
    sub.add_argument("--strength", metavar="S", help="the strength of the record (default: the formula's)")
    sub.add_argument(
        "-o", "--output", metavar="FILE", required=True, help="the PDF file to write ('-': standard output)"
    )
    no_clobber(sub)
    sub.add_argument("--pharmacy-config", metavar="FILE", help="TOML file with the [pharmacy] printed on the record")
    sub.add_argument("--page-size", choices=("letter", "a4"), default=None, help="paper size (default: letter)")
    formula_dir(sub)

    # batch
    sub = command(
        "batch",
        "calculate a batch: what to weigh and measure, the beyond-use date; optionally print PDFs",
        _cmd_batch,
        _BATCH_EPILOG,
    )
    sub.add_argument("formula", metavar="FORMULA", help="a built-in formula id or the path of a formula file")
    what = sub.add_argument_group("the batch")
    what.add_argument(
        "--quantity",
        metavar="Q",
        required=True,
        help='capsules: a count (100); liquids and drops: a volume ("120 mL"); creams: a mass ("30 g")',
    )
    what.add_argument(
        "--strength", metavar="S", help='"4.5 mg" (per capsule), "1 mg/mL", "1 mg/g"; default: the formula\'s'
    )
    what.add_argument(
        "--strength-basis",
        choices=("hcl", "base"),
        default=None,
        help="the salt form the strength is written in (default: hcl)",
    )
    what.add_argument("--overage", metavar="PCT", help="extra active and excipients, percent of the batch (default 0)")
    what.add_argument("--date", metavar="YYYY-MM-DD", help="compounding date (default: today)")
    what.add_argument(
        "--lot-number",
        metavar="LOT",
        help="the batch's lot number, checked to be new to the register (default: the register's next lot)",
    )
    what.add_argument(
        "--dose", metavar="Q", help="one dose (a mass, e.g. 13.5 mg for 3 capsules), checked against the dose limits"
    )
    formula_dir(what)
    source = sub.add_argument_group("the naltrexone source")
    source.add_argument("--potency", metavar="PCT", help="as-is potency of the powder from its certificate of analysis")
    source.add_argument("--assay", metavar="PCT", help="assay from the certificate of analysis (with --assay-basis)")
    source.add_argument(
        "--assay-basis",
        metavar="BASIS",
        help="the basis the certificate states the assay on: as-is, anhydrous (with --water) or dried "
        "(with --loss-on-drying)",
    )
    source.add_argument("--water", metavar="PCT", help="water content (Karl Fischer) for an anhydrous-basis --assay")
    source.add_argument("--residual-solvent", metavar="PCT", help="residual solvent for an anhydrous-basis --assay")
    source.add_argument("--loss-on-drying", metavar="PCT", help="loss on drying for a dried-basis --assay")
    source.add_argument(
        "--tablets",
        metavar="MG",
        help='make it from crushed 50 mg tablets whose average weight is MG (e.g. 180, or "180 mg")',
    )
    source.add_argument(
        "--tablet-product", metavar="TEXT", help="the tablets' NDC or product name, printed on the record"
    )
    source.add_argument(
        "--tablet-manufacturer", metavar="TEXT", help="the tablets' manufacturer, printed on the record"
    )
    source.add_argument(
        "--lot",
        metavar="ID=LOT[:YYYY-MM-DD]",
        action="append",
        default=[],
        help="a component's lot and expiry (repeatable; ID as in 'show --json')",
    )
    weighing = sub.add_argument_group("weighing and capsules")
    weighing.add_argument(
        "--balance-readability", metavar="Q", help='e.g. "0.1 mg" (default) or "1 mg"; sets the minimum weight'
    )
    weighing.add_argument(
        "--balance-repeatability", metavar="Q", help="the balance's repeatability standard deviation, when measured"
    )
    weighing.add_argument(
        "--capsule-size", metavar="SIZE", help="capsule size: 000, 00, 0, 1, 2, 3, 4, 5 (default: the formula's)"
    )
    weighing.add_argument(
        "--packing", metavar="Q", help='your filler\'s packing statistic for the capsule size, e.g. "228 mg"'
    )
    weighing.add_argument("--bulk-density", metavar="Q", help='your filler\'s bulk density, e.g. "0.31 g/mL"')
    weighing.add_argument(
        "--drops-per-ml", metavar="N", help="sublingual drops: your calibrated dropper's drops per mL"
    )
    dating = sub.add_argument_group("beyond-use date")
    dating.add_argument(
        "--bud-rules",
        choices=[b.value for b in BudSystem],
        default=None,
        help="USP <795> as revised in 2023 (default) or the legacy rules",
    )
    dating.add_argument(
        "--bud-day-one", action="store_true", help="count the compounding day as day 1 (default: day 0)"
    )
    dating.add_argument("--stability", metavar="ID", help="date by the formula's stability evidence ID (see 'show')")
    safety = sub.add_argument_group("safety checks")
    safety.add_argument(
        "--other-medicine",
        metavar="NAME",
        action="append",
        default=[],
        help="the patient's other medicines, checked for opioids (repeatable)",
    )
    safety.add_argument(
        "--override-reason", metavar="REASON", help="go ahead despite an opioid co-medication, for this reason"
    )
    safety.add_argument(
        "--unclear-medicine-reason",
        metavar="REASON",
        help="accept an --other-medicine name that is close to an opioid's but not it (e.g. 'oxycodon'), "
        "for this reason",
    )
    safety.add_argument(
        "--high-dose-reason", metavar="REASON", help="go ahead with a dose above 10 mg, for this reason"
    )
    output = sub.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print the batch as JSON (schema ldn-compound/batch/2)")
    output.add_argument("--record", metavar="FILE", help="write the compounding record PDF ('-': standard output)")
    no_clobber(output)
    output.add_argument(
        "--labels",
        metavar="FILE",
        help="write the labels PDF: a patient label with the prescription options, else a container label",
    )
    output.add_argument(
        "--register",
        metavar="URL_OR_FILE",
        help="the register that keeps printed batches (default: $LDN_COMPOUND_REGISTER, else your own)",
    )
    output.add_argument(
        "--label-stock",
        metavar="NAME",
        help="label stock (default roll-4x2.5in; e.g. roll-3x2in, roll-4x6in, letter-2x5, a4-2x4)",
    )
    output.add_argument(
        "--page-size", choices=("letter", "a4"), default=None, help="paper size of the record (default: letter)"
    )
    output.add_argument(
        "--pharmacy-config", metavar="FILE", help="TOML file with the [pharmacy] printed on records and labels"
    )
    rx = sub.add_argument_group("prescription (for a patient label)")
    rx.add_argument("--rx", metavar="NUMBER", help="prescription number")
    rx.add_argument("--patient", metavar="NAME", help="patient name")
    rx.add_argument("--prescriber", metavar="NAME", help="prescriber name")
    rx.add_argument(
        "--directions",
        metavar="TEXT",
        help='directions in English, read and checked, e.g. "Take 1 capsule by mouth at bedtime"',
    )
    rx.add_argument("--sig", metavar="CODES", help='directions as sig codes, e.g. "1 cap po qhs", "3 gtt sl qhs"')
    rx.add_argument(
        "--directions-unchecked",
        metavar="REASON",
        help="print --directions that cannot be read anyway, for this reason (kept on the record)",
    )
    rx.add_argument("--sig-codes", metavar="FILE", help="TOML file of the pharmacy's own sig codes")
    rx.add_argument("--refills", metavar="N", help="refills allowed (default 0)")
    rx.add_argument(
        "--dispense", metavar="Q", help="quantity dispensed on this prescription (default: the whole batch)"
    )
    rx.add_argument(
        "--language",
        metavar="CODE",
        help="language of the patient label: en (default) or es (Spanish; directions from a sig code)",
    )
    rx.add_argument(
        "--titration",
        metavar="SCHEDULE",
        help='liquids and drops: "1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg" (or "1.5 mg:7, 3 mg:7, 4.5 mg")',
    )
    _register_commands(command)
    _add_serve(command)
    return parser


_LOTS_EPILOG = """\
examples:
  ldn-compound lots list --status compounded
  ldn-compound lots show L2026-000123
  ldn-compound lots recall QX7781
  ldn-compound lots weigh L2026-000123 --user tina --line naltrexone-hcl="451.2 mg" --line mcc="22.6 g"
  ldn-compound lots compound L2026-000123 --user tina
  ldn-compound lots verify L2026-000123 --user paul
  ldn-compound lots reprint L2026-000123 --record again.pdf
"""


def _register_commands(command: Callable[..., argparse.ArgumentParser]) -> None:
    """``lots``, ``users``, ``audit`` and ``register``: the batch register's commands."""

    def group(name: str, help_text: str, epilog: str = "") -> Callable[..., argparse.ArgumentParser]:
        parent = command(name, help_text, _cmd_missing, epilog)
        actions = parent.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
        parent.commands = {}  # type: ignore[attr-defined]

        def action(verb: str, text: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
            sub = actions.add_parser(verb, help=text, description=text[0].upper() + text[1:] + ".", allow_abbrev=False)
            sub.set_defaults(handler=handler)
            sub.add_argument(
                "--register",
                metavar="URL_OR_FILE",
                help="the register (default: $LDN_COMPOUND_REGISTER, else your own)",
            )
            parent.commands[verb] = sub  # type: ignore[attr-defined]
            return sub

        return action

    def signer(sub: argparse.ArgumentParser, *, reason: str | None = None) -> None:
        sub.add_argument("--user", metavar="NAME", required=True, help="who signs (asked for their PIN)")
        sub.add_argument("--pin-stdin", action="store_true", help="read the PIN from the first line of standard input")
        if reason is not None:
            sub.add_argument("--reason", metavar="TEXT", required=reason == "required", help="why")

    lots = group("lots", "the batch register: list, show, recall, reprint, and sign a batch's steps", _LOTS_EPILOG)
    sub = lots("list", "list registered batches, newest first", _cmd_lots_list)
    sub.add_argument("--status", metavar="S", help="only batches of this status (e.g. prepared, verified, released)")
    sub.add_argument("--formula", metavar="ID", help="only batches of this formula")
    sub.add_argument("--since", metavar="YYYY-MM-DD", help="only batches compounded on or after this date")
    sub.add_argument("--limit", metavar="N", type=_positive, default=100, help="at most N batches (default 100)")
    sub.add_argument("--json", action="store_true", help="print the list as JSON (schema ldn-compound/lots/1)")
    sub = lots("show", "show a registered batch: its document, status, amounts and signatures", _cmd_lots_show)
    sub.add_argument("lot", metavar="LOT")
    sub.add_argument("--json", action="store_true", help="print it as JSON (schema ldn-compound/lot/1)")
    sub = lots("recall", "every registered batch that used a component lot (or has this lot)", _cmd_lots_recall)
    sub.add_argument("lot", metavar="COMPONENT_LOT")
    sub.add_argument("--json", action="store_true", help="print the batches as JSON (schema ldn-compound/recall/1)")
    sub = lots("reprint", "write the record or labels again, the same bytes as first printed", _cmd_lots_reprint)
    sub.add_argument("lot", metavar="LOT")
    sub.add_argument("--record", metavar="FILE", help="write the compounding record")
    sub.add_argument("--labels", metavar="FILE", help="write the labels")
    sub.add_argument("--user", metavar="NAME", help="who reprints (written to the audit trail)")
    sub.add_argument(
        "--with-amounts",
        action="store_true",
        help="render the record again with the actual amounts entered (a new document, not the first bytes)",
    )
    sub.add_argument(
        "--pharmacy-config", metavar="FILE", help="with --with-amounts: the pharmacy (default: as registered)"
    )
    sub.add_argument("--page-size", choices=("letter", "a4"), default=None, help="with --with-amounts: paper size")
    sub = lots("weigh", "enter what each line actually weighed or measured", _cmd_lots_weigh)
    sub.add_argument("lot", metavar="LOT")
    sub.add_argument(
        "--line", metavar="ID=AMOUNT", action="append", default=[], required=True, help="e.g. mcc=22.6 g (repeatable)"
    )
    signer(sub)
    sub = lots("accept", "accept an amount out of tolerance (pharmacist), with a reason", _cmd_lots_accept)
    sub.add_argument("lot", metavar="LOT")
    sub.add_argument("--line", metavar="ID", required=True, help="the line whose amount is accepted")
    signer(sub, reason="required")
    for verb, text in (
        ("compound", "sign that the batch was made (every amount entered)"),
        ("verify", "sign the pharmacist's check of the batch"),
        ("release", "release a verified batch for dispensing"),
        ("quarantine", "put a batch on hold, with a reason"),
        ("reject", "scrap a batch, with a reason"),
        ("return", "send a batch back for changes, with a reason"),
    ):
        sub = lots(verb, text, _cmd_lots_action)
        sub.add_argument("lot", metavar="LOT")
        signer(sub, reason="required" if verb in {"quarantine", "reject", "return"} else None)

    users = group("users", "the register's users: technicians and pharmacists with a PIN")
    sub = users("add", "add a user (asked for their new PIN twice)", _cmd_users_add)
    sub.add_argument("name", metavar="NAME")
    sub.add_argument("--role", choices=("technician", "pharmacist"), required=True)
    by_help = (
        "the pharmacist who signs for it (needed once the register has a pharmacist); "
        "their PIN is asked first (or is the first line of --pin-stdin)"
    )
    sub.add_argument("--by", metavar="PHARMACIST", help=by_help)
    sub.add_argument(
        "--pin-stdin",
        action="store_true",
        help="read the PINs from standard input: --by's on the first line, then the new user's",
    )
    users("list", "list the users", _cmd_users_list)
    sub = users("disable", "disable a user: they can sign no more", _cmd_users_disable)
    sub.add_argument("name", metavar="NAME")
    sub.add_argument("--by", metavar="PHARMACIST", help=by_help)
    sub.add_argument("--pin-stdin", action="store_true", help="read --by's PIN from the first line of standard input")
    sub = users(
        "token",
        "make an API token for a user, who gives their PIN (printed once; the register keeps only its hash)",
        _cmd_users_token,
    )
    sub.add_argument("name", metavar="NAME")
    sub.add_argument(
        "--pin-stdin", action="store_true", help="read the user's PIN from the first line of standard input"
    )

    audit = group("audit", "the register's audit trail")
    sub = audit("log", "print the audit trail (of one lot)", _cmd_audit_log)
    sub.add_argument("lot", metavar="LOT", nargs="?")
    audit("verify", "check the audit trail's hash chain and every batch and user against it", _cmd_audit_verify)

    register = group("register", "the register itself")
    sub = register("backup", "copy a SQLite register, consistently, to FILE", _cmd_register_backup)
    sub.add_argument("file", metavar="FILE")


def _positive(text: str) -> int:
    """A whole number of at least 1 (for ``--limit``)."""
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1 (got {_quote(text)})")
    return int(text)


def _add_serve(command: Callable[..., argparse.ArgumentParser]) -> None:
    """The ``serve`` command: the bench pages and the HTTP API."""
    sub = command(
        "serve",
        "serve the bench pages and the HTTP API (needs the web extra: pip install 'ldn_compound[web]')",
        _cmd_serve,
        "examples:\n  ldn-compound serve\n  ldn-compound serve --port 8080 --pharmacy-config pharmacy.toml\n"
        "  ldn-compound serve --workers 4      # an integration server that many clients call at once\n",
    )
    sub.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: this computer only)"
    )
    sub.add_argument("--port", default="8765", help="the port to listen on (default 8765)")
    sub.add_argument(
        "--workers",
        default="1",
        metavar="N",
        help="how many processes answer requests (default 1; about one a core for a server many clients call at once)",
    )
    sub.add_argument("--register", metavar="URL_OR_PATH", help="the batch register (a database URL or a file)")
    sub.add_argument(
        "--pharmacy-config", metavar="FILE", help="TOML file with the [pharmacy] printed on records and labels"
    )
    sub.add_argument(
        "--dir", metavar="DIR", help="the pharmacy's folder of formula files (*.toml), besides the built-in ones"
    )


# --------------------------------------------------------------------------- helpers


def _output_target(option: str, text: str) -> outputs.Target:
    """Where an output goes (a file, standard output, a FIFO or device), checked before anything is calculated."""
    return outputs.plan_output(option, text)


def _write(
    files: Sequence[tuple[outputs.Target, bytes]],
    args: argparse.Namespace,
    read: Sequence[FileRead],
    *,
    overwrite: bool = True,
) -> None:
    """Write the outputs by the rules of :mod:`ldn_compound.outputs`, never over a file this run read.

    An existing file is refused with ``--no-clobber``, or when the pharmacy config's
    ``[settings] overwrite_outputs = false`` says so (``overwrite``).
    """
    sys.stdout.flush()
    outputs.write_outputs(files, inputs=read, no_clobber=getattr(args, "no_clobber", False) or not overwrite)


def _check_stdout(targets: Sequence[outputs.Target], args: argparse.Namespace) -> bool:
    """Whether a PDF goes to standard output; then nothing else may (``--json`` is refused)."""
    to_stdout = [target for target in targets if target.kind == "stdout"]
    if to_stdout and getattr(args, "json", False):
        raise _CommandError(
            f"{to_stdout[0].option} {_quote(to_stdout[0].given)}: the PDF goes to standard output, so --json cannot;"
            " write the PDF to a file"
        )
    outputs.check_targets(targets)
    return bool(to_stdout)


def _print(text: str) -> None:
    """Print text for a person at a terminal: control, bidirectional and invisible characters escaped."""
    sys.stdout.write(terminal(text))


def _write_stdout(text: str) -> None:
    r"""Print ``text`` as UTF-8 (JSON is UTF-8 whatever the terminal's encoding).

    A lone surrogate (a file name that was not UTF-8) is written as its JSON escape, ``\udcff``.
    """
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text)
        return
    stream.flush()
    buffer.write(text.encode("utf-8", errors="backslashreplace"))
    buffer.flush()


# --------------------------------------------------------------------------- commands


def _cmd_formulas(args: argparse.Namespace) -> int:
    """``formulas``: list the built-in formulas and those of ``--dir``."""
    formulas = service.list_formulas(args.dir)
    if args.json:
        _write_stdout(dumps(formulas_to_dict(formulas)))
    else:
        _print("\n".join(formulas_table(formulas, with_source=args.dir is not None)) + "\n")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    """``show``: a formula's composition, ranges and BUD class."""
    formula, reference = service.show_formula(args.formula, args.strength, args.dir)
    if args.json:
        _write_stdout(dumps(formula_to_dict(formula, reference)))
    else:
        _print(formula_text(formula, reference))
    return 0


def _cmd_mfr(args: argparse.Namespace) -> int:
    """``mfr``: write the master formulation record PDF."""
    target = _output_target("-o", args.output)
    to_stdout = _check_stdout([target], args)
    with inputs.recording() as read:
        formula, data = service.master_record(
            args.formula,
            strength=args.strength,
            pharmacy_config=args.pharmacy_config,
            page_size=args.page_size,
            formula_dir=args.dir,
        )
        overwrite = service.site_settings(args.pharmacy_config).overwrite_outputs
    _write([(target, data)], args, read, overwrite=overwrite)
    if not to_stdout:
        _print(f"Master formulation record of {formula.id} v{formula.version} written to {args.output}\n")
    return 0


def _batch_request(args: argparse.Namespace) -> service.BatchRequest:
    """The batch request the options make."""
    return service.BatchRequest(
        formula=args.formula,
        formula_dir=args.dir,
        lots=tuple(args.lot),
        other_medicines=tuple(args.other_medicine),
        record=args.record is not None,
        labels=args.labels is not None,
        **{field: getattr(args, dest) for field, dest in _REQUEST_OPTIONS.items()},
    )


def _cmd_batch(args: argparse.Namespace) -> int:
    """``batch``: calculate; print the table or JSON; write the record and labels."""
    targets: list[outputs.Target] = []
    if args.record is not None:
        targets.append(_output_target("--record", args.record))
    if args.labels is not None:
        targets.append(_output_target("--labels", args.labels))
    to_stdout = _check_stdout(targets, args)
    with inputs.recording() as read:
        outcome = service.run_batch(_batch_request(args))
    result = outcome.result
    files: list[tuple[outputs.Target, bytes]] = []
    for target in targets:
        data = outcome.record if target.option == "--record" else outcome.labels
        assert data is not None
        files.append((target, data))
    _write(files, args, read, overwrite=outcome.overwrite)
    if to_stdout:  # standard output carries the PDF and nothing else
        return 0
    if args.json:
        _write_stdout(result.to_json())
        return 0
    text = batch_text(result)
    for target in targets:
        what = (
            "Compounding record"
            if target.option == "--record"
            else ("Patient label" if outcome.prescription else "Container label")
        )
        text += f"\n{what} written to {target.given}"
    if outcome.registered:
        text += f"\nRegistered as lot {result.lot_number} (prepared): 'ldn-compound lots show {result.lot_number}'"
    _print(text + ("\n" if files else ""))
    return 0


# --------------------------------------------------------------------------- the register's commands


def _cmd_missing(_args: argparse.Namespace) -> int:  # pragma: no cover - argparse requires an action
    raise _CommandError("an action is needed")


def _read_pin(
    args: argparse.Namespace, prompt: str, *, confirm: bool = False, line: str = "first", option: str = "--user"
) -> str:
    """The PIN: the next line of standard input with ``--pin-stdin``, else asked without echo."""
    if args.pin_stdin:
        pin = sys.stdin.readline().rstrip("\r\n")
        if not pin:
            raise _CommandError(f"--pin-stdin: standard input has no PIN on its {line} line")
        try:
            pin.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8 text, kept as surrogates by the stream
            raise _CommandError(
                f"--pin-stdin: the PIN on the {line} line of standard input is not UTF-8 text"
            ) from None
        return pin
    if not sys.stdin.isatty():
        raise _CommandError(f"{option}: no terminal to ask for the PIN on; give it on standard input with --pin-stdin")
    import getpass

    pin = getpass.getpass(prompt)
    if confirm and getpass.getpass("The same PIN again: ") != pin:
        raise _CommandError("the two PINs differ; nothing was changed")
    return pin


def _cmd_lots_list(args: argparse.Namespace) -> int:
    lots = service.list_lots(
        status=args.status, formula=args.formula, since=args.since, limit=args.limit, register=args.register
    )
    if args.json:
        from ldn_compound.render.register_text import lots_dict

        _write_stdout(dumps(lots_dict(lots)))
    else:
        from ldn_compound.render.register_text import lots_table

        sys.stdout.write(lots_table(lots, limit=args.limit))
    return 0


def _cmd_lots_show(args: argparse.Namespace) -> int:
    lot = service.show_lot(args.lot, register=args.register)
    if args.json:
        _write_stdout(dumps(lot.to_dict()))
    else:
        from ldn_compound.render.register_text import lot_text

        sys.stdout.write(lot_text(lot))
    return 0


def _cmd_lots_recall(args: argparse.Namespace) -> int:
    from ldn_compound.render.register_text import recall_dict, recall_text

    hits = service.recall(args.lot, register=args.register)
    if args.json:
        _write_stdout(dumps(recall_dict(args.lot, hits)))
    else:
        sys.stdout.write(recall_text(args.lot, hits))
    return 0


def _cmd_lots_reprint(args: argparse.Namespace) -> int:
    targets: list[outputs.Target] = []
    if args.record is not None:
        targets.append(_output_target("--record", args.record))
    if args.labels is not None:
        targets.append(_output_target("--labels", args.labels))
    to_stdout = _check_stdout(targets, args)
    if args.with_amounts or args.pharmacy_config is not None or args.page_size is not None:
        if args.record is None or args.labels is not None or not args.with_amounts:
            raise _CommandError("--with-amounts: renders the record only; give --with-amounts and --record FILE")
        with inputs.recording() as read:
            record = service.record_with_amounts(
                args.lot,
                pharmacy_config=args.pharmacy_config,
                page_size=args.page_size,
                user=args.user,
                register=args.register,
            )
        _write([(targets[0], record)], args, read)
        if not to_stdout:
            _print(f"Compounding record of {args.lot} with its actual amounts written to {args.record}\n")
        return 0
    data = service.reprint(
        args.lot, record=args.record is not None, labels=args.labels is not None, user=args.user, register=args.register
    )
    _write([(target, data[target.option.removeprefix("--")]) for target in targets], args, ())
    if not to_stdout:
        for target in targets:
            what = "Compounding record" if target.option == "--record" else "Labels"
            _print(f"{what} of {args.lot} written to {target.given} (the bytes first printed)\n")
    return 0


def _cmd_lots_weigh(args: argparse.Namespace) -> int:
    service.parse_amounts(args.line)  # a typing slip is reported before the PIN is asked
    pin = _read_pin(args, f"PIN of {args.user}: ")
    weights = service.weigh(args.lot, args.line, user=args.user, pin=pin, register=args.register)
    for w in weights:
        check = "within" if w.within else "OUT OF TOLERANCE (a pharmacist must accept it: 'lots accept')"
        sys.stdout.write(f"{args.lot} {w.line}: {w.amount}, {check} {w.low} to {w.high}\n")
    return 0


def _cmd_lots_accept(args: argparse.Namespace) -> int:
    pin = _read_pin(args, f"PIN of {args.user}: ")
    weight = service.accept_amount(
        args.lot, args.line, user=args.user, pin=pin, reason=args.reason, register=args.register
    )
    sys.stdout.write(f"{args.lot} {weight.line}: {weight.amount} accepted by {weight.accepted_by}\n")
    return 0


def _cmd_lots_action(args: argparse.Namespace) -> int:
    pin = _read_pin(args, f"PIN of {args.user}: ")
    status = service.lot_action(
        args.lot, args.action, user=args.user, pin=pin, reason=getattr(args, "reason", None), register=args.register
    )
    sys.stdout.write(f"{args.lot} is now {status} (signed by {args.user})\n")
    return 0


@contextlib.contextmanager
def _signer_needed(action: str) -> Iterator[None]:
    """A change to the users that needs a pharmacist and was given none names the option to give."""
    from ldn_compound.register.errors import NotPermittedError

    try:
        yield
    except NotPermittedError as error:
        if error.field == "signer" and error.value is None:
            raise _CommandError(
                f"--by: {action} needs a pharmacist to sign once the register has one: --by NAME"
            ) from None
        raise


def _authoriser_pin(args: argparse.Namespace) -> str | None:
    """The PIN of the pharmacist named by ``--by`` (the first PIN read), or None without ``--by``."""
    return None if args.by is None else _read_pin(args, f"PIN of {args.by}: ", option="--by")


def _cmd_users_add(args: argparse.Namespace) -> int:
    by_pin = _authoriser_pin(args)
    pin = _read_pin(
        args, f"New PIN of {args.name}: ", confirm=True, line="first" if args.by is None else "second", option="NAME"
    )
    with _signer_needed("adding a user"):
        user = service.add_user(args.name, args.role, pin, by=args.by, by_pin=by_pin, register=args.register)
    sys.stdout.write(f"User {user.name} added ({user.role})\n")
    return 0


def _cmd_users_list(args: argparse.Namespace) -> int:
    from ldn_compound.render.register_text import users_table

    sys.stdout.write(users_table(service.list_users(register=args.register)))
    return 0


def _cmd_users_disable(args: argparse.Namespace) -> int:
    by_pin = _authoriser_pin(args)
    with _signer_needed("disabling a user"):
        user = service.disable_user(args.name, by=args.by, by_pin=by_pin, register=args.register)
    sys.stdout.write(f"User {user.name} disabled\n")
    return 0


def _cmd_users_token(args: argparse.Namespace) -> int:
    token = service.create_token(
        args.name, _read_pin(args, f"PIN of {args.name}: ", option="NAME"), register=args.register
    )
    sys.stdout.write(f"{token}\n")
    sys.stderr.write(f"API token for {args.name}: send it as 'Authorization: Bearer TOKEN'; it is not shown again\n")
    return 0


def _cmd_audit_log(args: argparse.Namespace) -> int:
    from ldn_compound.render.register_text import audit_text

    sys.stdout.write(audit_text(service.audit_log(args.lot, register=args.register)))
    return 0


def _cmd_audit_verify(args: argparse.Namespace) -> int:
    from ldn_compound.render.register_text import audit_report_text

    report = service.audit_verify(register=args.register)
    if not report.ok:
        raise _CommandError(f"audit trail: {report.problem}", 1)
    sys.stdout.write(audit_report_text(report))
    return 0


def _cmd_register_backup(args: argparse.Namespace) -> int:
    target = outputs.plan_output("FILE", args.file, allow_stdout=False)
    if target.kind != "file" or target.path is None:
        raise _CommandError(f"FILE {_quote(args.file)}: must be a regular file for the copy of the register")
    outputs.check_targets([target])
    service.backup_register(str(target.path), register=args.register)
    written = args.file
    sys.stdout.write(f"Register copied to {written}\n")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    """``serve``: check the options, then run the web app until interrupted."""
    port = args.port.strip()
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise _CommandError(f"--port {_quote(args.port)}: must be a port number from 1 to 65535")
    if not args.host.strip():
        raise _CommandError(f"--host {_quote(args.host)}: must be an address, e.g. 127.0.0.1")
    host = args.host.strip()
    if host.startswith("[") and host.endswith("]"):  # an IPv6 address as URLs write it: [::1]
        host = host[1:-1]
    if args.dir is not None:
        service.list_formulas(args.dir)  # a bad folder or formula file is refused now, not on the first request
    if args.pharmacy_config is not None:
        service.read_pharmacy_config(args.pharmacy_config)
    try:
        from ldn_compound.web import WebConfig, is_loopback
        from ldn_compound.web.server import MAX_WORKERS, ServeError, serve
    except ImportError as error:
        raise _CommandError(
            f"serve needs the web extra ({(error.name or 'a package').split('.')[0]} is not installed): "
            "pip install 'ldn_compound[web]'",
            1,
        ) from None
    workers = args.workers.strip()
    if not (workers.isascii() and workers.isdigit()) or not 1 <= int(workers) <= MAX_WORKERS:
        raise _CommandError(f"--workers {_quote(args.workers)}: must be a whole number from 1 to {MAX_WORKERS}")
    require_sign_in = not is_loopback(host)
    if require_sign_in and not service.list_users(register=args.register):
        raise _CommandError(
            f"--host {_quote(args.host)}: listening beyond this computer needs sign-in, and the register has no "
            "users yet: add one with 'ldn-compound users add NAME --role pharmacist'"
        )
    config = WebConfig(
        formula_dir=args.dir,
        pharmacy_config=args.pharmacy_config,
        register=args.register,
        require_sign_in=require_sign_in,
    )
    try:
        serve(host, int(port), config, workers=int(workers))
    except ServeError as error:
        raise _CommandError(str(error), 1) from None
    return 0


# --------------------------------------------------------------------------- entry point


def _command_hint(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``, for the help hint of an error."""
    return next((a for a in argv if a in COMMANDS), None)


def _report(message: str) -> None:
    """Print one ``error:`` line on stderr."""
    try:
        sys.stderr.write(f"error: {terminal(_one_line(message))}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # pragma: no cover - stderr closed
        pass


@functools.cache
def _parser() -> _Parser:
    """The parser, built once per process (building it costs more than most commands)."""
    return build_parser()


def _check_lengths(arguments: Sequence[str]) -> None:
    """Refuse a value longer than any real one before it is parsed (the longest a path may be)."""
    for index, item in enumerate(arguments):
        if len(item) > MAX_VALUE:
            name, equals, _ = item.partition("=")
            option = name if equals and name.startswith("-") else (arguments[index - 1] if index else "")
            where = f"{option}: " if option.startswith("-") else ""
            raise _CommandError(f"{where}a value must be at most {MAX_VALUE} characters (got {len(item)})")


def _quiet_stdout() -> None:  # pragma: no cover - only after a broken pipe
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0911 - one return for each way a run ends
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    0: done; 1: something other than the input went wrong (e.g. a file could not
    be written); 2: bad usage or input.  Errors are one ``error:`` line on stderr.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if hasattr(sys.stdout, "reconfigure"):
        with contextlib.suppress(ValueError, OSError):
            sys.stdout.reconfigure(errors="replace")
    args: argparse.Namespace | None = None
    try:
        parser = _parser()
        try:
            _check_lengths(arguments)
            parser.check_options(arguments)
            args = parser.parse_args(arguments)
        except _CommandError as failure:
            command = _command_hint(arguments)
            if command is not None and f"'{PROG} --help'" in failure.message:
                failure.message = failure.message.replace(f"'{PROG} --help'", f"'{PROG} {command} --help'")
            raise
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except SystemExit as exit_:  # --help and --version
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    except _CommandError as failure:
        _report(failure.message)
        return failure.status
    except LDNError as error:
        _report(_describe(error, args))
        return 1 if isinstance(error, service.DocumentUnavailableError | outputs.OutputError | RegisterError) else 2
    except BrokenPipeError:  # pragma: no cover - e.g. `ldn-compound formulas | head -1`
        _quiet_stdout()
        return 1
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        _report(f"cannot read or write{where}: {error.strerror or error}")
        return 1
    except KeyboardInterrupt:
        _report("interrupted")
        return 130
    except Exception as error:  # noqa: BLE001 - the last resort: never a traceback
        _report(f"internal error: {type(error).__name__}: {error}")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
