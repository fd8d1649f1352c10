"""Structured logs: the request id is accepted or assigned and echoed, and every line carries it, the user and
the partner."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.auth import get_user_model

from config.logging import REQUEST_ID_HEADER, log_context
from tests.conftest import PERSONA_PASSWORD


@pytest.mark.django_db
def test_it_echoes_a_valid_incoming_request_id(client):
    response = client.get("/", HTTP_X_REQUEST_ID="lb-7f3a.42:abc")
    assert response[REQUEST_ID_HEADER] == "lb-7f3a.42:abc"


@pytest.mark.django_db
def test_it_assigns_a_request_id_when_none_comes_in(client):
    first = client.get("/")[REQUEST_ID_HEADER]
    second = client.get("/")[REQUEST_ID_HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["two words", "x" * 129, "evil\r\nSet-Cookie: a=b", "", '"quoted"'])
def test_it_replaces_an_unsafe_incoming_request_id(client, incoming):
    response = client.get("/", HTTP_X_REQUEST_ID=incoming)
    assert re.fullmatch(r"[0-9a-f]{32}", response[REQUEST_ID_HEADER])


@pytest.mark.django_db
def test_errors_and_redirects_carry_the_request_id_too(client):
    assert client.get("/no-such-page/")[REQUEST_ID_HEADER]
    assert client.get("/admin/")[REQUEST_ID_HEADER]  # a redirect to the login page


@pytest.mark.django_db
def test_it_writes_one_json_access_line_per_request_with_status_and_duration(client, json_log):
    client.get("/", HTTP_X_REQUEST_ID="req-access-1")
    [line] = json_log.find(logger="scorecards.request")
    assert line["request_id"] == "req-access-1"
    assert line["method"] == "GET"
    assert line["path"] == "/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO"
    assert {"time", "message", "user", "partner"} <= set(line)


@pytest.mark.django_db
def test_lines_logged_while_serving_a_request_share_its_id(client, json_log):
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-404")
    # Django's own "Not Found" warning is logged after the middleware returned; it still carries the id.
    warning = json_log.find(logger="django.request")
    assert warning and all(line["request_id"] == "req-404" for line in warning)
    assert json_log.find(logger="scorecards.request", request_id="req-404", status=404)


@pytest.mark.django_db
def test_the_access_line_names_the_logged_in_user(client, json_log):
    staff = get_user_model().objects.create_user("sam", password="pw-sam-12345", is_staff=True, is_superuser=True)
    client.force_login(staff)
    client.get("/admin/", HTTP_X_REQUEST_ID="req-admin")
    [line] = json_log.find(logger="scorecards.request", request_id="req-admin")
    assert line["status"] == 200
    assert line["user"] == "sam"


@pytest.mark.django_db
def test_an_anonymous_request_logs_no_user_and_costs_no_query_for_it(client, json_log, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/healthz")
        client.get("/")
    [line] = json_log.find(logger="scorecards.request")
    assert line["user"] is None
    assert line["partner"] is None


def test_lines_outside_a_request_have_no_request_id(json_log):
    logging.getLogger("scorecards.test").warning("background work")
    [line] = json_log.find(logger="scorecards.test")
    assert line["request_id"] is None
    assert line["message"] == "background work"


def test_a_bound_context_reaches_every_logger(json_log):
    with log_context(request_id="ctx-1"):
        logging.getLogger("some.library").warning("inside")
    logging.getLogger("some.library").warning("outside")
    inside, outside = json_log.find(logger="some.library")
    assert inside["request_id"] == "ctx-1"
    assert outside["request_id"] is None


def test_the_plain_format_for_development_shows_the_request_id(plain_log):
    with log_context(request_id="dev-7"):
        logging.getLogger("scorecards.test").warning("hello")
    [line] = plain_log.lines()
    assert "[dev-7]" in line and line.endswith("hello")


def test_exceptions_are_logged_as_one_json_line(json_log):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("scorecards.test").exception("failed")
    [line] = json_log.find(logger="scorecards.test")
    assert line["level"] == "ERROR"
    assert "ValueError: boom" in line["exc_info"]
    assert len(json_log.lines()) == 1


@pytest.mark.urls("tests.ops.urls")
def test_lines_of_a_partner_request_name_the_user_and_the_partner(world, alice_client, json_log):
    response = alice_client.get("/partner-view/", HTTP_X_REQUEST_ID="req-alice")
    assert response.content == b"True"
    inside = json_log.find(logger="scorecards.test", request_id="req-alice")
    access = json_log.find(logger="scorecards.request", request_id="req-alice")
    assert len(inside) == 1 and len(access) == 1
    for line in inside + access:
        assert line["user"] == "alice"
        assert line["partner"] == "Acme Beauty"


@pytest.mark.urls("tests.ops.urls")
def test_a_user_without_partner_is_logged_without_one(world, dana_client, json_log):
    dana_client.get("/partner-view/", HTTP_X_REQUEST_ID="req-dana")
    [line] = json_log.find(logger="scorecards.request", request_id="req-dana")
    assert line["user"] == "dana"
    assert line["partner"] is None


def test_api_calls_with_a_token_are_logged_with_user_and_partner(world, json_log):
    from rest_framework.test import APIClient

    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": PERSONA_PASSWORD}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/creators/", HTTP_X_REQUEST_ID="req-api-alice")
    assert response.status_code == 200
    [line] = json_log.find(logger="scorecards.request", request_id="req-api-alice")
    assert line["user"] == "alice"
    assert line["partner"] == "Acme Beauty"
