"""The creator list's changes in a real browser (issue 19 part 4): at 1440 and 390 px the list sorted by the
biggest rise shows an arrow and the signed delta under each score, with the words for screen readers, and the page
does not widen.

``scored_world`` has two 90-day runs of the real TikTok-2020 data, so the published one is compared with the first.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
CHANGE_TEXT = re.compile(r"^[▲▼=]\u2009([+\u2212]\d+\.\d|0\.0)$")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_the_list_shows_the_biggest_risers_with_arrows_without_widening_the_page(
    browser, live_server, scored_world, screenshot_dir, viewport
):
    context = browser.new_context(viewport=viewport)
    context.add_cookies([session_cookie(live_server.url, scored_world.analyst)])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Chosen in the filter panel's "Sort by" (folded on a phone); the panel applies a select as it changes.
    page.goto(f"{live_server.url}/creators/")
    if viewport is PHONE:
        page.locator("#filters-toggle").click()
    with page.expect_navigation():
        page.select_option("#id_ordering", "-overall_change")
    if "ordering=-overall_change" not in page.url:
        page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**ordering=-overall_change**")

    first = page.locator("#creator-table tbody tr").first.locator('td[data-col="overall"] .change')
    assert first.is_visible()
    assert CHANGE_TEXT.match(first.locator('[aria-hidden="true"]').inner_text().strip())
    assert "up" in first.get_attribute("class") + first.inner_text() or "flat" in first.get_attribute("class")
    words = first.locator(".visually-hidden").text_content() or ""
    assert re.search(r"\((up|down) \d+\.\d points|unchanged", words), words
    # Largest rise first: the first row's overall change is at least the second's.
    deltas = page.locator('#creator-table tbody td[data-col="overall"] .change [aria-hidden="true"]').all_inner_texts()
    numbers = [float(text.split("\u2009")[1].replace("\u2212", "-")) for text in deltas[:5]]
    assert numbers == sorted(numbers, reverse=True) and numbers
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow == 0
    if viewport is DESKTOP:
        wrap = page.evaluate("(() => { const w = document.querySelector('#creator-table-wrap');"
                             " return w.scrollWidth - w.clientWidth; })()")
        assert wrap == 0
    page.screenshot(path=str(screenshot_dir / f"list-changes-{viewport['width']}.png"))
    assert errors == []
    context.close()
