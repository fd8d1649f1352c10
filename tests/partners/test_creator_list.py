"""creator_list and CreatorFilterSet: visible rows and fields only, no filter or ordering oracle."""

from __future__ import annotations

import pytest

from creators.filtersets import CreatorFilterSet
from creators.models import Category
from creators.selectors import creator_list
from partners.access import access_for_user
from partners.models import PartnerWeights
from scoring.catalogue import FIELDS, Tier
from scoring.models import Scorecard, ScoringRun
from scoring.services import scorecards_access_sync

COMMERCIAL = {spec.name for spec in FIELDS if spec.tier == Tier.COMMERCIAL}


def run_filters(user, params: dict[str, str]):
    access = access_for_user(user)
    filterset = CreatorFilterSet(params, queryset=creator_list(access=access), access=access)
    return filterset, list(filterset.qs)


def test_rows_hold_only_visible_fields(world):
    rows = list(creator_list(access=access_for_user(world.users["charlie"])))
    assert {row["handle"] for row in rows} == set(world.handles_b)
    for row in rows:
        assert not COMMERCIAL & set(row), "a commercial field reached a partner without the commercial tier"
        assert {"handle", "display_name", "country", "categories", "followers", "overall", "creator_id"} <= set(row)
    alice_rows = list(creator_list(access=access_for_user(world.users["alice"])))
    assert {"collaboration", "care", "sales", "gmv"} <= set(alice_rows[0])


def test_categories_are_a_list_of_slugs_primary_first(world):
    creator = world.creators["beauty_1"]
    creator.categories.add(world.categories["fashion"], world.categories["travel"])
    scorecards_access_sync(creator_ids=[creator.pk])
    row = next(r for r in creator_list(access=access_for_user(world.users["alice"])) if r["handle"] == "beauty_1")
    assert row["categories"] == ["beauty", "fashion", "travel"]
    fashion_primary = world.creators["fashion_1"]
    fashion_primary.categories.add(world.categories["beauty"])
    scorecards_access_sync(creator_ids=[fashion_primary.pk])
    row = next(r for r in creator_list(access=access_for_user(world.users["alice"])) if r["handle"] == "fashion_1")
    assert row["categories"] == ["fashion", "beauty"]


def test_nothing_without_access_or_before_a_published_run(world):
    assert list(creator_list(access=access_for_user(world.users["dana"]))) == []
    ScoringRun.objects.update(is_published=False)
    assert list(creator_list(access=access_for_user(world.users["alice"]))) == []


def test_default_ordering_is_overall_descending_with_a_unique_tie_breaker(world):
    Scorecard.objects.filter(creator__handle__in=["beauty_1", "beauty_2"]).update(overall=99.0)
    _, rows = run_filters(world.users["alice"], {})
    overall = [r["overall"] for r in rows]
    assert overall == sorted(overall, reverse=True)
    tied = [r["creator_id"] for r in rows if r["overall"] == 99.0]
    assert tied == sorted(tied, reverse=True) and len(tied) == 2


def test_nulls_sort_as_the_lowest_value_both_ways(world):
    Scorecard.objects.filter(creator__handle="beauty_3").update(overall=None)
    _, rows = run_filters(world.users["alice"], {"ordering": "-overall"})
    assert rows[-1]["handle"] == "beauty_3"
    _, rows = run_filters(world.users["alice"], {"ordering": "overall"})
    assert rows[0]["handle"] == "beauty_3"


@pytest.mark.parametrize(
    "params",
    [
        {"sales_min": "50"},
        {"collaboration_max": "10"},
        {"care_min": "0", "care_max": "1"},
        {"ordering": "-sales"},
        {"ordering": "gmv"},
        {"ordering": "collaboration,-overall"},
    ],
)
def test_hidden_fields_cannot_filter_or_order_and_never_change_the_rows(world, params):
    _, baseline = run_filters(world.users["charlie"], {})
    filterset, rows = run_filters(world.users["charlie"], params)
    assert not filterset.is_valid()
    assert set(filterset.errors) <= set(params)
    assert [r["creator_id"] for r in rows] == [r["creator_id"] for r in baseline]


def test_hidden_filters_are_not_rendered_in_the_form(world):
    access = access_for_user(world.users["charlie"])
    form = CreatorFilterSet({}, queryset=creator_list(access=access), access=access).form
    assert "sales_min" not in form.fields and "collaboration_max" not in form.fields
    assert "overall_min" in form.fields and "volume_max" in form.fields


def test_visible_index_filters_apply(world):
    filterset, rows = run_filters(world.users["alice"], {"sales_min": "50", "overall_max": "80"})
    assert filterset.is_valid(), filterset.errors
    assert rows and all(r["sales"] >= 50 and r["overall"] <= 80 for r in rows)
    everything = list(creator_list(access=access_for_user(world.users["alice"])))
    expected = {r["handle"] for r in everything if r["sales"] is not None and r["sales"] >= 50 and r["overall"] <= 80}
    assert {r["handle"] for r in rows} == expected


def test_category_choices_come_only_from_the_grant(world):
    filterset, rows = run_filters(world.users["alice"], {"category": "electronics"})
    assert not filterset.is_valid() and "category" in filterset.errors
    assert {r["handle"] for r in rows} == set(world.handles_a)
    filterset, rows = run_filters(world.users["alice"], {"category": "fashion"})
    assert filterset.is_valid()
    assert {r["handle"] for r in rows} == set(world.handles_in("fashion"))


def test_a_category_filter_matches_secondary_categories(world):
    world.creators["beauty_2"].categories.add(world.categories["fashion"])
    scorecards_access_sync(creator_ids=[world.creators["beauty_2"].pk])
    _, rows = run_filters(world.users["alice"], {"category": "fashion"})
    assert "beauty_2" in {r["handle"] for r in rows}


def test_country_choices_come_only_from_visible_creators(world):
    access = access_for_user(world.users["charlie"])
    filterset = CreatorFilterSet({}, queryset=creator_list(access=access), access=access)
    offered = {value for value, _ in filterset.form.fields["country"].choices if value}
    expected = {world.creators[h].country for h in world.handles_b}
    assert offered == expected
    country = sorted(expected)[0]
    filterset, rows = run_filters(world.users["charlie"], {"country": country})
    assert filterset.is_valid() and rows
    assert all(world.creators[r["handle"]].country == country for r in rows)


def test_choices_stay_per_request_after_the_class_fields_were_built(world):
    # Schema generation (drf-spectacular) builds form fields on the class's own filters; instances must not
    # inherit those fields and their empty choice lists.
    for filter_ in CreatorFilterSet.base_filters.values():
        assert filter_.field is not None
    access = access_for_user(world.users["charlie"])
    filterset = CreatorFilterSet({}, queryset=creator_list(access=access), access=access)
    offered = {value for value, _ in filterset.form.fields["country"].choices if value}
    assert offered == {world.creators[h].country for h in world.handles_b}
    category = sorted(world.handles_b)[0]
    slug = world.creators[category].primary_category.slug
    filterset, rows = run_filters(world.users["charlie"], {"category": slug})
    assert filterset.is_valid(), filterset.errors
    assert rows


def test_search_matches_handle_or_name(world):
    _, rows = run_filters(world.users["alice"], {"q": "@Beauty_2"})
    assert [r["handle"] for r in rows] == ["beauty_2"]
    _, rows = run_filters(world.users["alice"], {"q": "Fashion Creator"})
    assert {r["handle"] for r in rows} == set(world.handles_in("fashion"))
    _, rows = run_filters(world.users["alice"], {"q": "gaming_1"})
    assert rows == []


def test_followers_range(world):
    _, rows = run_filters(world.users["alice"], {"followers_min": "2000", "followers_max": "3000"})
    assert rows and all(2000 <= r["followers"] <= 3000 for r in rows)


def test_impact_filter_needs_a_visible_category_and_applies(world):
    filterset, rows = run_filters(world.users["alice"], {"impact_category": "beauty", "impact_min": "0"})
    assert filterset.is_valid(), filterset.errors
    assert {r["handle"] for r in rows} == set(world.handles_in("beauty"))
    filterset, _ = run_filters(world.users["alice"], {"impact_min": "10"})
    assert "impact_min" in filterset.errors
    filterset, _ = run_filters(world.users["alice"], {"impact_category": "gaming"})
    assert "impact_category" in filterset.errors


def test_partner_score_is_the_weighted_mean_of_visible_indices(world):
    PartnerWeights.objects.create(
        partner=world.partner_b, collaboration=1.0, care=1.0, sales=1.0, volume=0.5, effectiveness=0.25,
        consistency=0.25,
    )
    access = access_for_user(world.users["charlie"])
    rows = {r["handle"]: r for r in creator_list(access=access)}
    for handle, row in rows.items():
        card = Scorecard.objects.get(run=world.run, creator__handle=handle)
        # Charlie has no commercial tier: collaboration, care and sales never take part.
        expected = (0.5 * card.volume + 0.25 * card.effectiveness + 0.25 * card.consistency) / 1.0
        assert row["partner_score"] == pytest.approx(expected)
    filterset, ordered = run_filters(world.users["charlie"], {"ordering": "-partner_score"})
    assert filterset.is_valid()
    scores = [r["partner_score"] for r in ordered]
    assert scores == sorted(scores, reverse=True)


def test_partner_score_renormalises_and_needs_three_indices(world):
    PartnerWeights.objects.create(partner=world.partner_b)
    card = Scorecard.objects.get(run=world.run, creator__handle="gaming_1")
    card.volume = None
    card.save()
    access = access_for_user(world.users["charlie"])
    row = next(r for r in creator_list(access=access) if r["handle"] == "gaming_1")
    assert row["partner_score"] is None  # only two of the three visible indices are present
    card.volume = 40.0
    card.effectiveness, card.consistency = 80.0, 20.0
    card.save()
    row = next(r for r in creator_list(access=access) if r["handle"] == "gaming_1")
    assert row["partner_score"] == pytest.approx((0.10 * 40 + 0.20 * 80 + 0.15 * 20) / 0.45)


def test_partner_score_ordering_is_refused_without_weights(world):
    filterset, _ = run_filters(world.users["charlie"], {"ordering": "-partner_score"})
    assert "ordering" in filterset.errors
    assert "partner_score" not in next(iter(creator_list(access=access_for_user(world.users["charlie"]))))


def test_partner_parameters_are_ignored(world):
    _, baseline = run_filters(world.users["alice"], {})
    filterset, rows = run_filters(world.users["alice"], {"partner": str(world.partner_b.pk),
                                                        "partner_id": str(world.partner_b.pk)})
    assert [r["handle"] for r in rows] == [r["handle"] for r in baseline]


def test_country_choices_are_cached_per_grant_scope(world, django_assert_num_queries):
    from creators.filtersets import country_choices

    charlie, alice = access_for_user(world.users["charlie"]), access_for_user(world.users["alice"])
    first = country_choices(charlie)
    with django_assert_num_queries(0):
        assert country_choices(charlie) == first
    with django_assert_num_queries(1):
        country_choices(alice)


def test_choices_stay_per_access_after_the_class_fields_were_built(world):
    # Schema generators build the class-level form fields (with no access, so no choices): instances must not
    # inherit them.
    for filter_ in CreatorFilterSet.base_filters.values():
        _ = filter_.field  # builds and caches the field on the class-level filter
    try:
        filterset, rows = run_filters(world.users["alice"], {"category": "fashion", "country": "US"})
        assert filterset.is_valid(), filterset.errors
        assert rows and all(world.creators[r["handle"]].country == "US" for r in rows)
    finally:
        for filter_ in CreatorFilterSet.base_filters.values():
            filter_.__dict__.pop("_field", None)


def test_both_category_filters_and_the_page_s_choices_read_the_visible_categories_once(
    world, django_assert_num_queries
):
    access = access_for_user(world.users["alice"])
    params = {"category": "beauty", "impact_category": "fashion"}
    filterset = CreatorFilterSet(params, queryset=creator_list(access=access), access=access)
    with django_assert_num_queries(1):
        assert filterset.is_valid(), filterset.errors
        slugs = [category.slug for category in filterset.visible_categories()]
    assert filterset.form.cleaned_data["category"] == world.categories["beauty"]
    assert slugs == list(Category.objects.visible_to(access).values_list("slug", flat=True))
    hidden = CreatorFilterSet({"category": "gaming"}, queryset=creator_list(access=access), access=access)
    assert "category" in hidden.errors and "gaming" not in slugs


def test_the_built_list_queryset_is_reused_but_never_its_rows(world):
    access = access_for_user(world.users["alice"])
    first = creator_list(access=access)
    rows = list(first)
    Scorecard.objects.filter(run=world.run, creator=world.creators[world.handles_a[0]]).delete()
    second = creator_list(access=access)
    assert second is not first
    assert len(list(second)) == len(rows) - 1


def test_new_weights_or_a_new_tier_change_the_list_on_the_next_access(world):
    access = access_for_user(world.users["charlie"])
    assert "partner_score" not in next(iter(creator_list(access=access)))
    assert not COMMERCIAL & set(next(iter(creator_list(access=access))))
    PartnerWeights.objects.create(partner=world.partner_b, volume=1.0)
    world.grant_b.commercial = True
    world.grant_b.save(update_fields=["commercial"])
    row = next(iter(creator_list(access=access_for_user(world.users["charlie"]))))
    assert "partner_score" in row and COMMERCIAL & set(row)


def test_filter_sets_of_different_requests_share_no_state(world):
    alice, charlie = access_for_user(world.users["alice"]), access_for_user(world.users["charlie"])
    first = CreatorFilterSet({"followers_min": "5", "q": "beauty"}, queryset=creator_list(access=alice), access=alice)
    second = CreatorFilterSet({"followers_min": "x"}, queryset=creator_list(access=charlie), access=charlie)
    assert first.is_valid() and not second.is_valid()
    assert first.form.fields["followers_min"] is not second.form.fields["followers_min"]
    assert first.filters["category"] is not second.filters["category"]
    # Each copy's method binding and parent are its own filter set's.
    assert first.filters["q"].filter.f is first.filters["q"] and first.filters["q"].parent is first
    assert second.filters["q"].parent is second
    assert {c.slug for c in first.visible_categories()} != {c.slug for c in second.visible_categories()}
    assert {r["handle"] for r in first.qs} == {h for h in world.handles_a if "beauty" in h}
