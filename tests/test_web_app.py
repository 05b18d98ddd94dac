"""The bench pages: formulas, the batch form with its result, errors next to their field, PDFs, security."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import pytest
from pypdf import PdfReader

from ldn_compound.web import WebConfig, create_app, is_loopback
from ldn_compound.web.app import safe_filename

with warnings.catch_warnings():  # Starlette's test client asks for a newer httpx than most mirrors have
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
PHARMACY = str(ROOT / "docs" / "examples" / "pharmacy.toml")


@pytest.fixture
def client():
    with TestClient(create_app(WebConfig(pharmacy_config=PHARMACY))) as test_client:
        yield test_client


def token(client, formula="ldn-capsules"):
    page = client.get(f"/batch?formula={formula}")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def submit(client, action="/batch", *, follow=True, **fields):
    data = {"csrf_token": token(client, fields.get("formula", "ldn-capsules")), **fields}
    return client.post(action, data=data, follow_redirects=follow)


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_home_goes_to_the_batch_form(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/batch"


def test_formulas_page_lists_each_formula_with_its_range_and_bud_class(client):
    page = client.get("/formulas").text
    assert "Naltrexone hydrochloride oral solution" in page
    assert "0.1 mg/mL – 5 mg/mL" in page
    assert "aqueous-preserved (at most 35 days)" in page
    assert 'href="/batch?formula=ldn-topical-cream"' in page


def test_formula_page_shows_composition_ranges_and_bud(client):
    page = client.get("/formulas/ldn-capsules").text
    assert "Microcrystalline cellulose" in page
    assert "0.1 mg to 10 mg" in page
    assert "180 days" in page
    assert client.get("/formulas/nope").status_code == 404


def test_the_batch_form_labels_every_field(client):
    page = client.get("/batch?formula=ldn-capsules").text
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', page))
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    assert ids
    assert ids <= labelled
    assert 'id="f-capsule_size"' in page
    assert 'id="f-titration"' not in page  # titration is for liquids and drops


def test_the_liquid_form_has_titration_and_no_capsule_fields(client):
    page = client.get("/batch?formula=ldn-oral-liquid").text
    assert 'id="f-titration"' in page
    assert 'id="f-capsule_size"' not in page


def test_an_unknown_formula_in_the_query_is_shown_as_an_error(client):
    response = client.get("/batch?formula=<script>")
    assert response.status_code == 404
    assert "<script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_calculate_shows_the_result_beside_the_form(client):
    response = submit(client, formula="ldn-capsules", quantity="32", strength="1.5 mg", date="2026-03-01")
    assert response.status_code == 200
    page = response.text
    assert '<td class="amount num">48 mg</td>' in page
    assert "Aliquot plan: Naltrexone hydrochloride USP" in page
    assert "Weigh 480 mg of the trituration: it holds 48 mg of the active." in page
    assert "230 mg per capsule" in page
    assert "<strong>2026-08-28</strong>" in page
    assert "USP &lt;795&gt; (2023) nonaqueous-other" in page
    assert "How each number was reached" in page
    assert 'value="1.5 mg"' in page  # the form keeps what was typed


def test_the_preview_ignores_the_label_fields_until_labels_are_printed(client):
    page = submit(client, formula="ldn-capsules", quantity="30", rx="1", patient="P").text
    assert "make the labels patient labels" in page
    response = submit(client, "/batch/register", formula="ldn-capsules", quantity="30", rx="1", patient="P")
    assert response.status_code == 422
    assert (
        "a prescription needs Rx number, Patient, Prescriber, Directions; missing Prescriber, Directions"
        in response.text
    )


def test_a_warning_shows_in_a_colour_and_a_word(client):
    page = submit(client, formula="ldn-capsules", quantity="100", strength="8 mg").text
    assert '<p class="warning"><strong>Warning:</strong> dose 8 mg naltrexone HCl is above the usual maximum' in page


def test_an_input_error_is_shown_next_to_its_field_with_the_command_lines_words(client):
    response = submit(client, formula="ldn-capsules", quantity="32", strength="1.5 mL")
    assert response.status_code == 422
    page = response.text
    message = "Strength &#34;1.5 mL&#34;: strength must be a mass per capsule, e.g. &#39;4.5 mg&#39;, not a volume"
    field = re.search(r'<div class="field invalid">(.*?)</div>', page, re.DOTALL).group(1)
    assert 'id="f-strength"' in field
    assert 'aria-invalid="true"' in field
    assert message in field
    assert '<a href="#f-strength">' in page  # the summary links to the field


def test_an_error_about_the_server_setting_is_shown_at_the_top():
    with TestClient(create_app(WebConfig())) as bare:
        fields = {
            "formula": "ldn-capsules",
            "quantity": "30",
            "rx": "1",
            "patient": "P",
            "prescriber": "D",
            "directions": "x",
        }
        response = submit(bare, "/batch/register", **fields)
    assert response.status_code == 422
    assert "the pharmacy (the server&#39;s --pharmacy-config): is needed for a patient label" in response.text


def test_user_text_is_escaped(client):
    page = submit(client, formula="ldn-capsules", quantity="<b>x</b>").text
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page


def register_and_print(client, kind, **fields):
    response = submit(client, "/batch/register", follow=False, **fields)
    assert response.status_code == 303, response.text
    lot = response.headers["location"].removeprefix("/lots/")
    page = client.get(f"/lots/{lot}")
    assert f'action="/lots/{lot}/{kind}.pdf"' in page.text
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)}
    return lot, client.post(f"/lots/{lot}/{kind}.pdf", data=data)


def test_register_and_print_gives_the_record_with_the_aliquot(client):
    lot, response = register_and_print(
        client, "record", formula="ldn-capsules", quantity="32", strength="1.5 mg", lot_number="B7"
    )
    assert lot == "B7"
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="record-B7.pdf"'
    text = pdf_text(response.content)
    assert "480 mg" in text


def test_register_and_print_puts_the_prescription_on_the_record(client):
    fields = {
        "formula": "ldn-capsules",
        "quantity": "30",
        "rx": "RX-4471",
        "patient": "Ann Lee",
        "prescriber": "Dr. Bea Ortiz",
        "directions": "Take 1 capsule by mouth at bedtime",
    }
    _, response = register_and_print(client, "record", **fields)
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    assert "RX-4471" in text
    assert "Ann Lee" in text
    assert "Dr. Bea Ortiz" in text


def test_register_and_print_labels_with_a_titration(client):
    fields = {
        "formula": "ldn-oral-liquid",
        "quantity": "120 mL",
        "rx": "55",
        "patient": "Ann Lee",
        "prescriber": "Dr. B",
        "directions": "Take by mouth at bedtime following the dosing schedule",
        "dose": "4.5 mg",
        "titration": "1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg",
    }
    _, response = register_and_print(client, "labels", **fields)
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    assert "Ann Lee" in text
    assert "1.5 mL" in text  # 1.5 mg of a 1 mg/mL solution


def test_a_registration_error_shows_the_form_again(client):
    response = submit(client, "/batch/register", formula="ldn-capsules", quantity="-3")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert 'class="field invalid"' in response.text


def test_a_form_without_its_csrf_token_is_refused(client):
    response = client.post("/batch", data={"formula": "ldn-capsules", "quantity": "100"})
    assert response.status_code == 403
    token(client)
    response = client.post("/batch", data={"formula": "ldn-capsules", "quantity": "100", "csrf_token": "x" * 43})
    assert response.status_code == 403


def test_a_form_from_another_site_is_refused_even_with_the_token(client):
    data = {"formula": "ldn-capsules", "quantity": "100", "csrf_token": token(client)}
    response = client.post("/batch", data=data, headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    assert client.post("/batch", data=data, headers={"origin": "http://testserver"}).status_code == 200


def test_the_csrf_cookie_is_httponly_and_samesite_lax(client):
    response = client.get("/batch?formula=ldn-capsules")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("ldn_csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie


def test_the_csrf_cookie_is_secure_behind_tls():
    with TestClient(create_app(WebConfig()), base_url="https://testserver") as tls:
        cookie = tls.get("/batch").headers["set-cookie"]
    assert "Secure" in cookie


def test_every_response_has_the_security_headers(client):
    for response in (client.get("/batch"), client.get("/api/v1/formulas"), client.get("/nothing")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none': no script


@pytest.mark.parametrize(
    "path",
    [
        "/static/../service.py",
        "/static/%2e%2e/app.py",
        "/static/style.css/../../app.py",
        "/../etc/passwd",
        "/formulas/..%2f..%2fsetup.cfg",
    ],
)
def test_no_server_file_is_reachable(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "import" not in response.text


def test_the_stylesheet_is_served(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


def test_a_form_body_over_the_limit_is_refused(client):
    response = client.post(
        "/batch", content=b"a=" + b"x" * 300_000, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


def test_the_docs_page_lists_the_endpoints(client):
    page = client.get("/docs").text
    assert "/api/v1/calculate" in page
    assert 'href="/openapi.json"' in page


@pytest.mark.parametrize(
    ("lot", "name"),
    [
        ("B20260301-8B99", "record-B20260301-8B99.pdf"),
        ('a"b\r\nSet-Cookie: x', "record-a-b-Set-Cookie-x.pdf"),
        ("../../etc/passwd", "record-etc-passwd.pdf"),
        ("", "record-batch.pdf"),
        ("Łódź", "record-d.pdf"),
    ],
)
def test_safe_filename(lot, name):
    assert safe_filename("record", lot) == name


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback
