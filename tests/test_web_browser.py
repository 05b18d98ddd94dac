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
def base_url():
    with running_server(WebConfig(pharmacy_config=PHARMACY)) as url:
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
