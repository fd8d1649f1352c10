"""The dashboard in a real browser: log in, filter, sort, read a scorecard, compare, shortlist, export.

Debian's Chromium driven by Playwright against the live server, with the real TikTok-2020 data imported and scored.
Every page is checked for JavaScript errors; every chart must have been drawn by Plotly (its SVG is in the page).
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest

from scoring.models import Scorecard

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORT = {"width": 1440, "height": 900}


class ConsoleErrors(list):
    """JavaScript errors and console errors seen by a page."""

    def watch(self, page) -> None:
        page.on("console", lambda message: self.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.append(str(error)))


def _log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # A partner user lands on its home page; these tests start from the list.
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/creators/")


def _table_handles(page) -> list[str]:
    return page.locator("#creator-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.handle)")


def test_an_analyst_finds_reads_compares_shortlists_and_exports(browser, live_server, scored_world, screenshot_dir):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    errors = ConsoleErrors()
    errors.watch(page)
    _log_in(page, live_server, scored_world.analyst, scored_world.password)
    assert page.locator("#data-as-of").inner_text().startswith("Data as of 7 November 2020")

    # Filter by category (the select applies itself) and an index range.
    page.get_by_label("Category", exact=True).select_option(scored_world.category)
    page.wait_for_url(f"**category={scored_world.category}**")
    page.get_by_label("Effectiveness at least").fill("20")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**effectiveness_min=20**")
    handles = _table_handles(page)
    assert handles, "the filter should leave some creators"
    cards = {
        c.creator.handle: c
        for c in Scorecard.objects.filter(run__is_published=True).select_related("creator__primary_category")
    }
    assert all(cards[h].effectiveness is not None and cards[h].effectiveness >= 20 for h in handles)

    # Sort by volume, largest first; the filters stay in the URL.
    page.locator('a[data-sort="volume"]').click()
    page.wait_for_url("**ordering=-volume**")
    assert f"category={scored_world.category}" in page.url
    sorted_handles = _table_handles(page)
    volumes = [cards[h].volume for h in sorted_handles]
    assert volumes == sorted(volumes, reverse=True)
    page.screenshot(path=str(screenshot_dir / "list.png"), full_page=False)

    # The CSV of this filtered view holds exactly the rows of the list.
    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    download = download_info.value
    assert download.suggested_filename.startswith("creators-") and download.suggested_filename.endswith(".csv")
    # Headers in words and a byte-order mark (utf-8-sig), so that Excel reads the accents.
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8-sig").read(), newline="")))
    total = int(page.locator("#result-count").get_attribute("data-total"))
    assert len(rows) == total
    assert [row["Handle"] for row in rows][: len(sorted_handles)] == sorted_handles
    # The Excel button beside it gives the same view as a workbook.
    with page.expect_download() as download_info:
        page.locator("#export-xlsx").click()
    assert download_info.value.suggested_filename.endswith(".xlsx")
    assert open(download_info.value.path(), "rb").read(2) == b"PK"

    # Open a scorecard: every chart is drawn by Plotly. (Category impact is shown for granted categories only,
    # so pick a creator whose primary category, where its videos count, is one of them.)
    first = next(h for h in sorted_handles if cards[h].creator.primary_category.slug in scored_world.categories)
    page.locator(f'#creator-table a[href="/creators/{first}/"]').click()
    page.wait_for_url(f"**/creators/{first}/")
    for chart in ("radar", "trend", "impact", "distribution"):
        page.wait_for_selector(f'#chart-{chart}[data-rendered="true"] svg.main-svg', timeout=15_000)
    page.screenshot(path=str(screenshot_dir / "scorecard.png"), full_page=True)

    # Add the creator to a new shortlist from its scorecard, then find it on the shortlist page.
    page.get_by_label("or a new shortlist").fill("Holiday campaign")
    page.get_by_label("Note", exact=True).fill("Strong engagement")
    page.get_by_role("button", name="Add to shortlist").click()
    page.wait_for_selector("text=added to “Holiday campaign”")
    page.goto(f"{live_server.url}/shortlists/")
    page.get_by_role("link", name="Holiday campaign").click()
    # count() does not wait: let the shortlist's page load first (it raced the navigation once under xdist).
    page.wait_for_url("**/shortlists/*/")
    assert page.locator(f'#shortlist-entries tr[data-handle="{first}"]').count() == 1

    # Compare three creators: a small radar each.
    trio = sorted_handles[:3] if len(sorted_handles) >= 3 else list(cards)[:3]
    page.goto(f"{live_server.url}/creators/compare/?{urlencode({'handles': ','.join(trio)})}")
    for position in range(len(trio)):
        page.wait_for_selector(f'#chart-compare-{position}[data-rendered="true"] svg.main-svg', timeout=15_000)
    assert page.locator("#compare-table thead th").count() == 1 + len(trio)

    assert list(errors) == []
    context.close()


def test_a_viewer_gets_no_export(browser, live_server, scored_world):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors = ConsoleErrors()
    errors.watch(page)
    _log_in(page, live_server, scored_world.viewer, scored_world.password)
    assert page.locator("#creator-table tbody tr").count() > 0
    assert page.locator("#export-csv").count() == 0
    assert page.locator("#export-xlsx").count() == 0
    assert list(errors) == []
    # Typing the URL anyway: the same answer as a page that does not exist.
    response = page.goto(f"{live_server.url}/creators/export.csv")
    assert response.status == 404
    context.close()


def test_the_real_data_shows_no_signal_for_care_not_zero(browser, live_server, scored_world):
    # The 2020 export has no shop links: care has no signal; it once read "Care 0.0 HIGH" on every scorecard.
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors = ConsoleErrors()
    errors.watch(page)
    _log_in(page, live_server, scored_world.analyst, scored_world.password)
    cells = page.locator('#creator-table td[data-col="care"]')
    assert cells.count() > 0
    assert set(cells.all_inner_texts()) <= {"no signal", "–"} and "no signal" in cells.all_inner_texts()
    handle = next(
        card.creator.handle
        for card in Scorecard.objects.filter(run__is_published=True, care_raw__isnull=False).select_related(
            "creator__primary_category")
        if card.creator.primary_category.slug in scored_world.categories
    )
    page.goto(f"{live_server.url}/creators/{handle}/")
    care = page.locator("#index-care")
    assert care.locator(".value").inner_text() == "No signal"
    assert "No signal in this run's data" in care.inner_text()
    assert care.locator(".conf").count() == 0
    page.wait_for_selector('#chart-trend[data-rendered="true"] svg.main-svg', timeout=15_000)
    assert list(errors) == []
    context.close()
