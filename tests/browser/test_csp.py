"""The Content-Security-Policy in a real browser: the staff pages that are not the dashboard (the Django admin and
the Swagger UI of the API) work under it, and the harness does see a violation when there is one.

The dashboard's own pages are walked by the other browser tests; the ``csp_violations`` fixture (conftest) fails
any of them on a violation.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.browser.conftest import session_cookie

pytestmark = [pytest.mark.browser]

VIEWPORT = {"width": 1280, "height": 900}


def test_the_harness_reports_a_violation(browser, live_server, csp_violations):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    # A page answered with the product's policy and an inline script: the browser must refuse it, and we see it.
    html = "<!doctype html><title>t</title><script>document.title = 'ran'</script><p style='color:red'>x</p>"
    page.route(
        f"{live_server.url}/csp-probe",
        lambda route: route.fulfill(
            status=200, body=html, content_type="text/html",
            headers={"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'"},
        ),
    )
    page.goto(f"{live_server.url}/csp-probe")
    page.wait_for_timeout(200)
    title = page.title()
    context.close()
    found = list(csp_violations)
    csp_violations.clear()  # expected here: the fixture must not fail this test
    assert title == "t"
    assert any("script" in line for line in found), found
    assert any("style" in line for line in found), found


@pytest.fixture
def staff(transactional_db) -> str:
    get_user_model().objects.create_superuser("sam-staff", "sam@example.com", "staff-pass-5512-kqw")
    return "sam-staff"


def _staff_page(browser, live_server, staff: str):
    context = browser.new_context(viewport=VIEWPORT)
    context.add_cookies([session_cookie(live_server.url, staff)])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def test_the_admin_works_under_the_policy(browser, live_server, staff):
    context, page, errors = _staff_page(browser, live_server, staff)
    for path in (
        "/admin/",
        "/admin/creators/creator/",
        "/admin/creators/importjob/",
        "/admin/creators/importjob/add/",
        "/admin/scoring/scoringrun/",
        "/admin/auth/user/",
        f"/admin/auth/user/{get_user_model().objects.get(username=staff).pk}/change/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert response.headers.get("content-security-policy"), path
        page.wait_for_load_state("load")
    # The admin's own scripts ran: the user change form's date-time shortcuts (admin/js/admin/DateTimeShortcuts.js)
    # and the changelist's select-all checkbox (admin/js/actions.js) are added by script.
    page.goto(f"{live_server.url}/admin/auth/user/")
    page.locator("#action-toggle").check()
    assert page.locator("#changelist-form .action-counter").inner_text().startswith("1 of 1")
    context.close()
    assert not errors


def test_the_swagger_ui_works_under_the_policy(browser, live_server, staff):
    context, page, errors = _staff_page(browser, live_server, staff)
    response = page.goto(f"{live_server.url}/api/v1/docs/")
    assert response is not None and response.status == 200
    assert response.headers.get("content-security-policy")
    # Swagger UI drew the operations from the schema: its start-up script (docs/?script) ran.
    page.locator(".opblock").first.wait_for(timeout=20_000)
    assert page.locator(".opblock").count() > 5
    context.close()
    assert not errors
