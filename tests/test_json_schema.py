"""The integrators' contract: real JSON output validated against the shipped JSON Schema files.

The schema files in ``ldn_compound/schemas/`` are published open (a consumer of version 1 keeps
working when an optional key is added). The tests validate against a *strict* copy, in which
every object with listed properties admits no other keys, so any change to the output that the
schemas do not describe fails here first.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st
from referencing import Registry, Resource

import ldn_compound
from ldn_compound import calculate_batch, load_formulas, parse_quantity
from ldn_compound.jsonio import BATCH_SCHEMA, FORMULA_SCHEMA, FORMULAS_SCHEMA, formula_to_dict
from ldn_compound.units import CONCENTRATION, COUNT_CAPSULE, MASS, MASS_FRACTION, VOLUME
from tests import strategies

DAY = "2026-03-01"
NAMES = ("batch", "formula", "formulas", "lot", "lots", "recall")
QUANTITIES = {
    "ldn-capsules": "100",
    "ldn-oral-liquid": "120 mL",
    "ldn-sublingual-drops": "30 mL",
    "ldn-topical-cream": "30 g",
}


def schema(name: str) -> dict[str, Any]:
    """A shipped schema file, read from the installed package."""
    text = resources.files("ldn_compound").joinpath(f"schemas/{name}.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def strict(node: Any) -> Any:
    """A copy of a schema in which every object with listed properties admits no other keys."""
    if isinstance(node, dict):
        copy = {key: value if key == "contains" else strict(value) for key, value in node.items()}
        if "properties" in copy and "additionalProperties" not in copy:
            copy["additionalProperties"] = False
        return copy
    if isinstance(node, list):
        return [strict(item) for item in node]
    return node


@functools.cache
def validator(name: str, *, exact: bool = True) -> jsonschema.Draft202012Validator:
    """A validator for one schema; the others are registered so ``$ref`` between files resolves."""
    shape = strict if exact else (lambda node: node)
    registry: Registry[Any] = Registry().with_resources(
        (schema(n)["$id"], Resource.from_contents(shape(schema(n)))) for n in NAMES
    )
    return jsonschema.Draft202012Validator(
        shape(schema(name)), registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def validate(name: str, document: Any) -> None:
    """Raise with every problem if ``document`` does not follow the strict schema."""
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def run(*args: str, cwd: Path) -> Any:
    """Run the installed command and parse its JSON output."""
    result = subprocess.run(
        [sys.executable, "-m", "ldn_compound", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@functools.cache
def plain_pint() -> pint.UnitRegistry[Any]:
    """pint's own default registry: what an integrator who never heard of ldn_compound would use."""
    return pint.UnitRegistry()


# ---------------------------------------------------------------- the schema files themselves


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_file_is_valid_draft_2020_12(name):
    document = schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)
    version = {"batch": 2}.get(name, 1)
    assert document["$id"] == f"urn:ldn-compound:schema:{name}:{version}"


def test_the_schema_constants_name_the_documents():
    for name in ("lot", "lots", "recall"):
        assert schema(name)["properties"]["schema"]["const"] == f"ldn-compound/{name}/1"
    assert schema("batch")["properties"]["schema"]["const"] == BATCH_SCHEMA == "ldn-compound/batch/2"
    assert schema("formula")["properties"]["schema"]["const"] == FORMULA_SCHEMA == "ldn-compound/formula/1"
    assert schema("formulas")["properties"]["schema"]["const"] == FORMULAS_SCHEMA == "ldn-compound/formulas/1"


def test_the_contract_of_the_issue_is_required_by_the_batch_schema():
    batch = schema("batch")
    assert {
        "schema", "formula", "strength", "quantity", "ingredients", "beyond_use_date", "warnings", "aliquot", "trace",
    } <= set(batch["required"])  # fmt: skip
    assert {"id", "version", "dosage_form"} <= set(batch["properties"]["formula"]["required"])
    assert {"id", "name", "role", "amount"} <= set(batch["$defs"]["ingredient"]["required"])
    assert {"weigh", "dilute_to", "take"} <= set(batch["$defs"]["aliquot"]["required"])
    assert set(batch["properties"]["warnings"]["items"]["required"]) == {"code", "message"}


# ---------------------------------------------------------------- real output, from the installed command


@pytest.mark.parametrize("formula", sorted(QUANTITIES))
def test_batch_json_of_every_builtin_formula_follows_the_schema(tmp_path, formula):
    data = run("batch", formula, "--quantity", QUANTITIES[formula], "--date", DAY, "--json", cwd=tmp_path)
    validate("batch", data)
    assert data["formula"]["id"] == formula
    assert [line["role"] for line in data["ingredients"]].count("active") == 1


def test_the_registers_documents_follow_their_schemas_from_the_command_line_and_the_api(tmp_path):
    from ldn_compound import service
    from ldn_compound.web import WebConfig, create_app
    from tests.test_web_register import TestClient

    register = str(tmp_path / "register.sqlite3")
    service.add_user("tina", "technician", "1111", register=register)
    service.add_user("paul", "pharmacist", "2222", register=register)
    pharmacy = str(Path(__file__).resolve().parent.parent / "docs" / "examples" / "pharmacy.toml")
    outcome = service.run_batch(
        service.BatchRequest(
            formula="ldn-capsules", quantity="30", strength="1.5 mg", date=DAY, record=True, labels=True,
            lots=("naltrexone-hcl=QX7781:2027-06-30", "mcc=MC881"), rx="104233", patient="Ann Lee",
            prescriber="Dr. Amelia Hart", directions="Take 1 capsule by mouth at bedtime", titration=None,
            pharmacy_config=pharmacy, register=register,
        )
    )  # fmt: skip
    lot = outcome.result.lot_number
    amounts = [f"{line['id']}={line['amount']}" for line in outcome.result.to_dict()["ingredients"]]
    service.weigh(lot, amounts, user="tina", pin="1111", register=register)
    service.lot_action(lot, "compound", user="tina", pin="1111", register=register)

    shown = run("lots", "show", lot, "--json", "--register", register, cwd=tmp_path)
    validate("lot", shown)
    assert (shown["status"], [s["meaning"] for s in shown["signatures"]]) == ("compounded", ["compounded"])
    assert len(shown["weights"]) == len(amounts) and shown["prescription"]["patient"] == "Ann Lee"
    listing = run("lots", "list", "--json", "--register", register, cwd=tmp_path)
    validate("lots", listing)
    recall = run("lots", "recall", "QX7781", "--json", "--register", register, cwd=tmp_path)
    validate("recall", recall)
    assert [(b["lot_number"], b["component"]) for b in recall["batches"]] == [(lot, "naltrexone-hcl")]

    titrated = service.run_batch(  # a liquid with an open-ended last titration step ("then 4.5 mg": days null)
        service.BatchRequest(
            formula="ldn-oral-liquid", quantity="120 mL", strength="1 mg/mL", date=DAY, labels=True, rx="777",
            patient="Ann Lee", prescriber="Dr Y", directions="Take by mouth at bedtime following the dosing schedule",
            titration="1.5 mg for 14 days, 3 mg for 14 days, then 4.5 mg", pharmacy_config=pharmacy, register=register,
        )
    )  # fmt: skip
    liquid = run("lots", "show", titrated.result.lot_number, "--json", "--register", register, cwd=tmp_path)
    validate("lot", liquid)
    assert liquid["prescription"]["titration"][-1] == {"dose": "4.5 mg", "days": None}
    listing = run("lots", "list", "--json", "--register", register, cwd=tmp_path)
    validate("lots", listing)
    assert [x["lot_number"] for x in listing["lots"]] == [titrated.result.lot_number, lot]

    with TestClient(create_app(WebConfig(register=register))) as client:  # the API answers the same documents
        assert client.get(f"/api/v1/lots/{lot}").json() == shown
        assert client.get("/api/v1/lots").json() == listing
        assert client.get("/api/v1/recall/QX7781").json() == recall


def test_formulas_and_show_json_follow_their_schemas(tmp_path):
    listing = run("formulas", "--json", cwd=tmp_path)
    validate("formulas", listing)
    assert [f["id"] for f in listing["formulas"]] == sorted(QUANTITIES)
    shown = run("show", "ldn-sublingual-drops", "--strength", "5 mg/mL", "--json", cwd=tmp_path)
    validate("formula", shown)
    assert shown["reference_batch"]["strength"]["text"] == "5 mg/mL naltrexone HCl"
    assert shown["reference_batch"]["ingredients"][0]["amount"] == "150 mg"  # 5 mg/mL × 30 mL


# ---------------------------------------------------------------- many batches, in-process

VARIANTS = [
    pytest.param("ldn-capsules", {"quantity": 30, "strength": "1.5 mg"}, id="capsules-trituration"),
    pytest.param("ldn-capsules", {"quantity": 100, "potency": 97.71, "overage": 3}, id="capsules-potency-overage"),
    pytest.param("ldn-capsules", {"quantity": 100, "assay": 99.2, "assay_basis": "anhydrous", "water": 1.5, "residual_solvent": 0.2}, id="assay"),
    pytest.param("ldn-capsules", {"quantity": 100, "tablet_weight": "180 mg"}, id="capsules-from-tablets"),
    pytest.param("ldn-capsules", {"quantity": 100, "strength": "4 mg", "strength_basis": "base"}, id="base-basis"),
    pytest.param(
        "ldn-capsules",
        {"quantity": 100, "lots": ["naltrexone-hcl=NX2291:2026-05-01", "mcc=MC881"], "lot_number": "LDN-1"},
        id="lots",
    ),
    pytest.param("ldn-capsules", {"quantity": 100, "stability": "ijpc-2018-avicel"}, id="stability-evidence"),
    pytest.param(
        "ldn-capsules",
        {"quantity": 100, "other_medicines": ["tramadol"], "co_medication_reason": "stopped 2 weeks ago"},
        id="override",
    ),
    pytest.param(
        "ldn-capsules",
        {
            "quantity": 100,
            "other_medicines": ["Percocet 5/325 mg", "oxycodon", "Imodium", "rxcui:6809", "atc:R05DA09"],
            "co_medication_reason": "palliative care plan",
            "unclear_medicine_reason": "patient's spelling of oxybutynin",
        },
        id="screening",
    ),
    pytest.param("ldn-capsules", {"quantity": 100, "balance_readability": "1 mg", "balance_repeatability": "0.6 mg"}, id="balance"),
    pytest.param("ldn-oral-liquid", {"quantity": "30 mL", "strength": "0.1 mg/mL"}, id="liquid-solution-aliquot"),
    pytest.param("ldn-oral-liquid", {"quantity": "120 mL", "tablet_weight": "180 mg"}, id="liquid-from-tablets"),
    pytest.param("ldn-sublingual-drops", {"quantity": "30 mL", "dose": "12 mg", "high_dose_reason": "trial"}, id="drops-high-dose"),
    pytest.param("ldn-topical-cream", {"quantity": "30 g", "strength": "0.5 mg/g"}, id="cream-trituration"),
    pytest.param("ldn-topical-cream", {"quantity": "500 g", "strength": "10 mg/g"}, id="cream-large"),
    pytest.param("ldn-capsules", {"quantity": 90, "directions": "Take 3 capsules by mouth at bedtime", "high_dose_reason": "protocol"}, id="directions-high-dose"),
    pytest.param("ldn-sublingual-drops", {"quantity": "30 mL", "directions": "3 gtt sl qhs", "dispense": "5 mL"}, id="directions-sig-dispensed"),
    pytest.param("ldn-oral-liquid", {"quantity": "120 mL", "directions": "po qhs", "titration": "1.5 mg:7, 3 mg:7, 4.5 mg"}, id="directions-titration"),
    pytest.param("ldn-topical-cream", {"quantity": "30 g", "directions": "Apply 1 click to the inner wrist once daily", "dose": "0.25 mg"}, id="directions-site"),
    pytest.param("ldn-capsules", {"quantity": 30, "directions": "1 cap po prn"}, id="directions-as-needed"),
    pytest.param("ldn-capsules", {"quantity": 30, "directions": "Take it at night", "dose": "4.5 mg", "directions_unchecked": "as written"}, id="directions-unchecked"),
]  # fmt: skip


@pytest.mark.parametrize(("formula", "options"), VARIANTS)
def test_every_kind_of_batch_follows_the_schema(formula, options):
    data = calculate_batch(formula, date=DAY, **options).to_dict()
    validate("batch", data)


@pytest.mark.parametrize(("formula", "options"), VARIANTS)
def test_amounts_are_strings_that_pint_reads_back(formula, options):
    data = calculate_batch(formula, date=DAY, **options).to_dict()
    ureg = plain_pint()
    for line in data["ingredients"]:
        for key in ("amount", "theoretical", "overage"):
            quantity = ureg.Quantity(line[key])
            assert quantity.dimensionality in (ureg.mg.dimensionality, ureg.mL.dimensionality), line[key]
    if data["aliquot"] is not None:
        for key in ("weigh", "dilute_to", "take", "holds"):
            ureg.Quantity(data["aliquot"][key])
    kinds = {"capsules": COUNT_CAPSULE, "oral-liquid": VOLUME, "sublingual-drops": VOLUME, "topical-cream": MASS}
    parse_quantity(data["quantity"], "quantity", kinds[data["formula"]["dosage_form"]])
    strength_kind = {"capsules": MASS, "topical-cream": MASS_FRACTION}.get(
        data["formula"]["dosage_form"], CONCENTRATION
    )
    parse_quantity(data["strength"]["amount"], "strength", strength_kind)


@given(
    strength=strategies.capsule_strengths,
    count=st.integers(min_value=1, max_value=500),
    potency=strategies.potencies,
    overage=strategies.overages,
)
def test_any_capsule_batch_follows_the_schema(strength, count, potency, overage):
    try:
        result = calculate_batch("ldn-capsules", quantity=count, strength=f"{strength} mg", potency=potency,
                                 overage=overage, date=DAY)  # fmt: skip
    except ldn_compound.InputError:
        return  # e.g. no aliquot plan fits: refused with an error, and there is no JSON to check
    validate("batch", result.to_dict())


@given(strength=strategies.liquid_strengths, volume=strategies.volumes)
def test_any_liquid_batch_follows_the_schema(strength, volume):
    try:
        result = calculate_batch("ldn-oral-liquid", quantity=f"{volume} mL", strength=f"{strength} mg/mL", date=DAY)
    except ldn_compound.InputError:
        return
    validate("batch", result.to_dict())


def test_every_builtin_formula_document_follows_the_schema():
    for formula in load_formulas().values():
        validate("formula", formula_to_dict(formula))


def test_a_formula_with_its_own_translations_follows_the_schema(tmp_path):
    text = (Path(__file__).parents[1] / "formulas" / "ldn-capsules.toml").read_text(encoding="utf-8")
    text = text.replace('"Protect from light",\n]', '"Protect from light",\n    "Keep dry",\n]')
    path = tmp_path / "own.toml"
    path.write_text(text + '\n[translations.es]\n"Keep dry" = "Manténgase seco"\n', encoding="utf-8")
    data = formula_to_dict(ldn_compound.load_formula_file(path))
    assert data["translations"] == {"es": {"Keep dry": "Manténgase seco"}}
    validate("formula", data)
    data["translations"] = {"fr": {"Keep dry": "Garder au sec"}}
    assert list(validator("formula").iter_errors(data))
    assert "translations" not in formula_to_dict(ldn_compound.load_formula("ldn-capsules"))


# ---------------------------------------------------------------- the schemas reject what breaks the contract


def good_batch() -> dict[str, Any]:
    data: dict[str, Any] = calculate_batch("ldn-capsules", quantity=30, strength="1.5 mg", date=DAY).to_dict()
    return data


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(schema="ldn-compound/batch/1"), ["schema"]),
        (lambda d: d.pop("beyond_use_date"), []),
        (lambda d: d.update(beyond_use_date="28/08/2026"), ["beyond_use_date"]),
        (lambda d: d["ingredients"][0].update(amount="450mg"), ["ingredients", 0, "amount"]),
        (lambda d: d["ingredients"][0].update(amount=450), ["ingredients", 0, "amount"]),
        (lambda d: d["ingredients"][0].update(role="filler"), ["ingredients"]),
        (lambda d: d["aliquot"].pop("take"), ["aliquot"]),
        (lambda d: d["warnings"].insert(0, {"code": "Big Warning", "message": "x"}), ["warnings", 0, "code"]),
        (lambda d: d.update(colour="blue"), []),
    ],
)
def test_the_strict_schema_rejects_a_broken_document(change, where):
    data = good_batch()
    validate("batch", data)
    change(data)
    errors = list(validator("batch").iter_errors(data))
    assert errors
    assert any(list(error.absolute_path)[: len(where)] == where for error in errors)


def test_the_published_schema_admits_keys_added_later():
    data = good_batch()
    data["added_in_a_later_release"] = {"anything": True}
    validator("batch", exact=False).validate(data)


def test_version_2_states_the_potency_basis_the_tablets_and_the_capsule_check():
    dried = calculate_batch(
        "ldn-capsules", quantity=32, assay=99, assay_basis="dried", loss_on_drying=0.8, date=DAY
    ).to_dict()
    assert dried["schema"] == "ldn-compound/batch/2"
    assert {k: dried["source"][k] for k in ("basis", "potency_of", "assay", "loss_on_drying", "water")} == {
        "basis": "dried",
        "potency_of": "hcl",
        "assay": "99 %",
        "loss_on_drying": "0.8 %",
        "water": None,
    }
    assert dried["yield_range"] == ["31 capsules", "33 capsules"]
    assert {k: dried["capsule"][k] for k in ("shell_weight", "gross_low", "gross_high", "weight_basis", "sampled")} == {
        "shell_weight": "76 mg",
        "gross_low": "283 mg",
        "gross_high": "329 mg",
        "weight_basis": "gross",
        "sampled": 10,
    }
    validate("batch", dried)
    tablets = calculate_batch(
        "ldn-oral-liquid", quantity="100 mL", tablet_weight="180 mg", tablet_product="NDC 1", date=DAY
    ).to_dict()
    assert tablets["dosage_form_name"] == "oral suspension"
    assert (tablets["source"]["product"], tablets["source"]["weighed"]) == ("NDC 1", 20)
    validate("batch", tablets)
