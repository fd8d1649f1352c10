"""Never a raw error page, in a real browser (issue 18.2): the 404 keeps the navigation, a refused form is a
branded 403 that says to reload, the Export button shows the quota and an export over it opens the branded 429
page (no cancelled ``export.txt`` download). Screenshots at 1440 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import _axe
from tests.browser.test_dashboard import ConsoleErrors, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (1440, 390)


@pytest.mark.parametrize("width", WIDTHS)
def test_error_pages_are_pages_of_the_product(browser, live_server, scored_world, screenshot_dir, settings, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors = ConsoleErrors()
    errors.watch(page)
    _log_in(page, live_server, scored_world.analyst, scored_world.password)

    # 404: the header keeps the partner, the user and log out.
    response = page.goto(f"{live_server.url}/creators/no-such-creator-anywhere/")
    assert response.status == 404
    assert page.locator("#not-found h1").inner_text() == "Not found"
    assert page.locator("header .who a.logout").is_visible()
    assert scored_world.partner_name in page.locator("header").inner_text()
    page.screenshot(path=str(screenshot_dir / f"error-404-{width}.png"), full_page=True)
    assert _axe(page) == []

    # CSRF: a form whose token no longer matches (as after logging in again in another tab).
    page.goto(f"{live_server.url}/accounts/logout/")
    page.evaluate("document.querySelector('input[name=csrfmiddlewaretoken]').value = 'x'.repeat(64)")
    with page.expect_navigation():
        page.locator("#logout-submit").click()
    assert page.locator("#csrf-title").inner_text() == "This form has expired"
    assert "Reload the page" in page.locator("main").inner_text()
    assert page.locator("header .who a.logout").is_visible()  # still logged in, navigation there
    page.screenshot(path=str(screenshot_dir / f"error-403-csrf-{width}.png"), full_page=True)
    assert _axe(page) == []

    # The quota beside the button, then an export larger than what is left: the 429 page, not a download.
    settings.EXPORT_DAILY_ROW_QUOTA = 1
    page.goto(f"{live_server.url}/creators/")
    assert "1 of 1 export rows left today" in page.locator("#export-quota").inner_text()
    downloads: list = []
    page.on("download", lambda download: downloads.append(download))
    with page.expect_navigation():
        page.locator("#export-csv").click()
    assert page.locator("#limit-title").inner_text() == "Daily export limit reached"
    assert "resets at 00:00 UTC" in page.locator("#quota-message").inner_text()
    assert downloads == []
    page.screenshot(path=str(screenshot_dir / f"error-429-export-{width}.png"), full_page=True)
    assert _axe(page) == []

    # Used up: the button says so instead of starting anything.
    settings.EXPORT_DAILY_ROW_QUOTA = 0
    page.goto(f"{live_server.url}/creators/")
    assert page.locator("#export-csv").get_attribute("aria-disabled") == "true"
    assert "Daily export limit" in page.locator("#export-quota").inner_text()
    page.screenshot(path=str(screenshot_dir / f"export-quota-used-up-{width}.png"))
    assert _axe(page) == []
    # The browser logs each error status of the page itself (404, 403, 429) as a failed load: nothing else.
    assert [error for error in errors if not error.startswith("Failed to load resource")] == []
    context.close()
