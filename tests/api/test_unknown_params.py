"""Every partner endpoint answers an unknown query parameter with a 400 naming it (DESIGN 7), through the one rule
of the base viewset (``PartnerViewSetBase.reject_params_except``)."""

from __future__ import annotations

import pytest

from partners.models import Shortlist

pytestmark = pytest.mark.django_db


def _urls(world) -> list[str]:
    handle = world.handles_a[0]
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Params")
    return [
        "/api/v1/creators/",
        "/api/v1/creators/export.csv",
        f"/api/v1/creators/{handle}/videos/",
        f"/api/v1/creators/{handle}/similar/",
        "/api/v1/notifications/",
        "/api/v1/saved-searches/",
        "/api/v1/shortlists/",
        f"/api/v1/shortlists/{shortlist.pk}/",
        f"/api/v1/shortlists/{shortlist.pk}/export.csv",
    ]


def test_an_unknown_parameter_is_a_400_naming_it_on_every_endpoint(world, alice_client):
    for url in _urls(world):
        response = alice_client.get(url, {"overall_minn": "3"}, HTTP_ACCEPT="application/json")
        assert response.status_code == 400, url
        assert response.json()["errors"] == {"overall_minn": ["Unknown parameter: overall_minn."]}, url
        # DRF's ``format`` is known everywhere.
        assert alice_client.get(url, {"format": "json"}).status_code != 400, url
