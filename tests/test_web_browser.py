"""End-to-end: the bench pages in a real browser (Playwright with Debian's Chromium).

The tests start the app on a free loopback port and drive it as a technician would:
type into the form, press the buttons, read what the page shows and the PDFs it gives.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from ldn_compound import service
from ldn_compound.web import WebConfig
from tests.web_server import running_server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
PHARMACY = str(ROOT / "docs" / "examples" / "pharmacy.toml")

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True)

sync_api = (
    pytest.importorskip("playwright.sync_api")
    if not os.environ.get("CI")
    else __import__("playwright.sync_api", fromlist=["sync_playwright"])
)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    register = str(tmp_path_factory.mktemp("register") / "register.sqlite3")
    service.add_user("tina", "technician", "1111", register=register)
    service.add_user("paul", "pharmacist", "2222", register=register)
    with running_server(WebConfig(pharmacy_config=PHARMACY, register=register)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=60_000)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def download_text(page, button):
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    download = info.value
    data = Path(download.path()).read_bytes()
    return download.suggested_filename, "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_a_capsule_batch_with_an_aliquot_from_the_form_to_the_printed_record(page, base_url):
    page.goto(f"{base_url}/formulas")
    page.get_by_role("row", name="Naltrexone hydrochloride immediate-release capsules").get_by_role(
        "link", name="New batch"
    ).click()
    page.get_by_label("Quantity").fill("32")
    page.get_by_label("Strength", exact=True).fill("1.5 mg")
    page.get_by_label("Compounding date").fill("2026-03-01")
    page.get_by_label("Lot number").fill("B20260301-E2E")
    page.get_by_role("button", name="Calculate").click()

    result = page.locator(".result-column")
    assert result.get_by_role("heading", name="Aliquot plan: Naltrexone hydrochloride USP").is_visible()
    steps = result.locator("ol.steps li").all_inner_texts()
    assert steps[0] == "Weigh 100 mg of the active."
    assert steps[3] == "Weigh 480 mg of the trituration: it holds 48 mg of the active."
    assert result.locator("table.weigh td.amount").first.inner_text() == "48 mg"
    assert "2026-08-28" in result.inner_text()

    page.get_by_role("button", name="Register and print").click()
    assert page.locator("#lot-status").inner_text() == "prepared"
    name, text = download_text(page, "Print record (PDF)")
    assert name == "record-B20260301-E2E.pdf"
    assert "B20260301-E2E" in text
    assert "480 mg" in text
    assert "Triturate" in text


def test_a_liquid_with_a_titration_label(page, base_url):
    page.goto(f"{base_url}/batch")
    page.get_by_label("Formula", exact=True).select_option("ldn-oral-liquid")
    page.get_by_role("button", name="Choose").click()
    page.get_by_label("Quantity").fill("120 mL")
    page.get_by_label("Dose", exact=True).fill("4.5 mg")
    page.get_by_label("Rx number").fill("104233")
    page.get_by_label("Patient", exact=True).fill("Zoë Łukasiewicz-Núñez")
    page.get_by_label("Prescriber").fill("Dr. Amelia Hart")
    page.get_by_label("Directions", exact=True).fill("Take by mouth at bedtime following the dosing schedule")
    page.get_by_label("Titration").fill("1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg")
    page.get_by_role("button", name="Calculate").click()
    assert page.locator(".result-column").get_by_text("make the labels patient labels").is_visible()

    page.get_by_role("button", name="Register and print").click()
    name, text = download_text(page, "Print labels (PDF)")
    assert name.startswith("labels-")
    assert "Zoë Łukasiewicz-Núñez" in text
    assert "1.5 mL" in text  # 1.5 mg of the 1 mg/mL solution, the first step
    assert "4.5 mL" in text


def test_an_input_error_is_shown_next_to_its_field(page, base_url):
    page.goto(f"{base_url}/batch?formula=ldn-capsules")
    page.get_by_label("Quantity").fill("100")
    page.get_by_label("Strength", exact=True).fill("4.5 mL")
    page.get_by_label("Strength", exact=True).press("Enter")  # the keyboard submits the form

    field = page.get_by_label("Strength", exact=True)
    assert field.get_attribute("aria-invalid") == "true"
    message = page.locator("#f-strength-error").inner_text()
    assert message == "Error: Strength \"4.5 mL\": strength must be a mass per capsule, e.g. '4.5 mg', not a volume"
    assert "f-strength-error" in field.get_attribute("aria-describedby")
    page.locator("#error-summary a").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#f-strength"
    assert page.locator(".result-column").get_by_role("heading", name="Result").is_visible()


def test_the_form_is_usable_on_a_tablet(browser, base_url):
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    try:
        page = context.new_page()
        page.goto(f"{base_url}/batch?formula=ldn-capsules")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 768  # nothing wider than the screen: no sideways scrolling
        assert page.get_by_role("button", name="Calculate").is_visible()
    finally:
        context.close()


def sign_in(page, base_url, name, pin, then):
    page.goto(f"{base_url}/sign-in?next={then}")
    page.get_by_label("User").fill(name)
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="Sign in").click()


def test_a_technicians_weights_a_pharmacists_verification_and_a_recall_search(page, base_url):
    page.goto(f"{base_url}/batch?formula=ldn-capsules")
    page.get_by_label("Quantity").fill("32")
    page.get_by_label("Strength", exact=True).fill("1.5 mg")
    page.get_by_label("Component lots").fill("naltrexone-hcl=QX7781:2027-06-30\nmcc=MC881")
    page.get_by_role("button", name="Register and print").click()
    lot = page.locator("h1 code").inner_text()
    assert lot.startswith("L20")

    sign_in(page, base_url, "tina", "1111", f"/lots/{lot}")
    page.get_by_label("Naltrexone hydrochloride USP").fill("48.1 mg")
    page.get_by_label("Microcrystalline cellulose NF (Avicel PH-105)").fill("7.31 g")
    page.locator("#weigh-pin").fill("1111")
    page.get_by_role("button", name="Record the amounts").click()
    assert "48.1 mg" in page.locator("#weights").inner_text()
    assert page.get_by_role("form", name="Verify").count() == 0  # a technician cannot verify
    page.locator("#compound-pin").fill("1111")
    page.get_by_role("button", name="Sign as compounded").click()
    assert page.locator("#lot-status").inner_text() == "compounded"
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base_url, "paul", "2222", f"/lots/{lot}")
    page.locator("#verify-pin").fill("2222")
    page.get_by_role("button", name="Verify").click()
    assert page.locator("#lot-status").inner_text() == "verified"
    signatures = page.locator("#signatures").inner_text()
    assert "compounded\ttina\ttechnician" in signatures
    assert "verified\tpaul\tpharmacist" in signatures

    page.get_by_role("link", name="Recall").click()
    page.get_by_label("Component lot or batch lot").fill("QX7781")
    page.get_by_label("Component lot or batch lot").press("Enter")
    hits = page.locator("#recall-hits").inner_text()
    assert lot in hits
    assert "verified" in hits
