"""The formula file reference in docs/ lists exactly the keys the loader accepts, and its example loads."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from ldn_compound import FormulaFileError, calculate_batch
from ldn_compound.loader import _TOP_KEYS, load_formula_file, parse_formula
from ldn_compound.settings import Settings

ROOT = Path(__file__).parents[1]
DOC = (ROOT / "docs" / "formulas.md").read_text(encoding="utf-8")

LOADER_KEYS = {
    "$": set(_TOP_KEYS),
    "$.strength": {"default", "minimum", "maximum", "basis"},
    "$.components[]": {"id", "name", "role", "amount", "grade", "salt_form", "notes"},
    "$.capsule": {"size", "filler", "packing", "bulk_density", "displacement_factor"},
    "$.drops": {"drops_per_ml", "dropper"},
    "$.topical": {"click_volume", "density", "dispenser", "aqueous_phase"},
    "$.stability[]": {"id", "days", "storage", "citation"},
    "$.quality_checks[]": {"name", "specification"},
    "$.references[]": {"citation", "supports"},
    "$.translations": {"es"},
}


def documented_keys() -> dict[str, set[str]]:
    tables: dict[str, set[str]] = {}
    for match in re.finditer(r"<!-- keys: (\S+) -->\n((?:\|.*\n)+)", DOC):
        rows = match[2].splitlines()[2:]
        tables[match[1]] = {re.match(r"\| `([^`]+)`", row)[1] for row in rows}
    return tables


def test_every_documented_table_matches_the_loader():
    assert documented_keys() == LOADER_KEYS


def test_unknown_keys_are_rejected_so_the_lists_above_are_complete():
    base = tomllib.loads((ROOT / "formulas" / "ldn-capsules.toml").read_text(encoding="utf-8"))
    base["not_a_key"] = 1
    with pytest.raises(Exception, match=r"\$\.not_a_key: is not a known key"):
        parse_formula(base)


def test_the_worked_example_loads_and_calculates(tmp_path):
    example = re.search(r"```toml\n(.*?)```", DOC, re.DOTALL)[1]
    path = tmp_path / "site-ldn-liquid.toml"
    path.write_text(example, encoding="utf-8")
    result = calculate_batch(path, quantity="120 mL", date="2026-03-01")
    assert [(i.id, i.describe_amount()) for i in result.ingredients] == [
        ("naltrexone-hcl", "120 mg"),
        ("purified-water", "q.s. to 120 mL"),
    ]
    assert result.beyond_use.days == 14


def test_the_worked_example_has_every_spanish_translation(tmp_path):
    example = re.search(r"```toml\n(.*?)```", DOC, re.DOTALL)[1]
    path = tmp_path / "site-ldn-liquid.toml"
    path.write_text(example, encoding="utf-8")
    formula = load_formula_file(path, settings=Settings(label_languages=("en", "es")))
    assert formula.translations["es"] == {
        "Keep out of the reach of children": "Mantenga fuera del alcance de los niños"
    }
    path.write_text(example.partition("[translations.es]")[0], encoding="utf-8")
    assert load_formula_file(path).translations == {}  # English only: nothing to translate
    with pytest.raises(FormulaFileError, match=r"\$\.auxiliary_labels\[2\]: must have a Spanish translation"):
        load_formula_file(path, settings=Settings(label_languages=("en", "es")))


def test_formulas_readme_is_the_reference():
    assert (ROOT / "formulas" / "README.md").read_text(encoding="utf-8") == DOC
