"""``GET /api/v1/creators/export.csv``: the filtered visible set as CSV, same rules as the dashboard export."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from partners.models import AuditEvent
from scoring.catalogue import FIELDS, Tier
from tests.export_helpers import csv_table, keyed

EXPORT = "/api/v1/creators/export.csv"
COMMERCIAL = {spec.name for spec in FIELDS if spec.tier == Tier.COMMERCIAL}


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def read_csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return keyed(csv_table(body.encode()))


def test_it_exports_the_filtered_visible_creators(world):
    response = api_client(world.users["alice"]).get(EXPORT, {"category": "beauty", "ordering": "handle"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = read_csv(response)
    assert [row["handle"] for row in rows] == world.handles_in("beauty")
    assert {"sales", "gmv", "overall"} <= set(rows[0])


def test_it_leaves_out_columns_of_tiers_not_granted(world):
    rows = read_csv(api_client(world.users["charlie"]).get(EXPORT))
    assert sorted(row["handle"] for row in rows) == world.handles_b
    assert not COMMERCIAL & set(rows[0])


def test_clients_asking_for_csv_get_it(world):
    response = api_client(world.users["alice"]).get(EXPORT, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert len(read_csv(response)) == len(world.handles_a)


def test_a_hidden_filter_is_a_400(world):
    response = api_client(world.users["charlie"]).get(EXPORT, {"sales_min": 10})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["sales_min"]


def test_the_export_is_audited_with_its_row_count(world):
    api_client(world.users["alice"]).get(EXPORT, {"category": "fashion"})
    event = AuditEvent.objects.get(user=world.users["alice"], action="creator.export")
    assert event.row_count == len(world.handles_in("fashion"))
    assert event.export_id


def test_beyond_the_daily_quota_it_answers_429_in_json(world, settings):
    settings.EXPORT_DAILY_ROW_QUOTA = len(world.handles_a) + 2
    client = api_client(world.users["alice"])
    assert client.get(EXPORT).status_code == 200
    response = client.get(EXPORT)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "quota" in response.json()["detail"]
    assert AuditEvent.objects.filter(user=world.users["alice"], action="export.quota_exceeded").exists()


@pytest.mark.parametrize("persona,status", [("bob", 403), ("dana", 403), ("sam", 403)])
def test_only_analysts_and_managers_export(world, persona, status):
    assert api_client(world.users[persona]).get(EXPORT).status_code == status


def test_anonymous_export_is_401(world):
    assert APIClient().get(EXPORT).status_code == 401
