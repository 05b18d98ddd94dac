"""The JSON API under /api/v1/: every endpoint, its answers and its problem details.

Most tests call the app in-process (Starlette's TestClient); one module-scoped real
uvicorn server checks the same answers over a socket.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import httpx
import jsonschema
import pytest
from pypdf import PdfReader

with warnings.catch_warnings():  # Starlette's test client asks for a newer httpx than most mirrors have
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from ldn_compound import calculate_batch
from ldn_compound.cli import main
from ldn_compound.web import WebConfig, create_app
from tests.web_server import running_server

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "ldn_compound" / "schemas"
PHARMACY = str(ROOT / "docs" / "examples" / "pharmacy.toml")


def schema(name):
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def validate(document, name):
    registry_schemas = {schema(n)["$id"]: schema(n) for n in ("formula", "formulas", "batch", "problem")}
    import referencing

    registry = referencing.Registry().with_resources(
        (uri, referencing.Resource.from_contents(contents)) for uri, contents in registry_schemas.items()
    )
    jsonschema.Draft202012Validator(schema(name), registry=registry).validate(document)


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(WebConfig(pharmacy_config=PHARMACY))) as test_client:
        yield test_client


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def assert_problem(response, status, code, field):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    validate(body, "problem")
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:ldn-compound:problem:{code}"
    assert body["field"] == field
    assert "Traceback" not in response.text
    return body


# ---------------------------------------------------------------- formulas


def test_formulas_lists_the_builtin_formulas_valid_against_the_schema(client):
    response = client.get("/api/v1/formulas")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    validate(body, "formulas")
    assert [f["id"] for f in body["formulas"]] == [
        "ldn-capsules",
        "ldn-oral-liquid",
        "ldn-sublingual-drops",
        "ldn-topical-cream",
    ]


def test_a_formula_is_the_same_document_as_show_json(client, capsys):
    response = client.get("/api/v1/formulas/ldn-oral-liquid")
    assert response.status_code == 200
    validate(response.json(), "formula")
    assert main(["show", "ldn-oral-liquid", "--json"]) == 0
    assert response.text == capsys.readouterr().out


def test_an_unknown_formula_is_404_problem_naming_the_known_ids(client):
    body = assert_problem(client.get("/api/v1/formulas/ldn-capsule"), 404, "unknown-formula", "formula")
    assert body["detail"] == (
        'formula "ldn-capsule": must be one of the formula ids: ldn-capsules, ldn-oral-liquid, '
        "ldn-sublingual-drops, ldn-topical-cream"
    )


def test_a_pharmacys_own_formula_names_its_file_not_the_servers_folder(tmp_path):
    own = tmp_path / "secret-folder"
    own.mkdir()
    text = (ROOT / "formulas" / "ldn-capsules.toml").read_text(encoding="utf-8")
    (own / "ours.toml").write_text(text.replace('id = "ldn-capsules"', 'id = "our-capsules"'), encoding="utf-8")
    with TestClient(create_app(WebConfig(formula_dir=str(own)))) as local:
        listing = local.get("/api/v1/formulas").text
        one = local.get("/api/v1/formulas/our-capsules")
        page = local.get("/formulas/our-capsules").text
    assert one.status_code == 200
    assert one.json()["source"] == "ours.toml"
    for text in (listing, one.text, page):
        assert "secret-folder" not in text


# ---------------------------------------------------------------- calculate


def test_calculate_answers_the_same_bytes_as_batch_json(client, capsys):
    body = {"formula": "ldn-capsules", "quantity": 100, "strength": "4.5 mg", "date": "2026-03-01", "potency": 97.71}
    response = client.post("/api/v1/calculate", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    validate(response.json(), "batch")
    argv = ["batch", "ldn-capsules", "--quantity", "100", "--strength", "4.5 mg", "--date", "2026-03-01"]
    assert main([*argv, "--potency", "97.71", "--json"]) == 0
    assert response.text == capsys.readouterr().out


def test_calculate_an_aliquot_batch_worked_by_hand(client):
    # 32 capsules of 1.5 mg: 48 mg of naltrexone HCl, under the 82 mg minimum weight of a 0.1 mg balance
    body = {"formula": "ldn-capsules", "quantity": 32, "strength": "1.5 mg", "date": "2026-03-01"}
    document = client.post("/api/v1/calculate", json=body).json()
    active = document["ingredients"][0]
    assert active["amount"] == "48 mg"
    assert active["aliquot"]["weigh"] == "100 mg"
    assert active["aliquot"]["take"] == "480 mg"
    assert document["capsule"]["fill_weight"] == "230 mg"
    assert document["beyond_use_date"] == "2026-08-28"


def test_calculate_takes_every_keyword_of_calculate_batch_by_the_same_name(client):
    body = {
        "formula": "ldn-oral-liquid",
        "quantity": "120 mL",
        "strength": "1 mg/mL",
        "strength_basis": "hcl",
        "overage": 2,
        "date": "2026-03-01",
        "lot_number": "L-TEST-1",
        "dose": "4.5 mg",
        "tablet_weight": "180 mg",
        "lots": ["ascorbic-acid=AA1:2027-01-31"],
        "balance_readability": "0.1 mg",
        "bud_rules": "usp-795-2023",
        "bud_day_one": True,
        "other_medicines": ["metformin"],
    }
    response = client.post("/api/v1/calculate", json=body)
    assert response.status_code == 200, response.text
    expected = calculate_batch(
        "ldn-oral-liquid",
        quantity="120 mL",
        strength="1 mg/mL",
        strength_basis="hcl",
        overage=2,
        date="2026-03-01",
        lot_number="L-TEST-1",
        dose="4.5 mg",
        tablet_weight="180 mg",
        lots=["ascorbic-acid=AA1:2027-01-31"],
        balance_readability="0.1 mg",
        other_medicines=["metformin"],
        settings=__import__("attrs").evolve(
            __import__("ldn_compound.settings", fromlist=["x"]).default_settings(), compounding_day_is_day_zero=False
        ),
    )
    assert response.json() == expected.to_dict()


@pytest.mark.parametrize(
    ("body", "code", "field", "detail"),
    [
        (
            {"formula": "ldn-capsules", "quantity": 100, "strength": "4.5 mL"},
            "wrong-dimension",
            "strength",
            "strength \"4.5 mL\": strength must be a mass per capsule, e.g. '4.5 mg', not a volume",
        ),
        (
            {"formula": "ldn-capsules", "quantity": 100, "strength": "40 mg"},
            "invalid-input",
            "strength",
            'strength "40 mg": strength must be within the formula\'s range, 0.1 mg to 10 mg naltrexone HCl',
        ),
        (
            {"formula": "ldn-capsules", "quantity": 100, "capsule_size": "9"},
            "invalid-input",
            "capsule_size",
            'capsule_size "9": capsule size must be one of 000, 00, 0, 1, 2, 3, 4, 5',
        ),
        (
            {"formula": "ldn-oral-liquid", "quantity": "120 mL", "capsule_size": "0"},
            "option-not-for-this-form",
            "capsule_size",
            "capsule_size: applies only to capsules; ldn-oral-liquid is oral liquid",
        ),
        (
            {"formula": "ldn-capsules", "quantity": 100, "rx": "1"},
            "documents-not-requested",
            "rx",
            (
                "rx: is printed on the patient label and the compounding record; add the labels "
                "(POST /api/v1/lots with the prescription) or the record (POST /api/v1/lots)"
            ),
        ),
        (
            {"formula": "ldn-capsules", "quantity": 100, "other_medicines": ["tramadol"]},
            "opioid-co-medication",
            "other_medicines",
            None,
        ),
        ({"formula": "ldn-capsules"}, "field-required", "quantity", None),
        ({"quantity": 100}, "field-required", "formula", None),
        ({"formula": "ldn-capsules", "quantity": 100, "colour": "red"}, "unknown-field", "colour", None),
        ({"formula": "ldn-capsules", "quantity": [100]}, "invalid-type", "quantity", None),
        ({"formula": "ldn-capsules", "quantity": 100, "bud_day_one": "yes"}, "invalid-type", "bud_day_one", None),
        ({"formula": "ldn-capsules", "quantity": 100, "lots": "a=b"}, "invalid-type", "lots", None),
        ({"formula": "ldn-capsules", "quantity": 100, "lots": ["nonsense"]}, "invalid-input", "lots", None),
        ({"formula": "ldn-capsules", "quantity": 100, "patient": "a\x00b"}, "control-character", "patient", None),
        ({"formula": "ldn-capsules", "quantity": 100, "strength": "4" * 1001}, "too-long", "strength", None),
        ({"formula": "/etc/passwd", "quantity": 100}, "unknown-formula", "formula", None),
        ({"formula": "../formulas/ldn-capsules.toml", "quantity": 100}, "unknown-formula", "formula", None),
        ({"formula": "no-such-formula", "quantity": 100}, "unknown-formula", "formula", None),
        ({"formula": "ldn-capsules", "quantity": 100, "formula_dir": "/etc"}, "unknown-field", "formula_dir", None),
        (
            {"formula": "ldn-capsules", "quantity": 100, "pharmacy_config": "/etc/passwd"},
            "unknown-field",
            "pharmacy_config",
            None,
        ),
    ],
)
def test_calculate_input_errors_are_422_problems_with_field_and_code(client, body, code, field, detail):
    problem = assert_problem(client.post("/api/v1/calculate", json=body), 422, code, field)
    if detail is not None:
        assert problem["detail"] == detail
    assert "/etc" not in problem["detail"] or body.get("formula") == "/etc/passwd"


def test_the_api_detail_is_the_command_lines_message_with_json_keys_for_options(client, capsys):
    cases = [
        (["--strength", "4.5 mL"], {"strength": "4.5 mL"}),
        (["--potency", "150"], {"potency": "150"}),
        (["--capsule-size", "9"], {"capsule_size": "9"}),
        (["--tablets", "abc"], {"tablet_weight": "abc"}),
        (["--lot", "foo"], {"lots": ["foo"]}),
        (["--strength", "15 mg"], {"strength": "15 mg"}),
    ]
    for argv, fields in cases:
        assert main(["batch", "ldn-capsules", "--quantity", "100", *argv]) == 2
        cli_message = capsys.readouterr().err.removeprefix("error: ").strip()
        detail = client.post("/api/v1/calculate", json={"formula": "ldn-capsules", "quantity": 100, **fields}).json()[
            "detail"
        ]
        option, key = argv[0], next(iter(fields))
        assert cli_message == detail.replace(key, option, 1), (cli_message, detail)


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b"{not json", {"content-type": "application/json"}, 400, "malformed-json"),
        (b"\xff\xfe", {"content-type": "application/json"}, 400, "malformed-json"),
        (b"[1, 2]", {"content-type": "application/json"}, 422, "request-not-an-object"),
        (
            b'{"formula": "ldn-capsules", "quantity": 100}',
            {"content-type": "text/plain"},
            415,
            "unsupported-media-type",
        ),
        (b"[" * 100_000, {"content-type": "application/json"}, 400, "malformed-json"),
    ],
)
def test_calculate_refuses_bodies_that_are_not_a_json_object(client, content, headers, status, code):
    response = client.post("/api/v1/calculate", content=content, headers=headers)
    body = assert_problem(response, status, code, "request" if code == "request-not-an-object" else None)
    assert body["instance"] == "/api/v1/calculate"


def test_a_body_over_the_limit_is_413_before_it_is_read(client):
    response = client.post(
        "/api/v1/calculate",
        content=b'{"formula": "' + b"x" * 300_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 413, "body-too-large", None)


# ---------------------------------------------------------------- documents


def register_lot(client, body):
    response = client.post("/api/v1/lots", json=body)
    assert response.status_code == 201, response.text
    lot = response.json()
    assert response.headers["location"] == f"/api/v1/lots/{lot['lot_number']}"
    return lot


def test_a_registered_lots_record_pdf_has_a_safe_file_name(client):
    body = {
        "formula": "ldn-capsules",
        "quantity": 32,
        "strength": "1.5 mg",
        "date": "2026-03-01",
        "lot_number": "A/7.b",
    }
    lot = register_lot(client, body)
    assert lot["lot_number"] == "A/7.b"
    assert lot["status"] == "prepared"
    validate(lot["batch"], "batch")
    response = client.get("/api/v1/lots/A%2F7.b/record.pdf")
    assert response.status_code == 404  # a lot number with a slash is not one path segment
    body["lot_number"] = "A7.b"
    register_lot(client, body)
    response = client.get("/api/v1/lots/A7.b/record.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="record-A7.b.pdf"'
    text = pdf_text(response.content)
    assert "48 mg" in text
    assert "480 mg" in text


def test_a_registration_with_a_prescription_prints_a_patient_label_with_the_servers_pharmacy(client):
    body = {
        "formula": "ldn-capsules",
        "quantity": 30,
        "strength": "3 mg",
        "rx": "104233",
        "patient": "Zoë Łukasiewicz-Núñez",
        "prescriber": "Dr. Amelia Hart",
        "directions": "Take 1 capsule by mouth at bedtime",
        "lots": ["naltrexone-hcl=QX7781:2027-06-30"],
    }
    lot = register_lot(client, body)
    assert lot["prescription"]["patient"] == "Zoë Łukasiewicz-Núñez"
    # the stored request keeps what describes the batch, not the server's files or its register's URL
    assert lot["request"] == {
        **body,
        "quantity": "30",
        "record": True,
        "labels": True,
        "pharmacy": {  # the pharmacy printed, not the path of the server's file
            "name": "Example Compounding Pharmacy",
            "address": ["12 Apothecary Lane", "Springfield, IL 62701"],
            "phone": "(217) 555-0142",
            "pharmacist": "A. Pharmacist, PharmD",
        },
    }
    again = client.get(f"/api/v1/lots/{lot['lot_number']}").text
    assert PHARMACY not in again
    assert "pharmacy_config" not in again
    response = client.get(f"/api/v1/lots/{lot['lot_number']}/labels.pdf")
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    assert "Zoë Łukasiewicz-Núñez" in text
    assert "104233" in text
    hits = client.get("/api/v1/recall/QX7781").json()["batches"]
    assert [(h["lot_number"], h["patient"], h["component"]) for h in hits] == [
        (lot["lot_number"], "Zoë Łukasiewicz-Núñez", "naltrexone-hcl")
    ]


def test_a_patient_label_without_the_servers_pharmacy_names_the_server_option():
    body = {"formula": "ldn-capsules", "quantity": 30, "rx": "1", "patient": "P", "prescriber": "D", "directions": "x"}
    with TestClient(create_app(WebConfig())) as bare:
        problem = assert_problem(bare.post("/api/v1/lots", json=body), 422, "pharmacy-needed", "pharmacy_config")
    assert "ldn-compound serve --pharmacy-config" in problem["detail"]


def test_page_size_is_for_the_record_only(client):
    body = {"formula": "ldn-capsules", "quantity": 30, "page_size": "a4"}
    assert_problem(client.post("/api/v1/calculate", json=body), 422, "record-not-requested", "page_size")
    register_lot(client, body)


# ---------------------------------------------------------------- HTTP


def test_unknown_paths_and_methods_are_problems(client):
    assert_problem(client.get("/api/v1/nothing"), 404, "not-found", None)
    response = client.get("/api/v1/calculate")
    assert_problem(response, 405, "method-not-allowed", None)
    assert "POST" in response.headers["allow"]


def test_openapi_document_uses_the_shipped_schemas(client):
    document = client.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    components = document["components"]["schemas"]
    for name, file in [("Batch", "batch"), ("BatchRequest", "batch-request"), ("Problem", "problem")]:
        shipped = schema(file)
        assert components[name]["properties"].keys() == shipped["properties"].keys()
        assert components[name]["required"] == shipped["required"]
    assert components["Formulas"]["properties"]["formulas"]["items"] == {"$ref": "#/components/schemas/Formula"}
    assert set(document["paths"]) == {
        "/api/v1/formulas",
        "/api/v1/formulas/{formula_id}",
        "/api/v1/calculate",
        "/api/v1/lots",
        "/api/v1/lots/{lot}",
        "/api/v1/lots/{lot}/record.pdf",
        "/api/v1/lots/{lot}/labels.pdf",
        "/api/v1/lots/{lot}/{action}",
        "/api/v1/recall/{component_lot}",
    }


def test_the_request_schema_names_exactly_the_fields_the_api_accepts(client):
    from ldn_compound import service

    keys = set(schema("batch-request")["properties"])
    accepted = {"formula", *service._MAPPING_TEXT_FIELDS, *service._MAPPING_LIST_FIELDS, *service._MAPPING_FLAG_FIELDS}
    assert keys == accepted


def test_the_same_answers_from_a_real_server_on_a_free_port():
    with running_server(WebConfig(pharmacy_config=PHARMACY)) as base, httpx.Client(base_url=base, timeout=30) as http:
        ok = http.post("/api/v1/calculate", json={"formula": "ldn-capsules", "quantity": 100, "date": "2026-03-01"})
        bad = http.post("/api/v1/calculate", json={"formula": "ldn-capsules", "quantity": "100 mL"})
        lot = http.post("/api/v1/lots", json={"formula": "ldn-capsules", "quantity": 100}).json()["lot_number"]
        pdf = http.get(f"/api/v1/lots/{lot}/record.pdf")
        formulas = http.get("/api/v1/formulas")
    assert ok.status_code == 200
    validate(ok.json(), "batch")
    assert bad.status_code == 422
    assert bad.json()["field"] == "quantity"
    assert pdf.content.startswith(b"%PDF-")
    assert formulas.status_code == 200


def test_batch_json_start_up_imports_no_web_package(tmp_path):
    code = (
        "import sys; from ldn_compound.cli import main; "
        "main(['batch', 'ldn-capsules', '--quantity', '100', '--json']); "
        "heavy = sorted(m for m in ('starlette', 'uvicorn', 'jinja2', 'multipart', 'ldn_compound.web') if m in sys.modules); "
        "print(heavy, file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stderr.strip() == "[]"
