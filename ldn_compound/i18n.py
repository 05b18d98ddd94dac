r"""Label languages: the gettext catalogs of the patient label's fixed phrases, and local numbers and dates.

A patient label prints in English (the default) or in Spanish.  Its fixed
phrases ("Discard after", "compounded", the opioid warning, the built-in
formulas' storage and auxiliary statements) are gettext messages; the
translations live in ``ldn_compound/locale/<language>/LC_MESSAGES/ldn_compound.po``,
kept with Babel (``pybabel extract`` / ``update`` / ``compile``, configured in
``babel.cfg``), and ship compiled (``.mo``), read with the standard
:mod:`gettext` module.  A formula file may carry translations of its own
statements (its ``[translations.es]`` table), which come before the catalog.

Numbers and dates follow the label's locale (the ``label_locale`` of
:class:`~ldn_compound.settings.Settings`, e.g. ``es_US``): the decimal
mark from CLDR ("4.5 mg" in US Spanish, "4,5 mg" in Spain) and dates with the
month as a word ("31 may 2027"), from ``locale/locales.toml`` (CLDR data,
written with Babel).  English labels keep the decimal point and ISO dates
(``2027-05-31``).  Babel is a build tool here: nothing imports it at run time.

>>> from ldn_compound.units import COUNT_CAPSULE, MASS, parse_quantity
>>> words = label_words("es", "es_US")
>>> words._("Discard after {date}").format(date=words.date(dt.date(2027, 5, 31)))
'Deseche después del 31\xa0may\xa02027'
>>> label_words("es", "es_ES").amount(parse_quantity("4.5 mg", "dose", MASS))
'4,5 mg'
>>> label_words("en").amount(parse_quantity("30 capsules", "quantity", COUNT_CAPSULE))
'30 capsules'
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import re
import tomllib
from collections.abc import Collection, Iterator, Mapping
from importlib import resources
from typing import IO, Any, Final

import attrs

from ldn_compound.exceptions import InputError
from ldn_compound.units import Quantity, format_amount

__all__ = [
    "DEFAULT_LOCALE",
    "DOMAIN",
    "LANGUAGES",
    "N_",
    "LabelWords",
    "catalog",
    "check_language",
    "check_locale",
    "extract_formula",
    "label_words",
]

#: The languages a patient label prints in; English is the pharmacy's own.
LANGUAGES: Final = {"en": "English", "es": "Spanish"}
#: The gettext domain (the catalogs' file name).
DOMAIN: Final = "ldn_compound"
#: The default locale of Spanish labels: US Spanish, which writes decimals with a point.
DEFAULT_LOCALE: Final = "es_US"

_LOCALE_RE: Final = re.compile(r"^(?P<language>[a-z]{2,3})(?:[_-](?P<region>[A-Za-z]{2}|[0-9]{3}))?$")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for a marked, untranslated message
    """Mark ``message`` for the catalogs; it is translated where it is printed."""
    return message


def check_language(language: object, field: str = "language") -> str:
    """``language`` as a known label language code (``"en"``, ``"es"``), else InputError.

    >>> check_language("ES")
    'es'
    """
    code = str(language).strip().lower()
    if code not in LANGUAGES:
        known = ", ".join(f"{key} ({name})" for key, name in LANGUAGES.items())
        raise InputError(field, language, f"be a label language: {known}", code="unsupported-language")
    return code


def check_locale(locale: object, field: str = "label_locale") -> str:
    """``locale`` as ``ll_RR`` (``"es-us"`` → ``"es_US"``) if it is a locale of a label language, else InputError.

    The locales are those of ``locale/locales.toml`` (every CLDR locale of the
    label languages).
    """
    match = _LOCALE_RE.match(str(locale).strip()) if isinstance(locale, str) else None
    if match is None or match["language"].lower() not in LANGUAGES or match["language"].lower() == "en":
        raise InputError(
            field,
            locale,
            "be a locale of a label language other than English, e.g. es_US (decimal point) or es_ES (decimal comma)",
            code="unsupported-locale",
        )
    region = match["region"]
    code = match["language"].lower() + (f"_{region.upper()}" if region else "")
    if code not in locale_data():
        known = ", ".join(sorted(locale_data()))
        raise InputError(field, locale, f"be a locale CLDR knows: {known}", code="unknown-locale")
    return code


@functools.cache
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a label language (English: the messages themselves)."""
    if check_language(language) == "en":
        return gettext.NullTranslations()
    path = resources.files("ldn_compound").joinpath("locale", language, "LC_MESSAGES", f"{DOMAIN}.mo")
    with path.open("rb") as file:
        return gettext.GNUTranslations(file)


#: Count units as a label prints them, singular and plural (the plural is used for any amount but 1).
_COUNT_WORDS: Final = {
    "capsule": (N_("capsule"), N_("capsules")),
    "tablet": (N_("tablet"), N_("tablets")),
    "drop": (N_("drop"), N_("drops")),
    "click": (N_("click"), N_("clicks")),
}


@attrs.frozen
class LabelWords:
    """The language of one label: its phrases, numbers, amounts and dates.

    ``translations`` are a formula's own (English → translation), looked up
    before the catalog.  ``decimal`` is the locale's decimal mark and
    ``months`` its abbreviated month names (January first); English has none
    and prints ISO dates.
    """

    language: str = "en"
    locale: str = "en_US"
    decimal: str = "."
    months: tuple[str, ...] = ()
    translations: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def english(self) -> bool:
        """Whether the label is in English (nothing is translated)."""
        return self.language == "en"

    def _(self, message: str) -> str:
        """``message`` (a fixed phrase) in the label's language."""
        return catalog(self.language).gettext(message)

    def for_formula(self, translations: Mapping[str, Mapping[str, str]]) -> LabelWords:
        """These words with a formula's own translations (language → English → translation)."""
        return attrs.evolve(self, translations=translations.get(self.language, {}))

    def translate(self, statement: str, field: str = "statement") -> str:
        """A formula's statement in the label's language; InputError when neither the formula nor the catalog has it."""
        if self.english:
            return statement
        if statement in self.translations:
            return self.translations[statement]
        translated = self._(statement)
        if translated == statement:
            raise InputError(
                field,
                statement,
                f"have a {LANGUAGES[self.language]} translation for a label in {self.language}: add it to the "
                f'formula file\'s [translations.{self.language}] table ("English" = "translation")',
                code="missing-translation",
            )
        return translated

    def number(self, text: str) -> str:
        """A number printed by :func:`~ldn_compound.units.format_number` with the locale's decimal mark."""
        return text.replace(".", self.decimal)

    def amount(self, quantity: Quantity, *, significant: int | None = None) -> str:
        """:func:`~ldn_compound.units.format_amount` in the label's language: ``4.5 mg``, ``30 cápsulas``."""
        english = format_amount(quantity, significant=significant)
        if self.english:
            return english
        number, _, unit = english.partition(" ")
        for key, (one, many) in _COUNT_WORDS.items():
            if unit in (key, f"{key}s"):
                word = one if number == "1" else many
                unit = self._(word)
        return f"{self.number(number)} {unit}"

    def date(self, date: dt.date) -> str:
        """A date as the label prints it: ``2027-05-31`` in English, ``31 may 2027`` in Spanish.

        The words are joined by no-break spaces: a date never splits across lines.
        """
        if not self.months:
            return date.isoformat()
        return "\N{NO-BREAK SPACE}".join((str(date.day), self.months[date.month - 1], str(date.year)))


def label_words(language: str = "en", locale: str = DEFAULT_LOCALE) -> LabelWords:
    """The words of a label in ``language``; ``locale`` sets its numbers and dates (not used for English).

    Raises InputError (``unsupported-language``, ``unsupported-locale``) for a
    language or locale the labels cannot print.
    """
    if check_language(language) == "en":
        return LabelWords()
    return _locale_words(language, check_locale(locale))


@functools.cache
def _locale_words(language: str, locale: str) -> LabelWords:
    entry = locale_data()[locale]
    return LabelWords(language=language, locale=locale, decimal=entry["decimal"], months=tuple(entry["months"]))


@functools.cache
def locale_data() -> dict[str, dict[str, Any]]:
    """The decimal mark and abbreviated month names of each label locale (``locale/locales.toml``, from CLDR)."""
    text = resources.files("ldn_compound").joinpath("locale", "locales.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(text)["locale"])


# --------------------------------------------------------------------------- message extraction (Babel)


def formula_statements(data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(key path, text) of every statement of a parsed formula file that prints on patient labels."""
    if isinstance(data.get("storage"), str) and data["storage"].strip():
        yield "$.storage", data["storage"].strip()
    stability = data.get("stability", [])
    for index, evidence in enumerate(stability if isinstance(stability, list) else []):
        if isinstance(evidence, Mapping) and isinstance(evidence.get("storage"), str) and evidence["storage"].strip():
            yield f"$.stability[{index}].storage", evidence["storage"].strip()
    statements = data.get("auxiliary_labels", [])
    for index, statement in enumerate(statements if isinstance(statements, list) else []):
        if isinstance(statement, str) and statement.strip():
            yield f"$.auxiliary_labels[{index}]", statement.strip()


def extract_formula(
    fileobj: IO[bytes],
    keywords: Collection[str],  # noqa: ARG001 - Babel's extractor signature
    comment_tags: Collection[str],  # noqa: ARG001
    options: Mapping[str, Any],  # noqa: ARG001
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extractor for formula files: their patient-label statements (see ``babel.cfg``)."""
    text = fileobj.read().decode("utf-8")
    lines = text.splitlines()
    for path, statement in formula_statements(tomllib.loads(text)):
        lineno = next((n for n, line in enumerate(lines, 1) if statement in line), 0)
        yield lineno, None, statement, [f"formula file {path}"]
