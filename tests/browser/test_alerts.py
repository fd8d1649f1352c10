"""Alerts in a real browser: follow creators (scorecard and list), a new run is published, the alert shows on
/notifications/ with exactly the moves of the published scorecards; read state, settings, phone width."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partners.access import access_for_user
from partners.models import Follow
from scoring.models import Scorecard, ScoringRun
from tests.browser.conftest import AS_OF, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def publish_a_later_run() -> ScoringRun:
    """A run four weeks after the fixture's last one, scored in-process (its publication runs the digest)."""
    from config.celery import app as celery_app
    from scoring.services import scoring_run_request

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        run = scoring_run_request(triggered_by="browser-test", as_of=AS_OF + timedelta(days=28))
    finally:
        celery_app.conf.task_always_eager = eager
    run.refresh_from_db()
    assert run.is_published, (run.status, run.error)
    return run


def expected_moves(run: ScoringRun, user, handles: list[str], threshold: int) -> dict[str, list[str]]:
    """Per followed handle, the labels of the visible indices that moved by at least ``threshold`` points."""
    from scoring.catalogue import FIELDS_BY_NAME

    access = access_for_user(user)
    moves: dict[str, list[str]] = {}
    for card in Scorecard.objects.visible_to(access).filter(run=run, creator__handle__in=handles).select_related(
        "creator"
    ):
        changes = {name: getattr(card, f"{name}_change") for name in access.visible_indices}
        labels = [
            FIELDS_BY_NAME[name].label
            for name, change in changes.items()
            if change is not None and round(abs(change), 1) >= threshold
        ]
        if labels:
            moves[card.creator.handle] = labels
    return moves


def test_follow_then_a_new_run_shows_the_alert_on_the_notifications_page(
    browser, live_server, scored_world, screenshot_dir
):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    viewer = users.get(username=scored_world.viewer)
    context = browser.new_context(viewport=WIDE)
    context.add_cookies([session_cookie(live_server.url, viewer.username)])
    page = context.new_page()

    # A low threshold, set on the page: most followed creators then move by at least that much in four weeks.
    page.goto(f"{live_server.url}/notifications/")
    assert page.locator("#no-alerts").is_visible()
    page.get_by_label("Alert me when an index moves by at least (points)").fill("1")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/notifications/")
    assert "Alert settings saved." in page.locator(".messages").inner_text()

    # Follow the list's first three creators with the stars, and a fourth from its scorecard.
    page.goto(f"{live_server.url}/creators/")
    handles = page.locator("#creator-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.handle)")[:4]
    for handle in handles[:3]:
        page.get_by_role("button", name=f"Follow @{handle}", exact=True).click()
        page.wait_for_load_state()
        assert page.get_by_role("button", name=f"Stop following @{handle}", exact=True).is_visible()
    page.goto(f"{live_server.url}/creators/{handles[3]}/")
    page.get_by_role("button", name=f"Follow @{handles[3]}", exact=True).click()
    page.wait_for_url(f"{live_server.url}/creators/{handles[3]}/")
    assert page.get_by_role("button", name=f"Stop following @{handles[3]}").is_visible()
    page.screenshot(path=str(screenshot_dir / "alerts-scorecard-followed.png"), full_page=False)
    page.goto(f"{live_server.url}/creators/")
    page.screenshot(path=str(screenshot_dir / "alerts-list-stars.png"), full_page=False)
    assert set(Follow.objects.filter(user=viewer).values_list("creator__handle", flat=True)) == set(handles)

    # The analyst and the manager follow the same creators (their pages are looked at below).
    for username in (scored_world.analyst, scored_world.manager):
        user = users.get(username=username)
        Follow.objects.bulk_create(
            Follow(user=user, creator_id=follow.creator_id) for follow in Follow.objects.filter(user=viewer)
        )

    run = publish_a_later_run()
    moves = expected_moves(run, viewer, handles, threshold=1)
    assert moves, "four weeks later some followed creator should have moved"

    page.goto(f"{live_server.url}/notifications/")
    digest = page.locator("article.digest").first
    assert "New" in digest.locator(".badge").inner_text()
    shown = digest.locator("table.moves tbody tr:not(.creator-row)")
    assert shown.count() == sum(len(labels) for labels in moves.values())
    text = digest.inner_text()
    for handle, labels in moves.items():
        assert f"@{handle}" in text
        for label in labels:
            assert label in text
    for handle in set(handles) - set(moves):
        assert f"@{handle}" not in text
    page.screenshot(path=str(screenshot_dir / "alerts.png"), full_page=True)

    digest.get_by_role("button", name="Mark as read").click()
    page.wait_for_url(f"{live_server.url}/notifications/")
    assert page.locator("article.digest.unread").count() == 0

    # The analyst and the manager see the same alert; every page fits a phone without sideways scrolling.
    for username in (scored_world.viewer, scored_world.analyst, scored_world.manager):
        for name, viewport in (("wide", WIDE), ("phone", PHONE)):
            other = browser.new_context(viewport=viewport)
            other.add_cookies([session_cookie(live_server.url, username)])
            view = other.new_page()
            view.goto(f"{live_server.url}/notifications/")
            assert view.locator("article.digest").count() == 1
            width = view.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{username} {name}: the page is {width}px wide"
            view.screenshot(path=str(screenshot_dir / f"alerts-{username}-{name}.png"), full_page=True)
            other.close()
    phone = browser.new_context(viewport=PHONE)
    phone.add_cookies([session_cookie(live_server.url, viewer.username)])
    list_page = phone.new_page()
    list_page.goto(f"{live_server.url}/creators/")
    assert list_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert list_page.get_by_role("button", name=f"Stop following @{handles[0]}", exact=True).is_visible()
    list_page.screenshot(path=str(screenshot_dir / "alerts-list-phone.png"), full_page=False)
    phone.close()
    context.close()
