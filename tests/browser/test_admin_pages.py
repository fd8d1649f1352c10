"""The scoring-run admin at 1440 px: the list reads beside its filters without a sideways scroll, the run page
shows its medians as tables (issue 18 item 7). Screenshots: ``admin-runs.png``, ``admin-run.png``.

Debian's Chromium through Playwright, against a small world scored by the real engine.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def scored_runs(transactional_db, django_user_model):
    """Two runs of 24 creators across the follower tiers, scored in-process, and a staff user."""
    from config.celery import app as celery_app
    from scoring.services import scoring_run_request
    from tests.scoring.builders import AS_OF, make_creator, make_videos

    for number in range(24):  # enough per group for every index to be ranked
        make_videos(make_creator(f"creator_{number}", followers=5_000 * 3 ** (number % 8)),
                    list(range(1, 2 + number % 7 * 3)), likes=10 + number * 7, comments=number % 5)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        runs = [scoring_run_request(triggered_by="browser-test", as_of=AS_OF) for _ in range(2)]
    finally:
        celery_app.conf.task_always_eager = eager
    django_user_model.objects.create_user("staff-sue", password="x-7731-qxz-pass", is_staff=True, is_superuser=True)
    return runs


def test_the_run_list_fits_beside_its_filters_and_the_run_page_shows_tables(browser, live_server, scored_runs,
                                                                            screenshot_dir):
    context = browser.new_context(viewport=DESKTOP)
    context.add_cookies([session_cookie(live_server.url, "staff-sue")])
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/scoring/scoringrun/")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    # The results table needs no scroll of its own and ends before the filter sidebar starts.
    assert page.evaluate("(() => { const r = document.querySelector('.results');"
                         " return r.scrollWidth - r.clientWidth; })()") == 0
    table = page.locator("#result_list").bounding_box()
    filters = page.locator("#changelist-filter").bounding_box()
    assert table["x"] + table["width"] <= filters["x"] + 1
    # Every header on one or two lines: no column squeezed to a letter per line.
    heights = page.locator("#result_list thead th").evaluate_all("ths => ths.map(th => th.offsetHeight)")
    assert max(heights) <= 2.5 * min(heights)
    page.screenshot(path=str(screenshot_dir / "admin-runs.png"))

    page.goto(f"{live_server.url}/admin/scoring/scoringrun/{scored_runs[-1].pk}/change/")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    groups = page.locator("#run-medians-groups")
    assert groups.is_visible() and groups.locator("tbody tr").count() > 3
    assert page.locator("#run-medians-population tbody tr").count() > 3
    assert page.get_by_text('"groups"').count() == 0
    page.screenshot(path=str(screenshot_dir / "admin-run.png"), full_page=True)
    context.close()
