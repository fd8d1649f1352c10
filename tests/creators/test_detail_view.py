"""The scorecard page: the "why" of each index, the four charts, field tiers in HTML and chart JSON, 404s."""

from __future__ import annotations

import json
import re

import pytest

from creators.models import Category
from partners.access import access_for_user
from partners.models import AuditEvent, PartnerWeights
from scoring.catalogue import FIELDS, Tier
from scoring.models import CategoryImpact, Scorecard

pytestmark = pytest.mark.django_db

COMMERCIAL_LABELS = [spec.label for spec in FIELDS if spec.tier == Tier.COMMERCIAL]


def _figures(html: str) -> dict[str, dict]:
    return {
        name: json.loads(body)
        for name, body in re.findall(r'<script id="fig-([a-z]+)" type="application/json">(.*?)</script>', html, re.S)
    }


def test_it_shows_every_visible_index_with_its_evidence(world, alice_client):
    handle = world.handles_a[0]
    card = Scorecard.objects.get(run=world.run, creator__handle=handle)
    response = alice_client.get(f"/creators/{handle}/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("collaboration", "care", "volume", "effectiveness", "sales", "consistency"):
        assert f'id="index-{name}"' in html
    assert f'<span class="value" id="overall-value">{card.overall:.1f}</span>' in html.replace("\n", "")
    assert "Why this score" in html and "Median of the group" in html
    assert 'id="data-as-of"' in html


def test_every_chart_is_embedded_with_the_creators_values(world, alice_client):
    handle = world.handles_a[1]
    card = Scorecard.objects.get(run=world.run, creator__handle=handle)
    figures = _figures(alice_client.get(f"/creators/{handle}/").content.decode())
    assert set(figures) == {"radar", "trend", "impact", "distribution"}
    radar = figures["radar"]["data"][0]
    assert radar["theta"][:6] == ["Collaboration", "Care", "Volume", "Effectiveness", "Sales", "Consistency"]
    assert radar["r"][2] == round(card.volume, 1)
    assert figures["distribution"]["layout"]["shapes"][0]["x0"] == card.overall
    # The distribution counts only creators this partner can see.
    assert sum(figures["distribution"]["data"][0]["y"]) == len(world.handles_a)


def test_commercial_fields_are_absent_from_html_and_chart_data_without_the_tier(world, charlie_client):
    handle = world.handles_b[0]
    html = charlie_client.get(f"/creators/{handle}/").content.decode()
    figures = _figures(html)
    assert figures, "charts are still drawn from the visible indices"
    payload = json.dumps(figures)
    for label in COMMERCIAL_LABELS:
        assert f">{label}<" not in html and label not in payload
    for name in ("collaboration", "care", "sales"):
        assert f'id="index-{name}"' not in html
    card = Scorecard.objects.get(run=world.run, creator__handle=handle)
    # The hidden values themselves appear nowhere in the chart data.
    assert str(round(card.sales, 1)) not in payload if card.sales is not None else True
    assert radar_axes(figures) == ["Volume", "Effectiveness", "Consistency"]


def radar_axes(figures: dict) -> list[str]:
    return figures["radar"]["data"][0]["theta"][:-1]


def test_another_partners_creator_is_a_404_and_recorded_as_denied(world, alice_client):
    handle = world.handles_b[0]
    response = alice_client.get(f"/creators/{handle}/")
    assert response.status_code == 404
    assert handle not in response.content.decode()
    assert AuditEvent.objects.filter(object_handle=handle, outcome="denied").exists()
    assert alice_client.get("/creators/no-such-handle/").status_code == 404


def test_handles_match_case_insensitively_and_the_view_is_audited(world, alice_client):
    handle = world.handles_a[2]
    assert alice_client.get(f"/creators/{handle.upper()}/").status_code == 200
    event = AuditEvent.objects.filter(action="creator.view").latest("created_at")
    assert event.object_handle == handle and event.outcome == "ok"


def test_our_score_is_shown_beside_the_overall_when_the_partner_has_weights(world, alice_client):
    handle = world.handles_a[0]
    assert 'id="partner-score"' not in alice_client.get(f"/creators/{handle}/").content.decode()
    PartnerWeights.objects.create(partner=world.partner_a, volume=1.0, effectiveness=0.0, consistency=0.0,
                                  collaboration=0.0, care=0.0, sales=0.0)
    html = alice_client.get(f"/creators/{handle}/").content.decode()
    assert 'id="partner-score"' in html
    card = Scorecard.objects.get(run=world.run, creator__handle=handle)
    # Only volume has weight: "our score" is the volume index.
    assert f'<span class="value">{card.volume:.1f}</span>' in html


def test_query_count_is_pinned(world, alice_client, django_assert_max_num_queries):
    handle = world.handles_a[0]
    alice_client.get(f"/creators/{handle}/")  # warm the per-run caches (distribution, category medians)
    # session, user with its membership, partner and weights, the grants, creator with its primary category,
    # run with its medians, row, whether the user follows the creator (1), detail (3, the impacts restricted to the
    # partner's categories), shortlists with this creator's membership (1), the page of recent videos (1), similar
    # creators (4: the creator's scorecard, the two candidate seeks, the matches' rows; creators/similar.py), audit,
    # session save (3): at most 16 (measured with videos in the window, tests/creators/test_recent_videos.py).
    with django_assert_max_num_queries(16):
        assert alice_client.get(f"/creators/{handle}/").status_code == 200


def test_impacts_outside_the_partners_categories_are_absent_from_the_page(world, alice_client):
    handle = world.handles_a[0]
    creator = world.creators[handle]
    hidden = next(c for slug, c in world.categories.items() if slug not in {"beauty", "fashion"})
    visible = Category.objects.visible_to(access_for_user(world.users["alice"]))
    assert hidden.slug not in set(visible.values_list("slug", flat=True))
    CategoryImpact.objects.create(run=world.run, creator=creator, category=hidden, impact=99.0, views=1, videos=1)
    html = alice_client.get(f"/creators/{handle}/").content.decode()
    impact = _figures(html)["impact"]["data"][0]
    assert hidden.name not in impact["y"] and hidden.name not in html
    assert impact["y"] == [creator.primary_category.name]


def test_published_run_is_the_published_one_with_its_medians_cached_per_revision(world, django_assert_num_queries):
    """``published_run`` is one indexed read of the published run (never another); ``with_medians`` adds its
    medians, with the row on a cold cache, then from the cache as long as the run's revision is the same."""
    from scoring.models import ScoringRun
    from scoring.selectors import published_run
    from scoring.services import published_run_touch

    other = ScoringRun.objects.create(as_of=world.run.as_of, is_published=False, medians={"x": 1})
    for _ in range(2):  # cold, then warm cache
        with django_assert_num_queries(1):
            run = published_run(with_medians=True)
            medians = run.medians
        assert medians == ScoringRun.objects.get(pk=world.run.pk).medians
    with django_assert_num_queries(1):
        run = published_run(with_medians=True)
        medians = run.medians
    assert run.pk == world.run.pk != other.pk
    assert medians == ScoringRun.objects.get(pk=world.run.pk).medians
    assert (run.as_of, run.window_days, run.revision) == (world.run.as_of, world.run.window_days,
                                                          ScoringRun.objects.get(pk=world.run.pk).revision)
    # A new revision of the run is a new key: its medians are read again from the row.
    ScoringRun.objects.filter(pk=world.run.pk).update(medians={"changed": True})
    published_run_touch(run_id=world.run.pk)
    with django_assert_num_queries(2):
        assert published_run(with_medians=True).medians == {"changed": True}
    ScoringRun.objects.filter(pk=world.run.pk).update(is_published=False)
    assert published_run() is None
