"""Never a raw error page (issue 18.2): branded 400/403/404/429/500 pages with the navigation, the CSRF failure
page, unknown API parameters and the export quota beside the button."""

from __future__ import annotations

import pytest
from django.db import connections
from django.template import loader
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

LIST = "/api/v1/creators/"
EXPORT = "/api/v1/creators/export.csv"


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_hidden_creator_and_a_missing_one_answer_the_same_bytes_with_the_navigation(world, alice_client):
    hidden = alice_client.get(f"/creators/{world.handles_b[0]}/")
    missing = alice_client.get("/creators/nobody-has-this-handle/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    page = missing.content.decode()
    # The header keeps who is logged in, the partner and log out (a link: no per-request token in it).
    assert "alice" in page and world.partner_a.name in page
    assert f'href="{reverse("logout")}"' in page
    assert "csrfmiddlewaretoken" not in page


def test_log_out_asks_for_confirmation_then_logs_out(world, alice_client):
    confirm = alice_client.get(reverse("logout"))
    assert confirm.status_code == 200
    assert b"csrfmiddlewaretoken" in confirm.content
    assert alice_client.get("/creators/").status_code == 200
    assert alice_client.post(reverse("logout")).status_code == 302
    assert alice_client.get("/creators/").status_code == 302  # to the login page


def test_a_refused_csrf_token_is_a_branded_403_that_says_to_reload(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["alice"])
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "This form has expired" in page and "Reload the page" in page
    assert world.partner_a.name in page  # the navigation is there


def test_the_500_page_renders_without_the_database(world, client):
    def no_database(*args, **kwargs):
        raise AssertionError("the 500 page must not query")

    with connections["default"].execute_wrapper(no_database):
        body = loader.get_template("500.html").render()
    assert "Something went wrong" in body and "Creator<span>Scorecards" in body


@pytest.mark.parametrize("template", ["400.html", "403.html", "429.html"])
def test_the_error_pages_extend_the_layout(world, alice_client, template, rf):
    request = rf.get("/")
    request.user = world.users["alice"]
    body = loader.get_template(template).render({}, request)
    assert f"Error {template[:3]}" in body and world.partner_a.name in body


def test_handler400_is_the_branded_page(world, alice_client):
    from config.errors import bad_request

    request = alice_client.get("/creators/").wsgi_request
    response = bad_request(request)
    assert response.status_code == 400 and b"Error 400" in response.content


@pytest.mark.parametrize("path", [LIST, EXPORT, "/api/v1/creators/export.xlsx"])
def test_an_unknown_api_parameter_is_a_400_naming_it(world, path):
    response = api_client(world.users["alice"]).get(path, {"overall_minn": "3", "overall_min": "1"})
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["overall_minn"]
    assert "overall_minn" in body["detail"]


def test_the_known_api_parameters_are_accepted(world):
    client = api_client(world.users["alice"])
    response = client.get(LIST, {"overall_min": "1", "ordering": "-overall", "page_size": "5", "format": "json"})
    assert response.status_code == 200
    assert client.get(EXPORT, {"q": "beauty", "ordering": "handle", "bom": "1"}).status_code == 200


def test_the_html_list_keeps_its_own_parameters(world, alice_client):
    assert alice_client.get("/creators/", {"columns": "followers,overall", "page": "1"}).status_code == 200


def test_the_export_button_shows_the_rows_left_and_the_used_up_quota(world, alice_client, settings):
    rows = len(world.handles_a)
    settings.EXPORT_DAILY_ROW_QUOTA = rows + 2
    page = alice_client.get("/creators/").content.decode()
    assert f"{rows + 2} of {rows + 2} export rows left today" in page
    assert " download>" not in page
    assert alice_client.get("/creators/export.csv").status_code == 200
    page = alice_client.get("/creators/").content.decode()
    assert "2 of" in page and "export rows left today" in page
    settings.EXPORT_DAILY_ROW_QUOTA = rows
    page = alice_client.get("/creators/").content.decode()
    assert "Daily export limit" in page and 'aria-disabled="true"' in page


@pytest.mark.parametrize("path", ["/creators/export.csv", "/creators/export.xlsx"])
def test_the_export_over_the_quota_is_a_branded_html_429(world, alice_client, settings, path):
    settings.EXPORT_DAILY_ROW_QUOTA = len(world.handles_a) + 2
    assert alice_client.get("/creators/export.csv").status_code == 200
    response = alice_client.get(path)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "Daily export limit reached" in page and world.partner_a.name in page
