"""The ``ldn-compound`` command line: list and show formulas, print records, calculate batches.

::

    ldn-compound formulas [--dir DIR] [--json]
    ldn-compound show FORMULA [--strength S] [--json]
    ldn-compound mfr FORMULA [--strength S] -o FILE
    ldn-compound batch FORMULA --quantity Q [options]

Every command is documented with examples in ``docs/cli.md``; the JSON it
prints follows the schemas in ``ldn_compound/schemas/`` (``docs/json.md``).

This module only parses arguments and prints; every calculation is
:func:`ldn_compound.calculate_batch`.  A mistake gets one line on stderr
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
import json
import os
import re
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, NoReturn

import attrs

from ldn_compound._version import __version__
from ldn_compound.batch import calculate_batch, parse_lot
from ldn_compound.bud import maximum_days
from ldn_compound.config import PharmacyConfigError, load_pharmacy_config
from ldn_compound.exceptions import (
    CapsuleOverfillError,
    CoMedicationError,
    DoseLimitError,
    FormulaFileError,
    FormulaNotFoundError,
    InputError,
    LDNError,
    Problem,
    RenderError,
)
from ldn_compound.jsonio import dumps, formula_to_dict, formulas_to_dict
from ldn_compound.loader import load_formula, load_formulas
from ldn_compound.model import (
    BatchResult,
    DosageForm,
    Ingredient,
    Lot,
    MasterFormula,
    Pharmacy,
    Prescription,
    TitrationStep,
)
from ldn_compound.settings import BudSystem, Settings, default_settings
from ldn_compound.titration import parse_titration, titration_plan
from ldn_compound.units import MASS, Quantity, format_amount, format_number, parse_quantity

__all__ = ["main"]

PROG: Final = "ldn-compound"
COMMANDS: Final = ("formulas", "show", "mfr", "batch")

#: Where a core error's ``field`` came from on the command line: the option's ``dest``.
_FIELD_TO_DEST: Final = {
    "quantity": "quantity",
    "strength": "strength",
    "strength basis": "strength_basis",
    "overage": "overage",
    "potency": "potency",
    "assay": "assay",
    "water": "water",
    "residual solvent": "residual_solvent",
    "tablets": "tablets",
    "tablet weight": "tablets",
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
    "other medicines": "other_medicine",
    "stock": "label_stock",
    "pharmacy": "pharmacy_config",
    "titration": "titration",
    "titration dose": "titration",
}

#: What to add to an error when an option lets the user go on.
_HINTS: Final[dict[type[Exception], str]] = {
    DoseLimitError: "to go ahead, give --high-dose-reason REASON",
    CoMedicationError: "to go ahead, give --override-reason REASON",
    CapsuleOverfillError: "use a larger --capsule-size",
}

#: The batch quantity used by ``show --strength`` when a formula names no reference quantity.
_REFERENCE_QUANTITY: Final = {
    DosageForm.CAPSULES: "100",
    DosageForm.ORAL_LIQUID: "100 mL",
    DosageForm.SUBLINGUAL_DROPS: "30 mL",
    DosageForm.TOPICAL_CREAM: "30 g",
}

_PRESCRIPTION_OPTIONS: Final = (
    ("rx", "--rx"),
    ("patient", "--patient"),
    ("prescriber", "--prescriber"),
    ("directions", "--directions"),
)
_MAX_REFILLS: Final = 99


# --------------------------------------------------------------------------- errors


class _CommandError(Exception):
    """A mistake to report as one ``error:`` line, with the exit status to use."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _quote(value: object) -> str:
    """A value as the user typed it, in double quotes: ``"4.5 mL"``."""
    return json.dumps(str(value), ensure_ascii=False)


def _one_line(text: str) -> str:
    """Text folded onto one line (line breaks become single spaces)."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


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
    message = f"{option} {_quote(raw)}: {field} must {rule}" if option else f"{field} must {rule} (got {_quote(raw)})"
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


def _describe_error(error: LDNError, args: argparse.Namespace | None) -> str:
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
    if isinstance(error, PharmacyConfigError):
        return "--pharmacy-config: " + _from_problems("pharmacy config", error.source, error.problems)
    if isinstance(error, InputError):
        return _from_input_error(error, args)
    return str(error)


# --------------------------------------------------------------------------- argument parsing


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``error:`` line and exit status 2."""

    commands: dict[str, argparse.ArgumentParser]

    def check_options(self, arguments: Sequence[str]) -> None:
        """Refuse an unknown ``--option`` by name (before argparse reports a missing required one)."""
        command = next((a for a in arguments if not a.startswith("-")), None)
        sub = getattr(self, "commands", {}).get(command or "")
        if sub is None:
            return
        known = sorted(sub._option_string_actions)  # noqa: SLF001 - argparse keeps no public list
        for item in arguments[arguments.index(str(command)) + 1 :]:
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
    sub.add_argument("-o", "--output", metavar="FILE", required=True, help="the PDF file to write")
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
        "--lot-number", metavar="LOT", help="the batch's internal lot number (default: made from the date and the data)"
    )
    what.add_argument(
        "--dose", metavar="Q", help="one dose (a mass, e.g. 13.5 mg for 3 capsules), checked against the dose limits"
    )
    formula_dir(what)
    source = sub.add_argument_group("the naltrexone source")
    source.add_argument("--potency", metavar="PCT", help="as-is potency of the powder from its certificate of analysis")
    source.add_argument(
        "--assay", metavar="PCT", help="anhydrous-basis assay from the certificate of analysis (with --water)"
    )
    source.add_argument("--water", metavar="PCT", help="water content (Karl Fischer) for --assay")
    source.add_argument("--residual-solvent", metavar="PCT", help="residual solvent for --assay")
    source.add_argument(
        "--tablets",
        metavar="MG",
        help='make it from crushed 50 mg tablets whose average weight is MG (e.g. 180, or "180 mg")',
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
        "--high-dose-reason", metavar="REASON", help="go ahead with a dose above 10 mg, for this reason"
    )
    output = sub.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print the batch as JSON (schema ldn-compound/batch/1)")
    output.add_argument("--record", metavar="FILE", help="write the compounding record PDF")
    output.add_argument(
        "--labels",
        metavar="FILE",
        help="write the labels PDF: a patient label with the prescription options, else a container label",
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
    rx.add_argument("--directions", metavar="TEXT", help='directions, e.g. "Take 1 capsule by mouth at bedtime"')
    rx.add_argument("--refills", metavar="N", help="refills allowed (default 0)")
    rx.add_argument(
        "--dispense", metavar="Q", help="quantity dispensed on this prescription (default: the whole batch)"
    )
    rx.add_argument(
        "--titration",
        metavar="SCHEDULE",
        help='liquids and drops: "1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg" (or "1.5 mg:7, 3 mg:7, 4.5 mg")',
    )
    return parser


# --------------------------------------------------------------------------- helpers


def _check_dir(args: argparse.Namespace) -> list[str]:
    """The formula folders to search (``--dir``), checked to be folders."""
    if args.dir is None:
        return []
    folder = Path(args.dir)
    if not folder.is_dir():
        reason = "does not exist" if not folder.exists() else "is not a directory"
        raise _CommandError(
            f"--dir {_quote(args.dir)}: {reason}; give the folder that holds your formula files (*.toml)"
        )
    return [args.dir]


def _load(args: argparse.Namespace) -> MasterFormula:
    """The formula named by FORMULA, from the built-ins, ``--dir`` or a file."""
    text = str(args.formula).strip()
    if not text:
        raise _CommandError('FORMULA "": must be a formula id or the path of a formula file (*.toml)')
    return load_formula(text, dirs=_check_dir(args))


def _output_path(option: str, text: str) -> Path:
    """An output file path, checked before anything is calculated: its folder exists and is writable."""
    if not text.strip():
        raise _CommandError(f"{option} {_quote(text)}: must name a file, e.g. record.pdf")
    path = Path(text)
    if path.is_dir():
        raise _CommandError(f"{option} {_quote(text)}: is a directory; give a file name, e.g. {path / 'out.pdf'}")
    parent = path.parent
    if not parent.exists():
        raise _CommandError(f"{option} {_quote(text)}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise _CommandError(f"{option} {_quote(text)}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _CommandError(f"{option} {_quote(text)}: the directory {parent} is not writable")
    return path


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (existing or not)."""
    try:
        return a.resolve() == b.resolve()
    except OSError:  # pragma: no cover - resolve() fails only on exotic file systems
        return False


def _check_outputs(outputs: Sequence[tuple[str, Path]], inputs: Sequence[tuple[str, str | None]]) -> None:
    """No two outputs are the same file, and no output overwrites an input file."""
    for index, (option, path) in enumerate(outputs):
        for other, other_path in outputs[:index]:
            if _same_file(path, other_path):
                raise _CommandError(f"{option} {_quote(str(path))}: is also the {other} file; give two different files")
        for what, text in inputs:
            if text and Path(text).is_file() and _same_file(path, Path(text)):
                raise _CommandError(f"{option} {_quote(str(path))}: would overwrite the {what} file")


def _write_files(files: Sequence[tuple[str, Path, bytes]]) -> None:
    """Write every output atomically: all to temporary files first, then each replaces its target.

    A failure leaves no temporary file and no half-written output behind.
    """
    temporaries: list[Path] = []
    try:
        for option, path, data in files:
            temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
            try:
                descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except OSError as error:
                raise _CommandError(
                    f"{option} {_quote(str(path))}: cannot write: {error.strerror or error}", 1
                ) from None
            temporaries.append(temporary)
            try:
                with os.fdopen(descriptor, "wb") as stream:
                    stream.write(data)
                    stream.flush()
                    os.fsync(stream.fileno())
            except OSError as error:
                raise _CommandError(
                    f"{option} {_quote(str(path))}: cannot write: {error.strerror or error}", 1
                ) from None
        for (option, path, _), temporary in zip(files, temporaries, strict=True):
            try:
                temporary.replace(path)
            except OSError as error:
                raise _CommandError(
                    f"{option} {_quote(str(path))}: cannot write: {error.strerror or error}", 1
                ) from None
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


def _pharmacy(args: argparse.Namespace) -> Pharmacy | None:
    """The pharmacy of ``--pharmacy-config``, or None."""
    if args.pharmacy_config is None:
        return None
    return load_pharmacy_config(args.pharmacy_config)


def _renderer(module: str, name: str) -> Callable[..., None]:
    """A PDF renderer, imported on first use (reportlab is heavy)."""
    import importlib

    try:
        function: Callable[..., None] = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise _CommandError(f"PDF output is not available in this installation ({module}.{name}: {error})", 1) from None
    return function


def _render(option: str, path: Path, draw: Callable[[io.BytesIO], None]) -> bytes:
    """Render a PDF into memory; a render error names the output it was for."""
    buffer = io.BytesIO()
    try:
        draw(buffer)
    except RenderError as error:
        raise _CommandError(f"{option} {_quote(str(path))}: {_one_line(str(error))}") from None
    return buffer.getvalue()


def _write_stdout(text: str) -> None:
    """Print ``text`` as UTF-8 (JSON is UTF-8 whatever the terminal's encoding)."""
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text)
        return
    stream.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Rows of text in left-aligned columns under their headers."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return indent + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), *(line(row) for row in rows)]


def _milligrams(text: str | None) -> str | None:
    """A bare number means milligrams (``--tablets 180``); text with a unit is kept as it is."""
    if text is not None and re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", text):
        return f"{text.strip()} mg"
    return text


def _settings(args: argparse.Namespace) -> Settings:
    """The site settings the options ask for."""
    settings = default_settings()
    if args.bud_rules is None and not args.bud_day_one:
        return settings
    bud = BudSystem(args.bud_rules) if args.bud_rules else settings.bud_system
    return attrs.evolve(settings, bud_system=bud, compounding_day_is_day_zero=not args.bud_day_one)


def _parse_lots(args: argparse.Namespace) -> list[Lot]:
    """Each ``--lot``, read on its own so an error names the one that is wrong."""
    lots = []
    for text in args.lot:
        try:
            lots.append(parse_lot(text))
        except InputError as error:
            raise _CommandError(f"--lot {_quote(text)}: {error.field} must {error.rule}") from None
    return lots


def _given(args: argparse.Namespace, *dests: str) -> list[str]:
    """The options among ``dests`` that were given."""
    return [_option(d) for d in dests if getattr(args, d) not in (None, False, [])]


def _check_batch_options(args: argparse.Namespace, formula: MasterFormula) -> None:
    """Refuse option combinations that would be ignored or cannot be right."""
    form = formula.dosage_form
    only_for = {
        "capsule_size": {DosageForm.CAPSULES},
        "packing": {DosageForm.CAPSULES},
        "bulk_density": {DosageForm.CAPSULES},
        "drops_per_ml": {DosageForm.SUBLINGUAL_DROPS},
        "titration": {DosageForm.ORAL_LIQUID, DosageForm.SUBLINGUAL_DROPS},
    }
    for dest, forms in only_for.items():
        if getattr(args, dest) is not None and form not in forms:
            titles = [f.display_name for f in DosageForm if f in forms]
            allowed = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]
            raise _CommandError(f"{_option(dest)}: applies only to {allowed}; {formula.id} is {form.display_name}")
    if args.override_reason is not None and not args.other_medicine:
        raise _CommandError("--override-reason: goes with --other-medicine (the medicines whose check it overrides)")
    for dest in ("override_reason", "high_dose_reason"):
        value = getattr(args, dest)
        if value is not None and not value.strip():
            raise _CommandError(
                f'{_option(dest)} "": must give the reason, e.g. "prescriber confirmed, no opioids for 14 days"'
            )
    labels_only = _given(
        args, "label_stock", "rx", "patient", "prescriber", "directions", "refills", "dispense", "titration"
    )
    if labels_only and args.labels is None:
        raise _CommandError(f"{labels_only[0]}: is for labels; add --labels FILE")
    if args.page_size is not None and args.record is None:
        raise _CommandError("--page-size: is for the record; add --record FILE")
    if args.pharmacy_config is not None and args.record is None and args.labels is None:
        raise _CommandError("--pharmacy-config: is printed on records and labels; add --record FILE or --labels FILE")
    given = [option for dest, option in _PRESCRIPTION_OPTIONS if getattr(args, dest) is not None]
    missing = [option for dest, option in _PRESCRIPTION_OPTIONS if getattr(args, dest) is None]
    extras = _given(args, "refills", "dispense", "titration")
    if (given or extras) and missing:
        raise _CommandError(
            f"a patient label needs {', '.join(o for _, o in _PRESCRIPTION_OPTIONS)}; missing {', '.join(missing)}"
            " (leave out all prescription options for a container label)"
        )
    for dest, option in _PRESCRIPTION_OPTIONS:
        value = getattr(args, dest)
        if value is not None and not value.strip():
            raise _CommandError(f"{option} {_quote(value)}: must not be empty")
    if given and args.pharmacy_config is None:
        raise _CommandError("a patient label needs --pharmacy-config FILE: the pharmacy's name and address print on it")


def _prescription(
    args: argparse.Namespace, result: BatchResult, titration: tuple[TitrationStep, ...]
) -> Prescription | None:
    """The prescription for a patient label, or None for a container label."""
    if args.rx is None:
        return None
    refills = 0
    if args.refills is not None:
        text = args.refills.strip()
        if not text.isdigit() or int(text) > _MAX_REFILLS:
            raise _CommandError(f"--refills {_quote(args.refills)}: must be a whole number from 0 to {_MAX_REFILLS}")
        refills = int(text)
    quantity: Quantity | None = None
    if args.dispense is not None:
        from ldn_compound import forms

        try:
            quantity = forms.for_dosage_form(result.formula.dosage_form).read_quantity(
                args.dispense, default_settings()
            )
        except InputError as error:
            raise _CommandError(f"--dispense {_quote(args.dispense)}: dispensed quantity must {error.rule}") from None
        if quantity > result.quantity:
            raise _CommandError(
                f"--dispense {_quote(args.dispense)}: must be at most the batch, {format_amount(result.quantity)}"
            )
    return Prescription(
        number=args.rx.strip(),
        patient=args.patient.strip(),
        prescriber=args.prescriber.strip(),
        directions=args.directions.strip(),
        date_filled=result.compounding_date,
        refills=refills,
        quantity=quantity,
        titration=titration,
    )


# --------------------------------------------------------------------------- output text


def _formula_rows(formulas: Sequence[MasterFormula], with_source: bool) -> list[str]:
    """The formula list as a table."""
    headers = ["ID", "Version", "Form", "Default strength", "Range", "Name"]
    rows = []
    for f in formulas:
        row = [
            f.id,
            f.version,
            f.dosage_form.value,
            f"{format_amount(f.strength.default)} {f.strength.basis.short_name}",
            f"{format_amount(f.strength.minimum)} to {format_amount(f.strength.maximum)}",
            f.name,
        ]
        if with_source:
            row.append(f.source)
        rows.append(row)
    return _table([*headers, "Source"] if with_source else headers, rows, indent="")


def _bud_class(formula: MasterFormula) -> str:
    """``nonaqueous-other: USP <795> (2023) at most 180 days, room temperature or refrigerator``."""
    days, storage = maximum_days(formula.preparation_class)
    return f"{formula.preparation_class.value}: USP <795> (2023) at most {days} days, {storage}"


def _reference_batch(formula: MasterFormula, strength: str) -> BatchResult:
    """The formula's reference batch at ``strength`` (validates the strength like a batch does)."""
    quantity: object = formula.reference_quantity or _REFERENCE_QUANTITY[formula.dosage_form]
    return calculate_batch(formula, quantity=quantity, strength=strength, date="2000-01-01")


def _show_text(formula: MasterFormula, reference: BatchResult | None) -> str:
    """The readable description of a formula."""
    f = formula
    rng = f.strength
    out = [f"{f.id} v{f.version}: {f.name}", ""]
    facts = [
        ("Dosage form", f"{f.dosage_form.display_name} ({f.dosage_form.route})"),
        ("Description", f.description),
        ("Strength", f"default {format_amount(rng.default)} {rng.basis.short_name}; allowed {rng.describe()}"),
        ("BUD class", _bud_class(f)),
        ("Storage", f.storage),
        ("Container", f.container),
        ("Reference batch", format_amount(f.reference_quantity) if f.reference_quantity is not None else ""),
        ("Source", f.source),
    ]
    if f.capsule is not None:
        packing = ", ".join(f"#{size} {format_amount(q)}" for size, q in f.capsule.packing.items())
        density = (
            f"; bulk density {format_amount(f.capsule.bulk_density.to('g/mL'), unit='g/mL')}"
            if f.capsule.bulk_density
            else ""
        )
        facts.append(
            ("Capsules", f"size {f.capsule.size}, filler {f.capsule.filler}; packing {packing or 'none'}{density}")
        )
    if f.drops is not None:
        facts.append(
            (
                "Dropper",
                f"{f.drops.drops_per_ml} drops per mL (calibrated){'; ' + f.drops.dropper if f.drops.dropper else ''}",
            )
        )
    if f.topical is not None and f.topical.click_volume is not None:
        facts.append(
            (
                "Dispenser",
                f"{format_amount(f.topical.click_volume)} per click{'; ' + f.topical.dispenser if f.topical.dispenser else ''}",
            )
        )
    width = max(len(k) for k, _ in facts)
    out += [f"{k.ljust(width)}  {v}" for k, v in facts if v]
    out += ["", "Components"]
    out += _table(
        ["ID", "Name", "Role", "Amount", "Grade"],
        [
            [c.id, c.name, c.role, "per strength" if c.role == "active" else c.amount.describe(), c.grade]
            for c in f.components
        ],
    )
    if f.stability:
        out += ["", "Stability evidence (use with batch --stability ID)"]
        out += _table(
            ["ID", "Days", "Storage", "Citation"], [[e.id, str(e.days), e.storage, e.citation] for e in f.stability]
        )
    if reference is not None:
        out += ["", f"Reference batch: {format_amount(reference.quantity)} at {reference.strength.describe()}"]
        out += _table(
            ["ID", "Name", "Amount", "How"],
            [[i.id, i.name, i.describe_amount(), i.measure] for i in reference.ingredients],
        )
    for title, items in (
        ("Procedure", f.procedure),
        ("Equipment", f.equipment),
        ("Quality checks", tuple(f"{q.name}: {q.specification}" for q in f.quality_checks)),
        ("Auxiliary labels", f.auxiliary_labels),
        ("References", tuple(r.citation + (f" ({r.supports})" if r.supports else "") for r in f.references)),
    ):
        if items:
            out += ["", title]
            numbered = title == "Procedure"
            out += [f"  {n}. {item}" if numbered else f"  - {item}" for n, item in enumerate(items, 1)]
    return "\n".join(out) + "\n"


def _how(line: Ingredient) -> str:
    """How an ingredient is measured, in words."""
    how = str(line.measure)
    if line.tablets:
        how = f"weigh, from {line.tablets} crushed 50 mg tablet{'s' if line.tablets != 1 else ''}"
    if line.aliquot is not None:
        how += f" (aliquot: {line.aliquot.method}, below)"
    return how


def _batch_text(result: BatchResult) -> str:
    """The readable batch: what to measure, aliquot steps, BUD and warnings."""
    f = result.formula
    per = " per capsule" if f.dosage_form is DosageForm.CAPSULES else ""
    out = [
        f"{f.name} ({f.id} v{f.version})",
        f"Strength   {result.strength.describe()}{per}",
        f"Quantity   {format_amount(result.quantity)}"
        + (f" (amounts include {format_number(result.overage * 100)} % overage)" if result.overage else ""),
        f"Lot        {result.lot_number}, compounded {result.compounding_date.isoformat()}",
        f"Balance    {result.balance.describe()}",
        "",
        "Measure",
    ]
    with_lots = any(line.lot is not None for line in result.ingredients)
    headers = ["Component", "Role", "Amount", "How"] + (["Lot"] if with_lots else [])
    rows = []
    for line in result.ingredients:
        row = [line.name, line.role, line.describe_amount(), _how(line)]
        if with_lots:
            lot = line.lot
            row.append("" if lot is None else lot.lot + (f" (expires {lot.expiry.isoformat()})" if lot.expiry else ""))
        rows.append(row)
    out += _table(headers, rows)
    if result.capsule is not None:
        c = result.capsule
        fill = format_amount(c.fill_weight, significant=6)
        out += [
            "",
            f"Capsules   size {c.size}: fill {fill} each, accept {format_amount(c.fill_low)} to {format_amount(c.fill_high)}",
        ]
    if result.dose_per_unit:
        doses = ", ".join(
            f"{format_amount(q, significant=6)} per {unit}" for unit, q in sorted(result.dose_per_unit.items())
        )
        out += ["", f"Dose       {doses}"]
    for line in result.ingredients:
        a = line.aliquot
        if a is None:
            continue
        plan = f"weigh {format_amount(a.weigh)}, dilute to {format_amount(a.dilute_to)}, take {format_amount(a.take)}"
        out += ["", f"Aliquot of {line.name} ({a.method}): {plan} (holds {format_amount(a.holds)})"]
        out += [f"  {n}. {step}" for n, step in enumerate(a.steps, 1)]
    bud = result.beyond_use
    out += ["", f"Beyond-use date  {bud.date.isoformat()}", f"  Rule     {bud.rule}"]
    if bud.limited_by:
        out.append(f"  Limited  {bud.limited_by}")
    out.append(f"  Storage  {bud.storage}")
    if result.overrides:
        out += ["", "Overrides"] + [f"  {o.code}: {o.reason}" for o in result.overrides]
    if result.warnings:
        out += ["", "Warnings"] + [f"  ! {w.code}: {w.message}" for w in result.warnings]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- commands


def _cmd_formulas(args: argparse.Namespace) -> int:
    """``formulas``: list the built-in formulas and those of ``--dir``."""
    folders = _check_dir(args)
    formulas = list(load_formulas(folders[0] if folders else None).values())
    if args.json:
        _write_stdout(dumps(formulas_to_dict(formulas)))
    else:
        sys.stdout.write("\n".join(_formula_rows(formulas, with_source=bool(folders))) + "\n")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    """``show``: a formula's composition, ranges and BUD class."""
    formula = _load(args)
    reference = _reference_batch(formula, args.strength) if args.strength is not None else None
    if args.json:
        _write_stdout(dumps(formula_to_dict(formula, reference)))
    else:
        sys.stdout.write(_show_text(formula, reference))
    return 0


def _cmd_mfr(args: argparse.Namespace) -> int:
    """``mfr``: write the master formulation record PDF."""
    path = _output_path("-o", args.output)
    _check_outputs([("-o", path)], [("formula", args.formula), ("pharmacy config", args.pharmacy_config)])
    pharmacy = _pharmacy(args)
    formula = _load(args)
    if args.strength is not None:
        _reference_batch(formula, args.strength)  # the same strength checks as a batch
    render = _renderer("ldn_compound.render.record", "render_master_formula")
    data = _render(
        "-o",
        path,
        lambda out: render(
            formula, out, strength=args.strength, pharmacy=pharmacy, page_size=args.page_size or "letter"
        ),
    )
    _write_files([("-o", path, data)])
    sys.stdout.write(f"Master formulation record of {formula.id} v{formula.version} written to {path}\n")
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    """``batch``: calculate; print the table or JSON; write the record and labels."""
    outputs: list[tuple[str, Path]] = []
    if args.record is not None:
        outputs.append(("--record", _output_path("--record", args.record)))
    if args.labels is not None:
        outputs.append(("--labels", _output_path("--labels", args.labels)))
    _check_outputs(outputs, [("formula", args.formula), ("pharmacy config", args.pharmacy_config)])
    formula = _load(args)
    _check_batch_options(args, formula)
    pharmacy = _pharmacy(args)
    lots = _parse_lots(args)
    titration = parse_titration(args.titration) if args.titration is not None else ()
    stock = args.label_stock or "roll-4x2.5in"
    if args.labels is not None:
        from ldn_compound.render.stocks import get_stock

        get_stock(stock)
    dose: object = args.dose
    if titration:  # the highest of --dose and the titration steps is checked against the dose limits
        highest = max(step.dose for step in titration)
        dose = highest if dose is None else max(parse_quantity(dose, "dose", MASS), highest)
    if args.rx is not None and dose is None and formula.dosage_form is not DosageForm.CAPSULES:
        raise _CommandError(
            f"a patient label for {formula.dosage_form.display_name} needs --dose (the dose per administration, "
            'e.g. "4.5 mg") or --titration, so the dose limits are checked before the label is printed'
        )
    result = calculate_batch(
        formula,
        quantity=args.quantity,
        strength=args.strength,
        strength_basis=args.strength_basis,
        date=args.date,
        overage=0 if args.overage is None else args.overage,
        potency=args.potency,
        assay=args.assay,
        water=args.water,
        residual_solvent=args.residual_solvent,
        tablet_weight=_milligrams(args.tablets),
        balance_readability=args.balance_readability,
        balance_repeatability=args.balance_repeatability,
        lots=lots,
        capsule_size=args.capsule_size,
        packing=args.packing,
        bulk_density=args.bulk_density,
        drops_per_ml=args.drops_per_ml,
        dose=dose,
        high_dose_reason=args.high_dose_reason,
        other_medicines=args.other_medicine,
        co_medication_reason=args.override_reason,
        stability=args.stability,
        lot_number=args.lot_number,
        settings=_settings(args),
    )
    prescription = _prescription(args, result, titration)
    if titration:  # every dose measurable, within the limits, the quantity given and the BUD, before any PDF
        titration_plan(result, titration, quantity=None if prescription is None else prescription.quantity)
    files: list[tuple[str, Path, bytes]] = []
    page_size = args.page_size or "letter"
    prescriptions = () if prescription is None else (prescription,)
    for option, path in outputs:
        if option == "--record":
            record = _renderer("ldn_compound.render.record", "render_batch_record")
            data = _render(option, path, functools.partial(record, result, pharmacy=pharmacy, page_size=page_size))
        else:
            labels = _renderer("ldn_compound.render.labels", "render_labels")
            data = _render(
                option,
                path,
                functools.partial(labels, result, prescriptions=prescriptions, pharmacy=pharmacy, stock=stock),
            )
        files.append((option, path, data))
    _write_files(files)
    if args.json:
        _write_stdout(result.to_json())
        return 0
    text = _batch_text(result)
    for option, path, _ in files:
        what = (
            "Compounding record" if option == "--record" else ("Patient label" if prescription else "Container label")
        )
        text += f"\n{what} written to {path}"
    sys.stdout.write(text + ("\n" if files else ""))
    return 0


# --------------------------------------------------------------------------- entry point


def _command_hint(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``, for the help hint of an error."""
    return next((a for a in argv if a in COMMANDS), None)


def _report(message: str) -> None:
    """Print one ``error:`` line on stderr."""
    try:
        sys.stderr.write(f"error: {_one_line(message)}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # pragma: no cover - stderr closed
        pass


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
        parser = build_parser()
        try:
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
        return 2
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
