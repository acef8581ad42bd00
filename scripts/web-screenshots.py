"""Screenshots of the dashboard for docs/web.md, taken with Playwright in Debian's Chromium
(NAME must be a manager or admin for the demand page's what-if).

    forcestat serve --db demo-out/forcestat.duckdb --port 8100 &
    python scripts/web-screenshots.py http://127.0.0.1:8100 NAME PASSWORD docs/
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
PERIOD = "2022-08..2022-10"


def main(base: str, name: str, password: str, out: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/public?period={PERIOD}")
        page.screenshot(path=str(out / "web-public.png"), full_page=True)
        page.goto(f"{base}/login")
        page.fill("#l-user", name)
        page.fill("#l-pass", password)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/")
        for shot, path in (
            ("web-overview.png", f"/?period={PERIOD}"),
            ("web-measure.png", f"/measures/calls_999_pct_not_answered?period={PERIOD}"),
        ):
            page.goto(base + path)
            page.wait_for_selector(".vega svg", timeout=20000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / shot), full_page=True)
        # the demand page after running the surge what-if: its table and chart
        page.goto(f"{base}/demand?period={PERIOD}")
        page.get_by_role("button", name="Run the surge").click()
        page.wait_for_selector("div.vega[data-spec='surge-chart'] svg", timeout=60000)
        page.wait_for_timeout(500)
        top = page.get_by_role("heading", name="What if 999 calls surge?").bounding_box()
        end = page.locator("#surge-result").bounding_box()
        assert top and end
        clip = {"x": 0, "y": top["y"] - 8, "width": 1280, "height": end["y"] + end["height"] + 16}
        clip["height"] -= clip["y"]
        page.screenshot(path=str(out / "web-demand-surge.png"), full_page=True, clip=clip)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4]))
