"""Similar creators on the scorecard (issue 20 item 1), in a real browser on the real TikTok-2020 data: the block
lists visible creators with their reasons, fits a 390 px phone without sideways scrolling, and each entry opens
that creator's scorecard. Every role sees it (it is part of the scorecard)."""

from __future__ import annotations

import pytest

from creators.selectors import creator_list
from partners.access import access_for_user
from tests.browser.conftest import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORTS = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}


@pytest.mark.parametrize("role", ["viewer", "analyst", "manager"])
def test_the_similar_creators_block_at_1440_and_390(browser, live_server, scored_world, screenshot_dir, role):
    from django.contrib.auth import get_user_model

    username = getattr(scored_world, role)
    access = access_for_user(get_user_model().objects.get(username=username))
    visible = {row["handle"] for row in creator_list(access=access).values("handle")}
    # The best-scored creator with an overall score (PostgreSQL sorts nulls first in a descending order).
    handle = (
        creator_list(access=access).filter(overall__isnull=False).order_by("-overall").values_list("handle", flat=True)
        .first()
    )
    for width, viewport in VIEWPORTS.items():
        context = browser.new_context(viewport=viewport)
        context.add_cookies([session_cookie(live_server.url, username)])
        page = context.new_page()
        page.goto(f"{live_server.url}/creators/{handle}/")
        block = page.locator("#similar-creators")
        block.scroll_into_view_if_needed()
        listed = [text.lstrip("@") for text in page.locator("#similar-list .similar-handle").all_inner_texts()]
        assert listed and set(listed) <= visible - {handle}, listed
        reasons = page.locator("#similar-list .similar-reason").all_inner_texts()
        assert all(reason.startswith("Same categor") and " on " in reason for reason in reasons), reasons
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow == 0, f"the page scrolls sideways by {overflow} px at {width}"
        box = block.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        block.screenshot(path=str(screenshot_dir / f"similar-{role}-{width}.png"))
        page.locator("#similar-list .similar-handle").first.click()
        page.wait_for_url(f"**/creators/{listed[0]}/")
        assert page.locator("h1").inner_text() == f"@{listed[0]}"
        context.close()
