"""Saved searches in a real browser: save the list's filters, find them on /searches/ with their count, open one.

Debian's Chromium through Playwright against the live server, on the real TikTok-2020 data scored twice. The
screenshots (1440 and 390 px, each role) are kept in docs/screenshots with ``UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard import ConsoleErrors, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _page(browser, live_server, world, username: str, viewport: dict):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    errors = ConsoleErrors()
    errors.watch(page)
    _log_in(page, live_server, username, world.password)
    return context, page, errors


def test_an_analyst_saves_a_search_and_sees_it_with_its_count(
    browser, live_server, scored_world, screenshot_dir, tmp_path
):
    context, page, errors = _page(browser, live_server, scored_world, scored_world.analyst, DESKTOP)
    page.get_by_label("Category", exact=True).select_option(scored_world.category)
    page.wait_for_url(f"**category={scored_world.category}**")
    page.get_by_label("Overall at least").fill("30")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**overall_min=30**")
    listed = int(page.locator("#result-count").get_attribute("data-total"))
    assert listed > 0

    page.locator("#save-search > summary").click()
    page.get_by_label("Name", exact=True).fill("Strong in my category")
    page.get_by_label("Share with my organisation").check()
    page.screenshot(path=str(tmp_path / "list-save-search.png"))  # to look at; not one of the README's
    page.get_by_role("button", name="Save search").click()
    page.wait_for_url("**/searches/**")
    item = page.locator(".search-item", has_text="Strong in my category")
    assert item.locator("[data-count]").inner_text() == f"{listed:,}"
    assert item.locator("[data-new]").inner_text() == "0"
    assert "Overall at least 30" in item.locator(".search-filters").inner_text()
    assert page.locator(".messages").inner_text().startswith("Saved “Strong in my category” and shared")
    page.screenshot(path=str(screenshot_dir / "searches.png"), full_page=True)

    # The home page lists it with the same count, and opens it.
    page.goto(f"{live_server.url}/")
    on_home = page.locator("#home-searches .home-search", has_text="Strong in my category")
    assert on_home.locator("[data-count]").inner_text() == f"{listed:,}"
    assert on_home.locator("[data-new]").inner_text() == "0"
    on_home.get_by_role("button", name="Open “Strong in my category”").click()
    page.wait_for_url("**/creators/?**")
    assert int(page.locator("#result-count").get_attribute("data-total")) == listed
    page.goto(f"{live_server.url}/searches/")

    # Opening it shows the same list.
    item.get_by_role("button", name="Open “Strong in my category”").click()
    page.wait_for_url("**/creators/?**")
    assert int(page.locator("#result-count").get_attribute("data-total")) == listed
    assert "overall_min=30" in page.url and f"category={scored_world.category}" in page.url
    assert not errors, errors
    context.close()

    # The viewer sees the shared search, read-only, and may subscribe; at 390 px nothing overflows.
    context, page, errors = _page(browser, live_server, scored_world, scored_world.viewer, PHONE)
    page.goto(f"{live_server.url}/searches/")
    item = page.locator(".search-item", has_text="Strong in my category")
    assert item.locator("[data-count]").inner_text() == f"{listed:,}"
    assert item.get_by_text("Rename, share or delete").count() == 0
    item.get_by_role("button", name="Email me new matches").click()
    page.wait_for_url("**/searches/**")
    assert page.locator(".search-item", has_text="Strong in my category").get_by_role(
        "button", name="Email alerts on"
    ).count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide at 390 px"
    page.screenshot(path=str(screenshot_dir / "searches-phone.png"), full_page=True)
    assert not errors, errors
    context.close()

    # The manager (another user): the colleague's search under "Shared by your colleagues"; the list's save form
    # fits the phone too.
    context, page, errors = _page(browser, live_server, scored_world, "max-manager", PHONE)
    page.goto(f"{live_server.url}/searches/")
    assert page.locator("#shared-searches .search-item").count() == 1
    page.goto(f"{live_server.url}/creators/")
    page.locator("#save-search > summary").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(tmp_path / "list-save-search-phone.png"))
    assert not errors, errors
    context.close()
