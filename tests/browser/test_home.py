"""The home page in a real browser: a partner user logs in, lands on what changed between the last two runs (the
real TikTok-2020 data scored twice, same window) and follows a mover to its scorecard; the page fits 390 px."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from partners.access import access_for_user
from scoring.models import Scorecard, ScoringRun
from tests.browser.conftest import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _page_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_an_analyst_lands_on_the_movers_and_opens_one(browser, live_server, scored_world, screenshot_dir):
    run = ScoringRun.objects.get(is_published=True)
    assert run.compared_run_id is not None, "the two runs of the same window are compared"
    analyst = get_user_model().objects.get(username=scored_world.analyst)
    # The biggest rise among the creators the partner sees (its three categories).
    biggest = (
        Scorecard.objects.visible_to(access_for_user(analyst)).filter(overall_change__gt=0).select_related("creator")
        .order_by("-overall_change", "-creator_id").first()
    )
    assert biggest is not None, "some creator rose between the two real runs"

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(scored_world.analyst)
    page.get_by_label("Password").fill(scored_world.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="What changed").is_visible()
    assert page.locator("#data-as-of").inner_text().startswith("Data as of 7 November 2020")

    overall = page.locator("#movers-overall")
    up = overall.locator('[data-direction="up"] li')
    assert up.count() >= 1
    # The biggest rise first, with its signed change in points (text, not colour only).
    first = up.first
    assert first.locator("a").get_attribute("href") == f"/creators/{biggest.creator.handle}/"
    assert f"+{biggest.overall_change:.1f}" in first.inner_text() and "points" in first.text_content()
    page.screenshot(path=str(screenshot_dir / "home-1440.png"), full_page=True)
    assert _page_overflow(page) == 0

    first.locator("a").click()
    page.wait_for_url(f"{live_server.url}/creators/{biggest.creator.handle}/")
    assert errors == []
    context.close()


@pytest.mark.parametrize("role", ["viewer", "analyst", "manager"])
def test_the_home_page_fits_a_phone(browser, live_server, scored_world, screenshot_dir, role):
    username = {"viewer": scored_world.viewer, "analyst": scored_world.analyst, "manager": scored_world.manager}[role]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    context.add_cookies([session_cookie(live_server.url, username)])
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    assert page.locator("#movers-overall").is_visible()
    page.screenshot(path=str(screenshot_dir / f"home-390-{role}.png"), full_page=True)
    assert _page_overflow(page) == 0
    context.close()
