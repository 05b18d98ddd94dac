"""Label languages: the catalogs are complete and current, and numbers and dates follow the locale."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ldn_compound import InputError
from ldn_compound.i18n import (
    LANGUAGES,
    LabelWords,
    catalog,
    check_language,
    check_locale,
    extract_formula,
    label_words,
    locale_data,
)
from ldn_compound.settings import Settings
from ldn_compound.units import COUNT_CAPSULE, MASS, VOLUME, parse_quantity

ROOT = Path(__file__).parents[1]
LOCALE = ROOT / "ldn_compound" / "locale"
TRANSLATED = [code for code in LANGUAGES if code != "en"]


def po(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "ldn_compound.po").open("rb") as file:
        return read_po(file, locale=language)


def extracted() -> set[str]:
    """Every message the sources mark, extracted as ``pybabel extract -F babel.cfg`` does."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    return {message for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map)}


@pytest.fixture(scope="module")
def sources() -> set[str]:
    return extracted()


def test_the_template_lists_exactly_the_messages_the_sources_mark(sources):
    with (LOCALE / "ldn_compound.pot").open("rb") as file:
        template = {m.id for m in read_po(file) if m.id}
    assert template == sources, "regenerate the .pot: pybabel extract -F babel.cfg (see babel.cfg)"
    # the phrases the label code prints and the built-in formulas' statements are all there
    assert {"Discard after {date}", "Do not take with opioid pain medicines", "Protect from light"} <= sources


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy_or_obsolete(language, sources):
    messages = [m for m in po(language) if m.id]
    assert {m.id for m in messages} == sources, "pybabel update the .po from the .pot"
    assert [m.id for m in messages if not m.string] == []
    assert [m.id for m in messages if m.fuzzy] == []
    assert not po(language).fuzzy
    assert not po(language).obsolete


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language):
    for message in po(language):
        if message.id:
            assert sorted(re.findall(r"\{\w+\}", message.string)) == sorted(re.findall(r"\{\w+\}", message.id)), (
                message.id
            )


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_shipped_mo_is_compiled_from_the_po(language):
    compiled = io.BytesIO()
    write_mo(compiled, po(language))
    shipped = (LOCALE / language / "LC_MESSAGES" / "ldn_compound.mo").read_bytes()
    assert shipped == compiled.getvalue(), "recompile: pybabel compile -D ldn_compound -d ldn_compound/locale"


def test_the_runtime_catalog_is_the_shipped_one():
    assert catalog("es").gettext("Discard after {date}") == "Deseche después del {date}"
    assert catalog("en").gettext("Discard after {date}") == "Discard after {date}"


def test_formula_files_give_their_label_statements_to_the_catalog():
    text = b"""storage = "Keep cold"
auxiliary_labels = ["Shake", " ", "Protect from light"]
procedure = ["Not a label statement"]
[[stability]]
storage = "Keep very cold"
"""
    found = list(extract_formula(io.BytesIO(text), (), (), {}))
    assert [(line, message) for line, _, message, _ in found] == [
        (1, "Keep cold"),
        (5, "Keep very cold"),
        (2, "Shake"),
        (2, "Protect from light"),
    ]
    assert found[1][3] == ["formula file $.stability[0].storage"]


# --------------------------------------------------------------------------- numbers, amounts, dates


def test_english_words_print_as_the_labels_always_have():
    words = label_words("en")
    assert words.amount(parse_quantity("4.5 mg", "dose", MASS)) == "4.5 mg"
    assert words.amount(parse_quantity("1 capsule", "q", COUNT_CAPSULE)) == "1 capsule"
    assert words.date(dt.date(2027, 5, 31)) == "2027-05-31"
    assert words.translate("Anything at all") == "Anything at all"


@pytest.mark.parametrize(
    ("locale", "dose", "date"),
    [
        ("es_US", "4.5 mg", "31 may 2027"),  # US Spanish keeps the decimal point
        ("es_MX", "4.5 mg", "31 may 2027"),
        ("es_ES", "4,5 mg", "31 may 2027"),  # Spain writes a decimal comma
    ],
)
def test_spanish_numbers_and_dates_follow_the_locale(locale, dose, date):
    words = label_words("es", locale)
    assert words.amount(parse_quantity("4.5 mg", "dose", MASS)) == dose
    assert words.date(dt.date(2027, 5, 31)) == date.replace(" ", "\N{NO-BREAK SPACE}")  # never split across lines


def test_spanish_months_are_words_never_a_day_month_order_to_guess():
    words = label_words("es", "es_US")
    assert [words.date(dt.date(2027, month, 3)).replace("\N{NO-BREAK SPACE}", " ") for month in (1, 3, 9, 12)] == [
        "3 ene 2027",
        "3 mar 2027",
        "3 sep 2027",
        "3 dic 2027",
    ]
    assert label_words("es", "es_ES").date(dt.date(2027, 9, 3)) == "3\N{NO-BREAK SPACE}sept\N{NO-BREAK SPACE}2027"


def test_spanish_counts_take_spanish_words_in_the_singular_and_plural():
    words = label_words("es")
    assert words.amount(parse_quantity("30 capsules", "q", COUNT_CAPSULE)) == "30 cápsulas"
    assert words.amount(parse_quantity("1 capsule", "q", COUNT_CAPSULE)) == "1 cápsula"
    assert words.amount(parse_quantity("0.25 mL", "v", VOLUME)) == "0.25 mL"


def test_a_formulas_own_translation_comes_before_the_catalog():
    words = label_words("es").for_formula({"es": {"Protect from light": "Guárdese de la luz"}})
    assert words.translate("Protect from light") == "Guárdese de la luz"
    assert words.translate("Refrigerate") == "Conserve en el refrigerador"
    with pytest.raises(InputError, match=r"^storage must have a Spanish translation") as error:
        words.translate("Keep in the garage", "storage")
    assert error.value.code == "missing-translation"


def test_unknown_languages_and_locales_are_refused_with_codes():
    assert check_language(" ES ") == "es"
    with pytest.raises(InputError, match=r"^language must be a label language: en \(English\), es \(Spanish\)") as e:
        check_language("fr")
    assert e.value.code == "unsupported-language"
    assert check_locale("es-mx") == "es_MX"
    assert check_locale("es") == "es"
    for bad in ("en_US", "fr_FR", "spanish", "", 7):
        with pytest.raises(InputError) as e:
            check_locale(bad)
        assert e.value.code == "unsupported-locale"
    for unknown in ("es_QQ", "es_GB"):
        with pytest.raises(InputError, match=r"^label_locale must be a locale CLDR knows: es, es_419, ") as e:
            check_locale(unknown)
        assert e.value.code == "unknown-locale"


def test_settings_hold_the_label_languages_and_locale():
    assert Settings().label_languages == ("en",)
    assert Settings().label_locale == "es_US"
    settings = Settings(label_languages=["en", "ES", "es"], label_locale="es-es")
    assert settings.label_languages == ("en", "es")
    assert settings.label_locale == "es_ES"
    for bad in ("es", [], ["xx"]):
        with pytest.raises(InputError, match=r"^label_languages must"):
            Settings(label_languages=bad)
    with pytest.raises(InputError, match=r"^label_locale must"):
        Settings(label_locale="en_GB")


def test_label_words_are_plain_values():
    assert LabelWords() == label_words("en")
    assert label_words("es") is label_words("es", "es_US")  # built once per locale


def test_labels_in_every_language_work_without_babel_installed():
    # Babel is a build and test tool: an installation without it prints English and Spanish labels
    code = """
import importlib.abc, io, sys
class NoBabel(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "babel" or name.startswith("babel."):
            raise ImportError(name)
sys.meta_path.insert(0, NoBabel())
import ldn_compound as l
from ldn_compound.render import labels
from ldn_compound.settings import Settings
settings = Settings(label_languages=("en", "es"), label_locale="es_ES")
b = l.calculate_batch("ldn-capsules", quantity=30, date="2026-03-01", settings=settings)
sig = l.parse_sig("1 cap po qhs")
rx = l.Prescription(number="1", patient="P", prescriber="D", directions=sig.text(), sig=sig)
for language in ("en", "es"):
    labels.render_labels(b, io.BytesIO(), prescriptions=[rx], pharmacy=l.Pharmacy(name="X"), language=language,
                         settings=settings)
print(sorted(m for m in sys.modules if m.split(".")[0] == "babel"))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_the_locale_data_is_current_with_cldr():
    from babel.core import get_cldr_version

    from ldn_compound._cldr import cldr_locale_data

    shipped = (LOCALE / "locales.toml").read_text(encoding="utf-8")
    version = re.search(r"CLDR, version (\S+),", shipped)[1]
    if version != get_cldr_version():  # pragma: no cover - another Babel than the one that wrote the file
        pytest.skip(f"the file was written from CLDR {version}; this Babel has CLDR {get_cldr_version()}")
    assert shipped == cldr_locale_data(), "regenerate: python -m ldn_compound._cldr"
    assert set(locale_data()) >= {"es", "es_US", "es_MX", "es_ES", "es_419"}
    assert locale_data()["es_US"]["decimal"] == "."
    assert locale_data()["es_ES"]["decimal"] == ","
