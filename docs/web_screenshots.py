"""Take the screenshots of the bench pages in docs/images/ (web-*.png) with Debian's Chromium.

Run ``python docs/web_screenshots.py`` after changing a page, and look at the pictures
before committing them.  It serves the app on a free loopback port for the time it takes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

import tempfile  # noqa: E402

from ldn_compound import service  # noqa: E402
from ldn_compound.web import WebConfig  # noqa: E402
from tests.web_server import running_server  # noqa: E402

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def shot(page: Page, path: Path) -> None:
    """A screenshot once the page has settled (Chromium refuses one taken mid-navigation)."""
    page.wait_for_load_state("networkidle")
    for attempt in range(3):
        try:
            page.screenshot(path=path)
        except PlaywrightError:
            if attempt == 2:
                raise
            page.wait_for_timeout(500)
        else:
            return


def main() -> None:
    """Serve the app, take each screenshot, print where they are."""
    images = DOCS / "images"
    register = str(Path(tempfile.mkdtemp(prefix="ldn-screenshots-")) / "register.sqlite3")
    service.add_user("tina", "technician", "1111", register=register)
    service.add_user("paul", "pharmacist", "2222", register=register)
    config = WebConfig(pharmacy_config=str(DOCS / "examples" / "pharmacy.toml"), register=register)
    with running_server(config) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/formulas")
        shot(page, images / "web-formulas.png")
        page.goto(f"{base}/batch?formula=ldn-capsules")
        page.get_by_label("Quantity").fill("32")
        page.get_by_label("Strength", exact=True).fill("1.5 mg")
        page.get_by_label("Compounding date").fill("2026-03-01")
        page.get_by_label("Potency (%)").fill("99.1")
        page.get_by_role("button", name="Calculate").click()
        shot(page, images / "web-batch.png")
        page.get_by_label("Strength", exact=True).fill("1.5 mL")
        page.get_by_role("button", name="Calculate").click()
        shot(page, images / "web-error.png")
        page.get_by_label("Strength", exact=True).fill("1.5 mg")
        page.get_by_label("Component lots").fill("naltrexone-hcl=QX7781:2027-06-30\nmcc=MC881")
        page.get_by_label("Rx number").fill("104233")
        page.get_by_label("Patient", exact=True).fill("Ann Lee")
        page.get_by_label("Prescriber").fill("Dr. Amelia Hart")
        page.get_by_label("Directions", exact=True).fill("Take 1 capsule by mouth at bedtime")
        page.get_by_role("button", name="Register and print").click()
        lot = page.locator("h1 code").inner_text()
        page.goto(f"{base}/sign-in?next=/lots/{lot}")
        page.get_by_label("User").fill("tina")
        page.get_by_label("PIN").fill("1111")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Naltrexone hydrochloride USP").fill("48.3 mg")
        page.get_by_label("Microcrystalline cellulose NF (Avicel PH-105)").fill("7.2 g")
        page.locator("#weigh-pin").fill("1111")
        page.get_by_role("button", name="Record the amounts").click()
        page.locator("#compound-pin").fill("1111")
        page.get_by_role("button", name="Sign as compounded").click()
        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("User").fill("paul")
        page.get_by_label("PIN").fill("2222")
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{base}/lots/{lot}")
        shot(page, images / "web-lot.png")
        page.goto(f"{base}/lots?queue=pharmacist")
        shot(page, images / "web-queue.png")
        page.goto(f"{base}/recall?lot=QX7781")
        shot(page, images / "web-recall.png")
        tablet = browser.new_page(viewport={"width": 768, "height": 1024})
        tablet.goto(f"{base}/batch?formula=ldn-oral-liquid")
        tablet.get_by_label("Quantity").fill("120 mL")
        tablet.get_by_role("button", name="Calculate").click()
        shot(tablet, images / "web-tablet.png")
        browser.close()
    for name in ("web-formulas", "web-batch", "web-error", "web-tablet", "web-lot", "web-queue", "web-recall"):
        print(images / f"{name}.png")  # noqa: T201 - the script says what it wrote


if __name__ == "__main__":
    main()
