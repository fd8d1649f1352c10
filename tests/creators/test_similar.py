"""Similar creators (issue 20 item 1): on the scorecard and in the API, visible creators sharing a category,
ranked on the visible indices only, each with its reason."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from creators.similar import CANDIDATES_PER_SIDE, EMPTY_TEXT, NO_OVERALL_ACCESS, similar_creators
from partners.access import access_for_user
from partners.models import AuditEvent
from scoring import similarity
from scoring.models import Scorecard
from tests.conftest import make_creators, make_partner, make_scorecards, make_user

pytestmark = pytest.mark.django_db

INDICES = ("overall", "collaboration", "care", "volume", "effectiveness", "sales", "consistency")
COMMERCIAL = ("collaboration", "care", "sales")


def _set(world, handle: str, **values: float | None) -> None:
    Scorecard.objects.filter(run=world.run, creator=world.creators[handle]).update(**values)


def _similar_handles(client: Client, handle: str) -> list[str]:
    html = client.get(f"/creators/{handle}/").content.decode()
    block = html.split('id="similar-creators"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'class="similar-handle">@([^<]+)</a>', block)


def _api(client: Client, handle: str) -> dict:
    response = client.get(f"/api/v1/creators/{handle}/similar/")
    assert response.status_code == 200, response.content
    return response.json()


def test_it_lists_the_visible_creators_of_the_same_category_nearest_first(world, alice_client):
    # beauty_1 sits at 50 on every index; beauty_2 is 1 point away everywhere, beauty_3 20, beauty_4 40.
    for handle, value in (("beauty_1", 50.0), ("beauty_2", 51.0), ("beauty_3", 70.0), ("beauty_4", 90.0)):
        _set(world, handle, **{name: value for name in INDICES})
    assert _similar_handles(alice_client, "beauty_1") == ["beauty_2", "beauty_3", "beauty_4"]
    body = _api(alice_client, "beauty_1")
    assert [item["handle"] for item in body["results"]] == ["beauty_2", "beauty_3", "beauty_4"]
    assert body["compared_on"] == list(INDICES)
    first = body["results"][0]
    assert set(first) == {"handle", "display_name", "categories", "followers", "scores", "shared_categories",
                          "close_on", "reason"}
    assert first["scores"] == {name: 51.0 for name in INDICES}
    assert first["shared_categories"] == ["beauty"]
    assert first["reason"] == "same category beauty; close on overall and collaboration"
    assert body["results"][2]["reason"] == "same category beauty; nearest on overall"
    assert body["empty_reason"] is None
