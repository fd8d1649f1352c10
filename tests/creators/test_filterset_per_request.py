"""The creator filter set is built per request, as django-filter intends: nothing is shared between requests."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from creators.filtersets import CreatorFilterSet
from creators.selectors import creator_list
from partners.access import access_for_user

pytestmark = pytest.mark.django_db


def _filterset(world, username: str, **params: str) -> CreatorFilterSet:
    access = access_for_user(world.users[username])
    request = RequestFactory().get("/creators/", params)
    return CreatorFilterSet(request.GET, queryset=creator_list(access=access), access=access)


def _choices(filterset: CreatorFilterSet, name: str) -> set[str]:
    # A ChoiceField's choices, normalized by Django to (value, label) pairs; django-stubs types them loosely.
    choices: list[tuple[str, str]] = filterset.form.fields[name].choices  # type: ignore[attr-defined]
    return {str(value) for value, _ in choices if value != ""}


def test_two_partners_get_their_own_filter_choices_in_the_same_process(world):
    def expected_countries(slugs: tuple[str, ...]) -> set[str]:
        return {c.country for c in world.creators.values() if c.primary_category.slug in slugs}

    # Alice's partner, then Charlie's (another grant), then Alice's again, all in this one process.
    first_a = _filterset(world, "alice")
    b = _filterset(world, "charlie")
    second_a = _filterset(world, "alice")
    for filterset, slugs in ((first_a, ("beauty", "fashion")), (b, ("electronics", "gaming")),
                             (second_a, ("beauty", "fashion"))):
        assert _choices(filterset, "category") == set(slugs)
        assert _choices(filterset, "country") == expected_countries(slugs)
    # A category of the other grant is an invalid choice, and never filters the rows.
    foreign = _filterset(world, "charlie", category="beauty")
    assert not foreign.is_valid() and "category" in foreign.errors
    assert sorted(row["handle"] for row in _filterset(world, "alice", category="beauty").qs) == world.handles_in(
        "beauty"
    )


def test_the_class_level_filters_keep_no_request_state(world):
    """Each filter set works on deep copies of the class's filters (django-filter's own behaviour): building one
    leaves no form field, queryset or choices on the class-level filters another request would start from."""
    for template in CreatorFilterSet.base_filters.values():
        template.__dict__.pop("_field", None)  # as built by an earlier schema generation, if any
    filterset = _filterset(world, "alice", followers_min="1000", q="beauty")
    assert filterset.is_valid()
    list(filterset.qs)
    for name, template in CreatorFilterSet.base_filters.items():
        assert "_field" not in template.__dict__, name
        assert "categories" not in template.extra, name
        assert filterset.filters[name] is not template
    assert not CreatorFilterSet.base_filters["category"].queryset.exists()


def test_choices_are_the_accesss_even_after_the_class_fields_were_built(world):
    """Schema generation builds form fields on the class's filters, with no access: a request's form still gets
    its own categories and countries."""
    for template in CreatorFilterSet.base_filters.values():
        assert template.field is not None
    assert _choices(_filterset(world, "charlie"), "category") == {"electronics", "gaming"}
    assert _choices(_filterset(world, "alice"), "category") == {"beauty", "fashion"}


def test_each_list_queryset_is_built_for_its_own_access(world):
    a = creator_list(access=access_for_user(world.users["alice"]))
    b = creator_list(access=access_for_user(world.users["charlie"]))
    assert a.query is not b.query
    assert sorted(row["handle"] for row in a) == world.handles_a
    assert sorted(row["handle"] for row in b) == world.handles_b
