"""The errors ldn_compound raises.

Every error derives from :class:`LDNError`; each concrete error also derives from
the matching builtin (``ValueError``, ``LookupError``, ``OSError``) so callers
that already catch those keep working.  Errors carry the offending values as
attributes, and their messages read ``<field> must <rule> (got <value>)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

__all__ = [
    "AliquotError",
    "CapsuleOverfillError",
    "CoMedicationError",
    "DataFileError",
    "DimensionError",
    "DoseLimitError",
    "FormulaFileError",
    "FormulaNotFoundError",
    "InputError",
    "LDNError",
    "LabelFitError",
    "LabelStockFileError",
    "MedicineNameError",
    "PharmacyConfigError",
    "Problem",
    "QuantityError",
    "RenderError",
    "SigCodeFileError",
]


class LDNError(Exception):
    """Base class of every error raised by ldn_compound.

    ``code`` is a stable, machine-readable name of the fault (``"strength-out-of-range"``):
    each class has its own, and a raise may give a more specific one.  Codes are listed
    in the docs and carried into the JSON error documents; they never change meaning.
    """

    #: The class's code; an instance may carry a more specific one.
    code: str = "ldn-error"


class InputError(LDNError, ValueError):
    """A value given by the caller breaks a rule.

    ``field`` names the input (``"strength"``, ``"quantity"``, ``"potency"``…),
    ``value`` is what was given and ``rule`` says what is accepted.
    """

    code = "invalid-input"

    def __init__(self, field: str, value: object, rule: str, *, code: str | None = None) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        if code is not None:
            self.code = code
        super().__init__(f"{field} must {rule} (got {value!r})")


class QuantityError(InputError):
    """Text or a number that cannot be read as a quantity."""

    code = "invalid-quantity"


class DimensionError(QuantityError):
    """A quantity of the wrong kind, e.g. a volume where a mass is needed."""

    code = "wrong-dimension"

    def __init__(self, field: str, value: object, expected: str, got: str) -> None:
        self.expected = expected
        self.got = got
        InputError.__init__(self, field, value, f"be {expected}, not {got}")


class DoseLimitError(InputError):
    """A dose above the hard limit without an explicit override."""

    code = "dose-above-limit"


class CapsuleOverfillError(InputError):
    """The active ingredient needs more room than the capsule has."""

    code = "capsule-overfill"


class AliquotError(InputError):
    """No aliquot plan keeps every weighing at or above the balance's minimum weight."""

    code = "no-aliquot-plan"


class CoMedicationError(InputError):
    """An opioid among the patient's other medicines, without an override reason."""

    code = "opioid-co-medication"


class MedicineNameError(InputError):
    """A medicine name close to an opioid's but not it (``"oxycodon"``), without a reason to accept it.

    ``suggestions`` holds the listed names it is close to (the did-you-mean).
    """

    code = "medicine-name-unclear"

    def __init__(self, field: str, value: object, rule: str, suggestions: Sequence[str]) -> None:
        self.suggestions = tuple(suggestions)
        super().__init__(field, value, rule)


class FormulaNotFoundError(LDNError, LookupError):
    """A formula id that is neither built in nor in the given directories."""

    code = "unknown-formula"

    def __init__(self, formula: str, known: Sequence[str]) -> None:
        self.formula = formula
        self.known = tuple(known)
        listing = ", ".join(self.known) or "none"
        super().__init__(f"formula must be a known id or a file path (got {formula!r}); known ids: {listing}")

    def __str__(self) -> str:
        return str(self.args[0])


@attrs.frozen
class Problem:
    """One problem found in a formula file: a key path (``$.components[1].amount``) and what is wrong there."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DataFileError(LDNError, ValueError):
    """A data file (formula, pharmacy configuration, label stocks) that cannot be read or is not valid.

    ``source`` names the file and ``problems`` lists every problem found, each
    with a key path into the file (``$.components[1].amount``), so they can all
    be fixed at once.
    """

    code = "invalid-data-file"

    #: What kind of file this is, as the message names it.
    kind = "data file"

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{self.kind} {source} has {count} {noun}:\n{lines}")


class FormulaFileError(DataFileError):
    """A formula file that cannot be read or does not describe a valid master formula."""

    code = "invalid-formula-file"

    kind = "formula file"


class PharmacyConfigError(DataFileError):
    """A pharmacy configuration file (``--pharmacy-config``) that cannot be read or is not valid."""

    code = "invalid-pharmacy-config"

    kind = "pharmacy config"


class LabelStockFileError(DataFileError):
    """A label stock file that cannot be read or does not describe valid label stocks."""

    code = "invalid-label-stock-file"

    kind = "label stock file"


class SigCodeFileError(DataFileError):
    """A sig code file (the built-in one or a pharmacy's own) that cannot be read or is not valid."""

    code = "invalid-sig-code-file"

    kind = "sig code file"


class RenderError(LDNError, ValueError):
    """Data that cannot be printed faithfully (e.g. a character the font lacks)."""

    code = "cannot-render"


class LabelFitError(RenderError):
    """Label text that does not fit the chosen label stock at the minimum type sizes."""

    code = "label-does-not-fit"
