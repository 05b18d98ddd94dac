"""Formula files: the built-in ones load; each malformed file fails with its own message and key path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ldn_compound import (
    FormulaFileError,
    FormulaNotFoundError,
    calculate_batch,
    load_formula,
    load_formula_file,
    load_formulas,
)
from ldn_compound.loader import builtin_ids, parse_formula
from ldn_compound.settings import Settings

HERE = Path(__file__).parent
BAD = sorted((HERE / "formulas").glob("bad.*.toml"))
BUILTIN = Path(__file__).parents[1] / "formulas"


def expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: ")
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_each_malformed_file_fails_with_its_own_message(path):
    with pytest.raises(FormulaFileError) as info:
        load_formula_file(path)
    assert expected(path) in str(info.value)
    assert info.value.source == str(path)
    assert isinstance(info.value, ValueError)


def test_the_bad_fixtures_each_test_a_different_message():
    messages = [expected(path) for path in BAD]
    assert len(set(messages)) == len(messages)
    assert len(BAD) >= 20


def test_every_problem_is_reported_at_once():
    data = {
        "format": "ldn-compound/formula/1",
        "id": "Bad Id",
        "name": "",
        "version": 1,
        "dosage_form": "capsules",
        "preparation_class": "dry",
        "storage": "x",
        "container": "y",
        "strength": {"default": "4.5 mL", "minimum": "0.1 mg", "maximum": "10 mg"},
        "components": [
            {"id": "a", "name": "A", "role": "active"},
            {"id": "b", "name": "B", "role": "filler", "amount": "lots"},
        ],
        "capsule": {"size": "1", "filler": "b", "packing": {"1": "230 mg"}},
    }
    with pytest.raises(FormulaFileError) as info:
        parse_formula(data, "inline")
    paths = [problem.path for problem in info.value.problems]
    assert paths == [
        "$.id",
        "$.name",
        "$.version",
        "$.preparation_class",
        "$.strength.default",
        "$.components[1].amount",
    ]
    assert str(info.value).startswith("formula file inline has 6 problems:\n  $.id: must be lower-case")


def test_unreadable_and_missing_files(tmp_path):
    with pytest.raises(FormulaFileError, match="cannot be read"):
        load_formula_file(tmp_path / "missing.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(FormulaFileError, match="must be UTF-8 text"):
        load_formula_file(binary)


def test_builtin_ids():
    assert builtin_ids() == ("ldn-capsules", "ldn-oral-liquid", "ldn-sublingual-drops", "ldn-topical-cream")


def test_built_in_formula_files_are_the_shipped_ones():
    assert sorted(p.stem for p in BUILTIN.glob("*.toml")) == list(builtin_ids())


def test_each_built_in_file_opens_with_its_sources():
    for path in BUILTIN.glob("*.toml"):
        head = path.read_text(encoding="utf-8").splitlines()[:3]
        assert head[0].startswith(f"# {path.stem}:")
        assert all(line.startswith("#") for line in head)


def test_a_pharmacy_directory_adds_and_replaces_formulas(tmp_path):
    text = (BUILTIN / "ldn-capsules.toml").read_text(encoding="utf-8")
    (tmp_path / "own.toml").write_text(text.replace('id = "ldn-capsules"', 'id = "site-capsules"'), encoding="utf-8")
    (tmp_path / "replace.toml").write_text(text.replace('version = "1.0"', 'version = "2.0-site"'), encoding="utf-8")
    formulas = load_formulas(tmp_path)
    assert list(formulas) == [
        "ldn-capsules",
        "ldn-oral-liquid",
        "ldn-sublingual-drops",
        "ldn-topical-cream",
        "site-capsules",
    ]
    assert formulas["ldn-capsules"].version == "2.0-site"
    assert load_formula("site-capsules", dirs=[tmp_path]).id == "site-capsules"
    assert load_formula(tmp_path / "own.toml").id == "site-capsules"
    assert load_formula(str(tmp_path / "own.toml")).id == "site-capsules"


def test_duplicate_ids_in_one_directory_are_an_error(tmp_path):
    for name in ("a.toml", "b.toml"):
        shutil.copy(BUILTIN / "ldn-capsules.toml", tmp_path / name)
    with pytest.raises(FormulaFileError, match="must be unique"):
        load_formulas(tmp_path)


def test_a_directory_that_is_not_one(tmp_path):
    with pytest.raises(FormulaFileError, match="must be a directory"):
        load_formulas(tmp_path / "nope")


def test_unknown_id():
    with pytest.raises(FormulaNotFoundError) as info:
        load_formula("ldn-lozenges")
    assert info.value.known == builtin_ids()
    assert str(info.value) == (
        "formula must be a known id or a file path (got 'ldn-lozenges'); known ids: "
        "ldn-capsules, ldn-oral-liquid, ldn-sublingual-drops, ldn-topical-cream"
    )


# --------------------------------------------------------------------------- translations of label statements

SPANISH = Settings(label_languages=("en", "es"))


def capsules_with(tmp_path: Path, statement: str, translations: str = "") -> Path:
    text = (BUILTIN / "ldn-capsules.toml").read_text(encoding="utf-8")
    text = text.replace('"Protect from light",\n]', f'"Protect from light",\n    "{statement}",\n]')
    path = tmp_path / "site-caps.toml"
    path.write_text(text + translations, encoding="utf-8")
    return path


def test_a_formula_carries_translations_of_its_own_statements(tmp_path):
    path = capsules_with(tmp_path, "Keep dry", '\n[translations.es]\n"Keep dry" = " Manténgase seco "\n')
    assert load_formula_file(path, settings=SPANISH).translations == {"es": {"Keep dry": "Manténgase seco"}}


def test_a_missing_translation_is_an_error_at_load_time_only_when_spanish_is_a_label_language(tmp_path):
    path = capsules_with(tmp_path, "Keep dry")
    assert load_formula_file(path).auxiliary_labels[-1] == "Keep dry"  # English only: loads
    with pytest.raises(FormulaFileError) as info:
        load_formula_file(path, settings=SPANISH)
    assert [(p.path, p.message) for p in info.value.problems] == [
        (
            "$.auxiliary_labels[3]",
            (
                "must have a Spanish translation (es is a label language in the settings): "
                "add 'Keep dry' = \"...\" to [translations.es]"
            ),
        )
    ]
    # the same check by every way in: an id from a pharmacy directory, a directory, a batch
    for load in (
        lambda: load_formula("ldn-capsules", dirs=[tmp_path], settings=SPANISH),
        lambda: load_formulas(tmp_path, settings=SPANISH),
        lambda: calculate_batch(path, quantity=30, settings=SPANISH),
    ):
        with pytest.raises(FormulaFileError, match=r"auxiliary_labels\[3\]: must have a Spanish translation"):
            load()
    assert load_formula("ldn-capsules", dirs=[tmp_path]).auxiliary_labels[-1] == "Keep dry"


def test_storage_statements_need_translations_too(tmp_path):
    text = (BUILTIN / "ldn-capsules.toml").read_text(encoding="utf-8")
    text = text.replace(
        'storage = "Store at room temperature (20-25 °C), protected from light"', 'storage = "Keep cool"'
    )
    path = tmp_path / "site-caps.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormulaFileError, match=r"\$\.stability\[0\]\.storage: must have a Spanish translation"):
        load_formula_file(path, settings=SPANISH)


def test_every_built_in_formula_has_every_spanish_translation():
    assert all(load_formula(formula_id, settings=SPANISH) for formula_id in builtin_ids())
    assert len(load_formulas(settings=SPANISH)) == len(builtin_ids())


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[translations.fr]\n"Keep dry" = "Garder au sec"\n', "$.translations.fr: must be a label language other"),
        ('[translations.en]\n"Keep dry" = "Keep dry"\n', "$.translations.en: must be a label language other"),
        ('[translations.es]\n"Keep wet" = "Mantener húmedo"\n', "$.translations.es['Keep wet']: must be the storage"),
        ('[translations.es]\n"Keep dry" = ""\n', "$.translations.es['Keep dry']: must be one line of non-empty text"),
        ('[translations.es]\n"Keep dry" = "a\\nb"\n', "$.translations.es['Keep dry']: must be one line"),
        ('[translations.es]\n"Keep dry" = 3\n', "$.translations.es['Keep dry']: must be one line"),
        ("[translations]\nes = 3\n", "$.translations.es: must be a table"),
        ('translations = "es"\n', "$.translations: must be a table"),
    ],
)
def test_malformed_translations(tmp_path, table, message):
    path = capsules_with(tmp_path, "Keep dry", "\n" + table)
    if table.startswith("translations ="):  # a top-level key must come before the first table
        path.write_text(table + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(FormulaFileError) as info:
        load_formula_file(path)
    assert message in str(info.value)
