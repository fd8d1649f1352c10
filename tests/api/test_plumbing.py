"""The API's common behaviour: schema and docs served locally, JSON errors, no-store, throttling."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user():
    return get_user_model().objects.create_user("sam-staff", password="pw-sam-123456", is_staff=True)


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


def test_schema_is_openapi_3_and_requires_authentication(staff_client):
    assert APIClient().get("/api/v1/schema/").status_code == 401
    response = staff_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/token/" in schema["paths"]
    assert "no-store" in response["Cache-Control"]


def test_docs_page_loads_its_assets_from_the_project(client, staff_user):
    client.force_login(staff_user)
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
    assert assets, "the docs page references its scripts and styles"
    for url in assets:
        # Served by this project (no CDN, no external network) and actually there.
        assert url.startswith("/static/"), url
        assert client.get(url).status_code == 200, url


def test_unknown_api_path_is_a_json_404(staff_client):
    response = staff_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert "no-store" in response["Cache-Control"]


def test_missing_credentials_answer_401_with_a_challenge():
    response = APIClient().get("/api/v1/scoring-runs/1/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert set(response.json()) == {"detail"}
    assert "no-store" in response["Cache-Control"]


def test_invalid_token_answers_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/scoring-runs/1/").status_code == 401


def test_validation_errors_name_each_field(staff_client):
    response = staff_client.post("/api/v1/scoring-runs/", {"window_days": "many", "as_of": "yesterday"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert set(body["errors"]) == {"window_days", "as_of"}
    assert all(isinstance(message, str) for messages in body["errors"].values() for message in messages)


def test_user_throttle_answers_429_with_retry_after(staff_user, settings):
    caches["throttle"].clear()
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], user="3/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.throttling import SimpleRateThrottle

    # DRF copies the rates at import time; point the throttles at the overridden ones for this test.
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        client = APIClient()
        client.force_authenticate(staff_user)
        statuses = [client.get("/api/v1/scoring-runs/999999/").status_code for _ in range(4)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
        caches["throttle"].clear()
    assert statuses == [404, 404, 404, 429]


def test_token_throttle_counts_per_token(staff_user):
    caches["throttle"].clear()
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {**original, "token": "2/min"}
    try:
        token = Token.objects.create(user=staff_user)
        with_token = APIClient()
        with_token.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        by_token = [with_token.get("/api/v1/scoring-runs/999999/").status_code for _ in range(3)]
        # The same user through a session is not held back by the token's counter.
        session = APIClient()
        session.force_login(staff_user)
        by_session = session.get("/api/v1/scoring-runs/999999/").status_code
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
        caches["throttle"].clear()
    assert by_token == [404, 404, 429]
    assert by_session == 404


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    # --fail-on-warn: an undocumented view, an unresolvable serializer or an ambiguous enum fails here.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_every_list_filter_is_described_with_an_example():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/creators/"]["get"]["parameters"]}
    expected = {"q", "category", "country", "followers_min", "followers_max", "impact_category", "impact_min",
                "ordering", "page", "page_size"}
    expected |= {f"{index}_{bound}" for index in ("overall", "collaboration", "care", "volume", "effectiveness",
                                                   "sales", "consistency") for bound in ("min", "max")}
    assert expected <= set(parameters)
    for name in expected:
        assert parameters[name].get("description"), name
    for name in expected - {"page", "page_size"}:
        assert parameters[name].get("examples") or parameters[name].get("example"), name
