"""Formula files: the built-in ones load; each malformed file fails with its own message and key path."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from ldn_compound import FormulaFileError, FormulaNotFoundError, load_formula, load_formula_file, load_formulas
from ldn_compound.loader import builtin_ids, parse_formula
from ldn_compound.units import format_amount

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


def test_a_capsule_formula_may_give_its_own_shell_weights():
    source = (BUILTIN / "ldn-capsules.toml").read_text(encoding="utf-8")
    data = tomllib.loads(source)
    data["capsule"]["shell_weight"] = {"1": "60 mg"}
    formula = parse_formula(data, "inline")
    assert {size: format_amount(q) for size, q in formula.capsule.shell_weight.items()} == {"1": "60 mg"}
    data["capsule"]["shell_weight"] = {"7": "60 mg"}
    with pytest.raises(FormulaFileError, match=r"\$\.capsule\.shell_weight\.7: must be a capsule size"):
        parse_formula(data, "inline")
