"""Compare (up to five, shared radar) and the CSV export (roles, rows = the filtered list, quota, audit)."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone

from partners.models import AuditEvent
from scoring.models import Scorecard
from tests.export_helpers import csv_table, keyed

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return keyed(csv_table(body.encode()))


def _list_handles(client, params) -> list[str]:
    html = client.get("/creators/", params).content.decode()
    return re.findall(r'<tr data-handle="([^"]+)"', html)


def test_compare_shows_three_creators_side_by_side_with_a_small_radar_each(world, alice_client):
    handles = world.handles_a[:3]
    response = alice_client.get("/creators/compare/", {"handles": ",".join(handles)})
    html = response.content.decode()
    assert response.status_code == 200
    for handle in handles:
        assert f"@{handle}</a></th>" in html
    for position, handle in enumerate(handles):
        figure = json.loads(
            re.search(rf'<script id="fig-compare-{position}" type="application/json">(.*?)</script>', html, re.S)[1]
        )
        # Its own creator drawn last, over the two others.
        assert [trace["name"] for trace in figure["data"]][-1] == f"@{handle}"
        assert sorted(trace["name"] for trace in figure["data"]) == sorted(f"@{h}" for h in handles)
        assert f'id="chart-compare-{position}" data-figure="fig-compare-{position}"' in html
    assert 'id="fig-compare-3"' not in html


def test_compare_reports_invisible_and_unknown_handles_alike(world, alice_client):
    hidden = world.handles_b[0]
    response = alice_client.get("/creators/compare/", {"handles": f"{world.handles_a[0]},{hidden},nobody-at-all"})
    html = response.content.decode()
    assert f"@{hidden}</a>" not in html
    assert f"Not found: @{hidden}, @nobody-at-all." in html


def test_compare_takes_at_most_five(world, alice_client):
    handles = world.handles_a[:7]
    html = alice_client.get("/creators/compare/", {"handles": ",".join(handles)}).content.decode()
    assert "Only the first 5 creators are compared." in html
    assert html.count('<th scope="col" class="num"><a href="/creators/') == 5


def test_export_rows_match_the_filtered_list_with_visible_columns(world, alice_client, monkeypatch):
    params = {"category": "fashion", "overall_min": "10", "ordering": "-volume"}
    response = alice_client.get("/creators/export.csv", params)
    assert response.status_code == 200
    rows = _csv(response)
    assert [row["handle"] for row in rows] == _list_handles(alice_client, params)
    assert {"overall", "collaboration", "sales", "gmv"} <= set(rows[0])
    export_id = response["X-Export-Id"]
    assert response["Content-Disposition"] == (
        f'attachment; filename="creators-{timezone.now():%Y-%m-%d}-{export_id}.csv"'
    )
    event = AuditEvent.objects.get(export_id=export_id)
    assert event.action == "creator.export" and event.row_count == len(rows) and event.username == "alice"


def test_export_without_the_commercial_tier_has_no_commercial_columns(world, charlie_client):
    rows = _csv(charlie_client.get("/creators/export.csv"))
    assert sorted(row["handle"] for row in rows) == world.handles_b
    assert not {"collaboration", "care", "sales", "gmv", "orders", "gpm", "sponsored_share"} & set(rows[0])


def test_viewers_get_no_export(world, bob_client):
    assert bob_client.get("/creators/export.csv").status_code == 404
    assert AuditEvent.objects.filter(username="bob", outcome="denied").exists()


def test_export_beyond_the_daily_quota_is_429_and_audited(world, alice_client, settings):
    settings.EXPORT_DAILY_ROW_QUOTA = len(world.handles_a) + 2
    assert alice_client.get("/creators/export.csv").status_code == 200
    response = alice_client.get("/creators/export.csv")
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="export.quota_exceeded", outcome="denied", username="alice").exists()


def test_exported_text_cells_cannot_start_a_formula(world, alice_client):
    creator = world.creators[world.handles_a[0]]
    creator.display_name = '=HYPERLINK("http://x","y")'
    creator.save(update_fields=["display_name"])
    rows = {row["handle"]: row for row in _csv(alice_client.get("/creators/export.csv"))}
    assert rows[creator.handle]["display_name"] == "'=HYPERLINK(\"http://x\",\"y\")"
    card = Scorecard.objects.get(run=world.run, creator=creator)
    assert float(rows[creator.handle]["overall"]) == card.overall


def test_invalid_filters_are_refused(world, alice_client):
    response = alice_client.get("/creators/export.csv", {"overall_min": "lots"})
    assert response.status_code == 400
