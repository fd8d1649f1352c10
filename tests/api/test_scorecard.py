"""``GET /api/v1/creators/<handle>/``: the full scorecard, limited to the partner's tiers, and 404 outside."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from creators.models import Creator
from partners.models import AuditEvent
from scoring.catalogue import FIELDS, Kind, Tier
from scoring.models import Scorecard

COMMERCIAL = {spec.name for spec in FIELDS if spec.tier == Tier.COMMERCIAL}
METRICS = {spec.name for spec in FIELDS if spec.kind == Kind.METRIC}


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def detail(client: APIClient, handle: str):
    return client.get(f"/api/v1/creators/{handle}/")


def test_it_shows_the_scorecard_with_every_tier_granted(world):
    handle = world.handles_a[0]
    response = detail(api_client(world.users["alice"]), handle)
    assert response.status_code == 200
    body = response.json()
    card = Scorecard.objects.get(run=world.run, creator=world.creators[handle])
    assert body["handle"] == handle
    assert body["as_of"] == world.run.as_of.isoformat()
    assert body["scores"] == {
        name: getattr(card, name)
        for name in ("overall", "collaboration", "care", "volume", "effectiveness", "sales", "consistency")
    }
    assert set(body["metrics"]) == METRICS
    assert body["metrics"]["videos"] == card.videos
    assert body["metrics"]["gmv"] == (float(card.gmv) if card.gmv is not None else None)
    assert set(body["references"]) == set(body["scores"]) - {"overall"}
    assert body["category_impacts"][0]["category"] == world.creators[handle].primary_category.slug
    assert [point["run_id"] for point in body["history"]] == [world.run.pk]
    assert "no-store" in response["Cache-Control"]


def test_commercial_fields_are_absent_without_the_tier(world):
    handle = world.handles_b[0]
    response = detail(api_client(world.users["charlie"]), handle)
    assert response.status_code == 200
    body = response.json()
    assert set(body["scores"]) == {"overall", "volume", "effectiveness", "consistency"}
    assert not COMMERCIAL & set(body["metrics"])
    assert not COMMERCIAL & set(body["references"])
    assert all("impact_gmv" not in row for row in body["category_impacts"])
    assert all(set(point["scores"]) == set(body["scores"]) for point in body["history"])
    text = response.content.decode()
    for name in ("sales", "gmv", "gpm", "orders", "collaboration", "care", "sponsored_share"):
        assert f'"{name}"' not in text, name


@pytest.mark.parametrize("target", ["other partner", "nobody", "unknown"])
def test_creators_outside_the_grant_are_404_like_unknown_ones(world, target):
    handle = {"other partner": world.handles_b[0], "nobody": world.handles_nobody[0], "unknown": "no_such"}[target]
    response = detail(api_client(world.users["alice"]), handle)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_an_invisible_creator_lookup_is_audited_as_denied(world):
    detail(api_client(world.users["alice"]), world.handles_b[0])
    event = AuditEvent.objects.filter(user=world.users["alice"]).latest("id")
    assert event.outcome == "denied"
    assert event.object_handle == world.handles_b[0]


def test_handles_are_case_insensitive_and_may_start_with_an_at(world):
    client = api_client(world.users["alice"])
    handle = world.handles_a[0]
    assert detail(client, handle.upper()).json()["handle"] == handle
    assert detail(client, f"@{handle}").json()["handle"] == handle


def test_a_creator_imported_after_the_run_shows_its_profile_without_scores(world):
    creator = Creator.objects.create(
        external_id="new-1", handle="newcomer", primary_category=world.categories["beauty"],
        data_updated_at=world.run.published_at,
    )
    creator.categories.add(world.categories["beauty"])
    body = detail(api_client(world.users["alice"]), "newcomer").json()
    assert body["handle"] == "newcomer"
    assert all(value is None for value in body["scores"].values())
    assert body["category_impacts"] == []
    assert body["history"] == []


def test_scorecard_query_count_is_bounded(world, django_assert_max_num_queries):
    client = api_client(world.users["alice"])
    handle = world.handles_a[0]
    # Access (2), creator, run, scorecard, impacts, history, the creator's categories, audit insert: 9 (the
    # client is authenticated in-process: no token or user query).
    with django_assert_max_num_queries(9):
        assert detail(client, handle).status_code == 200
