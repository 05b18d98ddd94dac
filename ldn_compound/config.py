r"""The pharmacy configuration file: who prints the records and labels.

A small TOML file with one ``[pharmacy]`` table, read by the command line's
``--pharmacy-config FILE`` and usable from Python::

    # pharmacy.toml: printed on compounding records, master formulation records and labels
    [pharmacy]
    name = "Riverside Compounding Pharmacy"           # required
    address = ["12 Mill Street", "Springfield, IL 62701"]  # lines, top to bottom
    phone = "(217) 555-0142"
    pharmacist = "A. Nowak, PharmD"                   # pharmacist in charge

    [settings]                                        # optional: the site settings that differ
    label_languages = ["en", "es"]                    # patient label languages (formulas are checked)
    label_locale = "es_US"                            # Spanish labels: decimal point, month names

Every problem in the file is reported at once, each with its key path
(``$.pharmacy.address[1]``) and what is accepted, like formula files.

>>> read_pharmacy_config('[pharmacy]\nname = "Riverside Compounding Pharmacy"\nphone = "555-0142"\n')
Pharmacy(name='Riverside Compounding Pharmacy', address=(), phone='555-0142', pharmacist='')
>>> read_settings_config('[pharmacy]\nname = "R"\n[settings]\nlabel_languages = ["en", "es"]\n').label_languages
('en', 'es')
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from ldn_compound._toml import parse_toml, read_text
from ldn_compound.exceptions import InputError, PharmacyConfigError, Problem
from ldn_compound.i18n import check_language, check_locale
from ldn_compound.model import Pharmacy
from ldn_compound.settings import Settings, default_settings

__all__ = [
    "PharmacyConfigError",
    "load_pharmacy_config",
    "load_settings_config",
    "read_pharmacy_config",
    "read_settings_config",
]

#: The keys of the ``[pharmacy]`` table and whether each is required.
_PHARMACY_KEYS: Final = {"name": True, "address": False, "phone": False, "pharmacist": False}
_MAX_ADDRESS_LINES: Final = 6
_MAX_TEXT: Final = 200
#: The top-level tables of the file.
_TABLES: Final = ("pharmacy", "settings")


def _text(value: Any, path: str, problems: list[Problem], *, required: bool) -> str:
    """A one-line text value, or "" with a problem recorded."""
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(Problem(path, f"must be non-empty text (got {value!r})"))
        return ""
    text = value.strip()
    if "\n" in text or "\r" in text:
        problems.append(Problem(path, f"must be one line of text; give address lines as a list (got {value!r})"))
        return ""
    if len(text) > _MAX_TEXT:
        problems.append(Problem(path, f"must be at most {_MAX_TEXT} characters (got {len(text)})"))
        return ""
    return text


def _pharmacy(data: Mapping[str, Any], problems: list[Problem]) -> Pharmacy | None:
    """The pharmacy described by the parsed document, recording every problem."""
    known_tables = ", ".join(_TABLES)
    problems.extend(
        Problem(f"$.{key}", f"is not a known key (known: {known_tables})") for key in data if key not in _TABLES
    )
    if "pharmacy" not in data:
        problems.append(Problem("$.pharmacy", 'is required: a [pharmacy] table with at least name = "..."'))
        return None
    table = data["pharmacy"]
    if not isinstance(table, Mapping):
        problems.append(Problem("$.pharmacy", f"must be a table (got {type(table).__name__})"))
        return None
    known = ", ".join(_PHARMACY_KEYS)
    problems.extend(
        Problem(f"$.pharmacy.{key}", f"is not a known key (known: {known})")
        for key in table
        if key not in _PHARMACY_KEYS
    )
    name = ""
    if "name" not in table:
        problems.append(Problem("$.pharmacy.name", "is required"))
    else:
        name = _text(table["name"], "$.pharmacy.name", problems, required=True)
    address: list[str] = []
    raw_address = table.get("address", [])
    if isinstance(raw_address, str):
        problems.append(
            Problem(
                "$.pharmacy.address",
                f'must be a list of lines, e.g. ["12 Mill Street", "Springfield"] (got {raw_address!r})',
            )
        )
    elif not isinstance(raw_address, list):
        problems.append(Problem("$.pharmacy.address", f"must be a list of lines (got {raw_address!r})"))
    else:
        if len(raw_address) > _MAX_ADDRESS_LINES:
            problems.append(
                Problem("$.pharmacy.address", f"must have at most {_MAX_ADDRESS_LINES} lines (got {len(raw_address)})")
            )
        for index, line in enumerate(raw_address):
            text = _text(line, f"$.pharmacy.address[{index}]", problems, required=True)
            if text:
                address.append(text)
    phone = _text(table["phone"], "$.pharmacy.phone", problems, required=True) if "phone" in table else ""
    pharmacist = (
        _text(table["pharmacist"], "$.pharmacy.pharmacist", problems, required=True) if "pharmacist" in table else ""
    )
    if problems:
        return None
    return Pharmacy(name=name, address=tuple(address), phone=phone, pharmacist=pharmacist)


def _label_languages(value: Any, path: str, problems: list[Problem]) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not value:
        problems.append(Problem(path, f'must be a list of label languages, e.g. ["en", "es"] (got {value!r})'))
        return None
    try:
        return tuple(check_language(language, path) for language in value)
    except InputError as error:
        problems.append(Problem(path, f"must {error.rule} (got {error.value!r})"))
        return None


def _settings_changes(data: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """The settings the ``[settings]`` table changes, recording every problem."""
    if "settings" not in data:
        return {}
    table = data["settings"]
    if not isinstance(table, Mapping):
        problems.append(Problem("$.settings", f"must be a table (got {type(table).__name__})"))
        return {}
    known = ", ".join(_SETTINGS_KEYS)
    problems.extend(
        Problem(f"$.settings.{key}", f"is not a known key (known: {known})")
        for key in table
        if key not in _SETTINGS_KEYS
    )
    changes: dict[str, Any] = {}
    if "label_languages" in table:
        languages = _label_languages(table["label_languages"], "$.settings.label_languages", problems)
        if languages is not None:
            changes["label_languages"] = languages
    if "label_locale" in table:
        try:
            changes["label_locale"] = check_locale(table["label_locale"], "$.settings.label_locale")
        except InputError as error:
            problems.append(Problem("$.settings.label_locale", f"must {error.rule} (got {error.value!r})"))
    return changes


#: The keys of the ``[settings]`` table: the site settings a pharmacy sets in its file.
_SETTINGS_KEYS: Final = ("label_languages", "label_locale")


def _read(text: str, source: str) -> tuple[Pharmacy, dict[str, Any]]:
    """The pharmacy and the settings changes of a configuration file; every problem raised at once."""
    data = parse_toml(text, source, PharmacyConfigError)
    problems: list[Problem] = []
    pharmacy = _pharmacy(data, problems)
    changes = _settings_changes(data, problems)
    if pharmacy is None or problems:
        raise PharmacyConfigError(source, problems)
    return pharmacy, changes


def read_pharmacy_config(text: str, source: str = "<text>") -> Pharmacy:
    """The pharmacy described by TOML ``text``; raise :class:`PharmacyConfigError` listing every problem."""
    return _read(text, source)[0]


def read_settings_config(text: str, source: str = "<text>", base: Settings | None = None) -> Settings:
    """``base`` (default: the package defaults) with the changes of the file's ``[settings]`` table."""
    return attrs.evolve(base or default_settings(), **_read(text, source)[1])


def load_settings_config(path: str | Path, base: Settings | None = None) -> Settings:
    """Read a configuration file's ``[settings]``; raise :class:`PharmacyConfigError` if it is unreadable or invalid."""
    return read_settings_config(read_text(path, PharmacyConfigError), str(path), base)


def load_pharmacy_config(path: str | Path) -> Pharmacy:
    """Read a pharmacy configuration file; raise :class:`PharmacyConfigError` if it is unreadable or invalid."""
    return read_pharmacy_config(read_text(path, PharmacyConfigError), str(path))
