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
    config = WebConfig(pharmacy_config=str(DOCS / "examples" / "pharmacy.toml"))
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
        tablet = browser.new_page(viewport={"width": 768, "height": 1024})
        tablet.goto(f"{base}/batch?formula=ldn-oral-liquid")
        tablet.get_by_label("Quantity").fill("120 mL")
        tablet.get_by_role("button", name="Calculate").click()
        shot(tablet, images / "web-tablet.png")
        browser.close()
    for name in ("web-formulas", "web-batch", "web-error", "web-tablet"):
        print(images / f"{name}.png")  # noqa: T201 - the script says what it wrote


if __name__ == "__main__":
    main()
