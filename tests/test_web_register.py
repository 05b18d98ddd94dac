"""The register on the web: sign-in, queues, a lot's page, weights, signatures by role, recall, the lot API."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from ldn_compound import service
from ldn_compound.web import WebConfig, create_app

with warnings.catch_warnings():  # Starlette's test client asks for a newer httpx than most mirrors have
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
PHARMACY = str(ROOT / "docs" / "examples" / "pharmacy.toml")
BATCH = {
    "formula": "ldn-capsules",
    "quantity": "32",
    "strength": "1.5 mg",
    "date": "2026-03-01",
    "lots": "naltrexone-hcl=QX7781:2027-06-30\nmcc=MC881",
    "rx": "104233",
    "patient": "Ann Lee",
    "prescriber": "Dr. Amelia Hart",
    "directions": "Take 1 capsule by mouth at bedtime",
}


@pytest.fixture
def url(tmp_path):
    url = str(tmp_path / "register.sqlite3")
    service.add_user("tina", "technician", "1111", register=url)
    service.add_user("paul", "pharmacist", "2222", register=url)
    return url


@pytest.fixture
def client(url):
    with TestClient(create_app(WebConfig(pharmacy_config=PHARMACY, register=url))) as test_client:
        yield test_client


def csrf(client, path="/batch?formula=ldn-capsules"):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def post(client, path, **fields):
    return client.post(path, data={"csrf_token": csrf(client), **fields}, follow_redirects=False)


def sign_in(client, name, pin):
    response = post(client, "/sign-in", user=name, pin=pin, next="/lots")
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("ldn_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    return response


def register(client):
    response = post(client, "/batch/register", **BATCH)
    assert response.status_code == 303, response.text
    return response.headers["location"].removeprefix("/lots/")


def test_a_batch_from_the_form_to_verified_by_a_pharmacist(client, url):
    lot = register(client)
    assert lot == "L2026-000001"
    page = client.get(f"/lots/{lot}").text
    assert '<span class="status" id="lot-status">prepared</span>' in page
    assert "Sign in</a> to enter weights" in page

    sign_in(client, "tina", "1111")
    page = client.get(f"/lots/{lot}").text
    assert 'id="amount-naltrexone-hcl"' in page
    assert 'action="/lots/L2026-000001/act/verify"' not in page  # a technician cannot verify
    response = post(
        client, f"/lots/{lot}/weigh", **{"amount-naltrexone-hcl": "48.1 mg", "amount-mcc": "7.31 g", "pin": "1111"}
    )
    assert response.status_code == 303, response.text
    page = client.get(f"/lots/{lot}").text
    # 48 mg ± 5 % ± 0.1 mg; 7.312 g ± 10 % ± 0.1 mg: each end rounded to the balance's 0.1 mg
    assert '<td class="amount">45.5 mg – 50.5 mg</td>' in page
    assert '<td class="amount">6.5807 g – 8.0433 g</td>' in page
    response = post(client, f"/lots/{lot}/act/compound", pin="1111")
    assert response.status_code == 303, response.text
    page = client.get(f"/lots/{lot}").text
    assert '<span class="status" id="lot-status">compounded</span>' in page

    forbidden = post(client, f"/lots/{lot}/act/verify", pin="1111")
    assert forbidden.status_code == 403
    assert "Error:" in forbidden.text

    post(client, "/sign-out")
    client.cookies.delete("ldn_session")
    sign_in(client, "paul", "2222")
    wrong = post(client, f"/lots/{lot}/act/verify", pin="9999")
    assert wrong.status_code == 403
    assert 'id="verify-error"' in wrong.text
    response = post(client, f"/lots/{lot}/act/verify", pin="2222")
    assert response.status_code == 303, response.text
    record = service.show_lot(lot, register=url)
    assert record.status == "verified"
    assert [(s.user, s.meaning) for s in record.signatures] == [("tina", "compounded"), ("paul", "verified")]
    page = client.get(f"/lots/{lot}").text
    assert "<td>verified</td><td>paul</td><td>pharmacist</td>" in page
    assert "<td>registered</td>" in page  # the history


def test_an_amount_out_of_tolerance_is_marked_and_a_pharmacist_accepts_it(client, url):
    lot = register(client)
    sign_in(client, "tina", "1111")
    post(client, f"/lots/{lot}/weigh", **{"amount-naltrexone-hcl": "40 mg", "amount-mcc": "7.31 g", "pin": "1111"})
    page = client.get(f"/lots/{lot}").text
    assert "Warning: out of tolerance" in page
    client.cookies.delete("ldn_session")
    sign_in(client, "paul", "2222")
    page = client.get(f"/lots/{lot}").text
    assert 'action="/lots/L2026-000001/accept"' in page
    response = post(
        client, f"/lots/{lot}/accept", line="naltrexone-hcl", reason="reweighed, within the aliquot", pin="2222"
    )
    assert response.status_code == 303, response.text
    weights = {w.line: w for w in service.show_lot(lot, register=url).weights}
    assert weights["naltrexone-hcl"].accepted_by == "paul"


def test_queues_show_each_role_its_lots(client):
    lot = register(client)
    page = client.get("/lots?queue=technician").text
    assert f'href="/lots/{lot}"' in page
    assert "Ann Lee" in page
    assert f'href="/lots/{lot}"' not in client.get("/lots?queue=pharmacist").text
    assert f'href="/lots/{lot}"' in client.get("/lots?status=prepared").text


def test_recall_finds_the_batches_of_a_component_lot(client):
    lot = register(client)
    page = client.get("/recall?lot=QX7781").text
    assert "1 batch with QX7781" in page
    assert f'<a href="/lots/{lot}"><code>{lot}</code></a>' in page
    assert "<td>Ann Lee</td>" in page
    assert "0 batches with NOPE" in client.get("/recall?lot=NOPE").text


def test_sign_in_with_a_wrong_pin_says_so_and_sets_no_session(client):
    response = post(client, "/sign-in", user="tina", pin="0000", next="/lots")
    assert response.status_code == 401
    assert "set-cookie" not in response.headers or "ldn_session" not in response.headers["set-cookie"]
    assert "Error:" in response.text


def test_sign_in_goes_back_only_to_a_page_of_this_site(client):
    response = post(client, "/sign-in", user="tina", pin="1111", next="//evil.example/x")
    assert response.headers["location"] == "/lots"


def test_a_forged_session_cookie_is_no_sign_in(client):
    client.cookies.set("ldn_session", "WyJwYXVsIiwgMTAwMF0.deadbeef")
    assert "paul (pharmacist)" not in client.get("/lots").text


def test_off_loopback_every_page_and_the_api_need_sign_in(url):
    config = WebConfig(pharmacy_config=PHARMACY, register=url, require_sign_in=True)
    with TestClient(create_app(config)) as client:
        response = client.get("/batch", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in?next=/batch"
        problem = client.get("/api/v1/formulas")
        assert problem.status_code == 401
        assert problem.json()["code"] == "sign-in-required"
        assert client.get("/static/style.css").status_code == 200
        assert client.get("/sign-in").status_code == 200
        sign_in(client, "tina", "1111")
        assert client.get("/batch").status_code == 200
        assert client.get("/api/v1/formulas").status_code == 200


# ---------------------------------------------------------------- the lot API


def test_the_lot_api_registers_weighs_signs_and_refuses_what_the_lifecycle_forbids(client, url):
    body = {"formula": "ldn-capsules", "quantity": 32, "strength": "1.5 mg", "lots": ["naltrexone-hcl=QX7781"]}
    created = client.post("/api/v1/lots", json=body)
    assert created.status_code == 201
    lot = created.json()["lot_number"]
    assert client.get(f"/api/v1/lots/{lot}").json()["status"] == "prepared"
    assert [h["lot_number"] for h in client.get("/api/v1/recall/QX7781").json()["batches"]] == [lot]
    assert [x["lot_number"] for x in client.get("/api/v1/lots?status=prepared").json()["lots"]] == [lot]

    weighed = client.post(
        f"/api/v1/lots/{lot}/weigh",
        json={"user": "tina", "pin": "1111", "lines": {"naltrexone-hcl": "48 mg", "mcc": "7.312 g"}},
    )
    assert weighed.status_code == 200, weighed.text
    early = client.post(f"/api/v1/lots/{lot}/release", json={"user": "paul", "pin": "2222"})
    assert early.status_code == 409
    assert early.json()["code"] == "forbidden-transition"
    technician = client.post(f"/api/v1/lots/{lot}/compound", json={"user": "tina", "pin": "1111"})
    assert technician.json()["status"] == "compounded"
    not_hers = client.post(f"/api/v1/lots/{lot}/verify", json={"user": "tina", "pin": "1111"})
    assert not_hers.status_code == 403
    assert not_hers.json()["code"] == "not-permitted"
    wrong_pin = client.post(f"/api/v1/lots/{lot}/verify", json={"user": "paul", "pin": "0"})
    assert wrong_pin.status_code == 403
    assert wrong_pin.json()["code"] == "wrong-pin"
    verified = client.post(f"/api/v1/lots/{lot}/verify", json={"user": "paul", "pin": "2222"})
    assert verified.json()["status"] == "verified"
    assert client.get("/api/v1/lots/NOPE").status_code == 404
    assert client.get(f"/api/v1/lots/{lot}/labels.pdf").json()["code"] == "no-such-print"
    first = client.get(f"/api/v1/lots/{lot}/record.pdf").content
    assert first == client.get(f"/api/v1/lots/{lot}/record.pdf").content  # a reprint gives the same bytes
    events = [e.kind for e in service.audit_log(lot, register=url)]
    assert events.count("reprinted") == 2


def test_an_api_token_signs_in_its_user_and_only_them(url):
    token = service.create_token("paul", "2222", register=url)
    config = WebConfig(pharmacy_config=PHARMACY, register=url, require_sign_in=True)
    with TestClient(create_app(config)) as client:
        assert client.get("/api/v1/lots").status_code == 401
        bad = client.get("/api/v1/lots", headers={"authorization": "Bearer ldn_nonsense"})
        assert bad.status_code == 401
        assert bad.headers["www-authenticate"] == 'Bearer realm="ldn-compound"'
        auth = {"authorization": f"Bearer {token}"}
        assert client.get("/api/v1/lots", headers=auth).status_code == 200
        lot = client.post("/api/v1/lots", json={"formula": "ldn-capsules", "quantity": 30}, headers=auth).json()
        other = client.post(
            f"/api/v1/lots/{lot['lot_number']}/quarantine",
            json={"user": "tina", "pin": "1111", "reason": "x"},
            headers=auth,
        )
        assert other.status_code == 403
        assert other.json()["field"] == "user"
        held = client.post(
            f"/api/v1/lots/{lot['lot_number']}/quarantine", json={"pin": "2222", "reason": "label check"}, headers=auth
        )
        assert held.status_code == 200, held.text
        assert held.json()["status"] == "quarantined"
        assert held.json()["signatures"][0]["user"] == "paul"
    assert token not in json.dumps([e.data for e in service.audit_log(register=url)])  # only its hash is kept
