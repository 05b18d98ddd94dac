"""The pharmacy configuration file: a [pharmacy] table read into a Pharmacy, every problem named by its key."""

from __future__ import annotations

import pytest

from ldn_compound import LDNError, Pharmacy
from ldn_compound.config import (
    PharmacyConfigError,
    load_pharmacy_config,
    load_settings_config,
    read_pharmacy_config,
    read_settings_config,
)
from ldn_compound.settings import Settings


def test_a_full_config_reads_into_a_pharmacy(tmp_path):
    path = tmp_path / "pharmacy.toml"
    path.write_text(
        '[pharmacy]\nname = " Riverside Compounding Pharmacy "\naddress = ["12 Mill Street", "Springfield, IL 62701"]\n'
        'phone = "(217) 555-0142"\npharmacist = "Zoë Łukasiewicz-Núñez, PharmD"\n',
        encoding="utf-8",
    )
    assert load_pharmacy_config(path) == Pharmacy(
        name="Riverside Compounding Pharmacy",
        address=("12 Mill Street", "Springfield, IL 62701"),
        phone="(217) 555-0142",
        pharmacist="Zoë Łukasiewicz-Núñez, PharmD",
    )


def test_only_the_name_is_required():
    assert read_pharmacy_config("[pharmacy]\nname = 'X'\n") == Pharmacy(name="X")


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("name = 'X'\n", [("$.name", "is not a known key (known: pharmacy, settings)"), ("$.pharmacy", "is required")]),
        ("pharmacy = 'X'\n", [("$.pharmacy", "must be a table (got str)")]),
        ("[pharmacy]\n", [("$.pharmacy.name", "is required")]),
        ("[pharmacy]\nname = ''\n", [("$.pharmacy.name", "must be non-empty text (got '')")]),
        ("[pharmacy]\nname = 3\n", [("$.pharmacy.name", "must be non-empty text (got 3)")]),
        ('[pharmacy]\nname = "a\\nb"\n', [("$.pharmacy.name", "must be one line of text")]),
        ("[pharmacy]\nname = '" + "x" * 201 + "'\n", [("$.pharmacy.name", "must be at most 200 characters (got 201)")]),
        ("[pharmacy]\nname = 'X'\naddress = 'Mill St'\n", [("$.pharmacy.address", "must be a list of lines")]),
        ("[pharmacy]\nname = 'X'\naddress = 5\n", [("$.pharmacy.address", "must be a list of lines (got 5)")]),
        ("[pharmacy]\nname = 'X'\naddress = ['a', '']\n", [("$.pharmacy.address[1]", "must be non-empty text")]),
        (
            "[pharmacy]\nname = 'X'\naddress = ['a','b','c','d','e','f','g']\n",
            [("$.pharmacy.address", "must have at most 6 lines (got 7)")],
        ),
        ("[pharmacy]\nname = 'X'\nphone = ''\n", [("$.pharmacy.phone", "must be non-empty text")]),
        ("[pharmacy]\nname = 'X'\npharmacist = []\n", [("$.pharmacy.pharmacist", "must be non-empty text (got [])")]),
        (
            "[pharmacy]\nname = 'X'\nfax = '1'\n",
            [("$.pharmacy.fax", "is not a known key (known: name, address, phone, pharmacist)")],
        ),
        ("[pharmacy\n", [("$", "is not valid TOML")]),
    ],
)
def test_every_problem_is_reported_with_its_key(text, problems):
    with pytest.raises(PharmacyConfigError) as caught:
        read_pharmacy_config(text, "pharmacy.toml")
    error = caught.value
    assert isinstance(error, LDNError)
    assert isinstance(error, ValueError)
    assert error.source == "pharmacy.toml"
    assert [p.path for p in error.problems] == [path for path, _ in problems]
    for problem, (_, message) in zip(error.problems, problems, strict=True):
        assert problem.message.startswith(message)
    assert str(error).startswith(f"pharmacy config pharmacy.toml has {len(problems)} problem")


def test_all_problems_are_reported_at_once():
    with pytest.raises(PharmacyConfigError) as caught:
        read_pharmacy_config("[pharmacy]\nname = ''\naddress = [1]\nphone = 2\n")
    assert [p.path for p in caught.value.problems] == ["$.pharmacy.name", "$.pharmacy.address[0]", "$.pharmacy.phone"]


def test_an_unreadable_or_non_utf8_file_is_a_config_error(tmp_path):
    with pytest.raises(PharmacyConfigError, match=r"\$: cannot be read: No such file or directory"):
        load_pharmacy_config(tmp_path / "missing.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes("[pharmacy]\nname = 'Zoë'\n".encode("latin-1"))
    with pytest.raises(PharmacyConfigError, match=r"\$: must be UTF-8 text"):
        load_pharmacy_config(latin)


# --------------------------------------------------------------------------- the settings table

PHARMACY = '[pharmacy]\nname = "Riverside"\n'


def test_the_settings_table_sets_the_label_languages_and_locale(tmp_path):
    path = tmp_path / "pharmacy.toml"
    path.write_text(PHARMACY + '[settings]\nlabel_languages = ["en", "es"]\nlabel_locale = "es-MX"\n', encoding="utf-8")
    settings = load_settings_config(path)
    assert (settings.label_languages, settings.label_locale) == (("en", "es"), "es_MX")
    assert load_pharmacy_config(path) == Pharmacy(name="Riverside")
    base = Settings(compounding_day_is_day_zero=False)
    assert load_settings_config(path, base).compounding_day_is_day_zero is False


def test_without_a_settings_table_the_settings_are_the_defaults():
    assert read_settings_config(PHARMACY) == Settings()


@pytest.mark.parametrize(
    ("table", "problems"),
    [
        ("[settings]\nlabel_languages = 'es'\n", [("$.settings.label_languages", "must be a list of label languages")]),
        ("[settings]\nlabel_languages = []\n", [("$.settings.label_languages", "must be a list of label languages")]),
        (
            "[settings]\nlabel_languages = ['en', 'fr']\n",
            [("$.settings.label_languages", "must be a label language: en (English), es (Spanish) (got 'fr')")],
        ),
        ("[settings]\nlabel_locale = 'en_GB'\n", [("$.settings.label_locale", "must be a locale of a label language")]),
        ("[settings]\nlabel_locale = 'es_QQ'\n", [("$.settings.label_locale", "must be a locale CLDR knows")]),
        (
            "[settings]\nbud_rules = 'legacy'\n",
            [("$.settings.bud_rules", "is not a known key (known: label_languages")],
        ),
        ("settings = 3\n", [("$.settings", "must be a table (got int)")]),
    ],
)
def test_settings_problems_are_reported_with_their_keys(table, problems):
    text = table + PHARMACY if table.startswith("settings =") else PHARMACY + table
    for read in (read_pharmacy_config, read_settings_config):
        with pytest.raises(PharmacyConfigError) as info:
            read(text, "pharmacy.toml")
        assert [
            (p.path, p.message[: len(m)]) for p, (_, m) in zip(info.value.problems, problems, strict=True)
        ] == problems
