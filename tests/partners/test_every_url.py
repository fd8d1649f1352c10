"""Every route of the urlconf, as every persona, filled with the other partner's creators and objects.

Routes added later (dashboard, API, anything) are covered automatically: the test walks ``get_resolver()``.
For each persona and route it asserts: no server error; no creator the persona may not see appears in the
response (display names everywhere, handles where the request did not name them); routes that take an object
answer 404 (or 400/401/403/405, or a redirect to a login page) when that object belongs to someone else; admin
routes are closed to non-staff; no commercial field reaches a partner without the commercial tier.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from creators.models import Creator
from partners.models import SavedSearch, Shortlist, ShortlistEntry
from scoring.catalogue import FIELDS, Tier
from tests.conftest import World
from tests.partners.url_walker import Targets, iter_patterns, render_routes

PERSONAS = ("alice", "bob", "charlie", "dana", "sam")
COMMERCIAL_KEYS = sorted(spec.name for spec in FIELDS if spec.tier == Tier.COMMERCIAL)
_COMMERCIAL_IN_MARKUP = re.compile(r"""["'](""" + "|".join(COMMERCIAL_KEYS) + r""")["']\s*:""")
OBJECT_DENIED = {400, 401, 403, 404, 405}
# Admin routes anyone may reach: the admin's own login and logout.
PUBLIC_ADMIN_ROUTES = {"login", "logout"}
# Query parameters an attacker might try on any page: another partner's creators and partner id.
SNOOP_PARAMS = ("handles", "handle", "creator", "partner", "partner_id")


def invisible_creators(world: World, persona: str) -> list[Creator]:
    visible = {"alice": world.handles_a, "bob": world.handles_a, "charlie": world.handles_b}.get(persona, [])
    return [c for h, c in world.creators.items() if h not in visible]


def targets_for(world: World, persona: str, shortlists: dict[str, Shortlist]) -> Targets:
    other_is_a = persona == "charlie"
    handle = world.handles_a[0] if other_is_a else world.handles_b[0]
    other_shortlist = shortlists["a" if other_is_a else "b"]
    own_shortlist = shortlists["b" if other_is_a else "a"]
    hidden = invisible_creators(world, persona)
    other_search = saved_search_of(world, "a" if other_is_a else "b")
    own_search = saved_search_of(world, "b" if other_is_a else "a")
    own_ids = {own_shortlist.pk, own_search.pk} | {c.pk for c in world.creators.values() if c not in hidden}
    # On PostgreSQL sequences are not reset between tests: never let another partner's id happen to equal the
    # id of something the persona owns (that would be a legitimate 200, not a leak).
    int_ids = tuple(
        i for i in (world.creators[handle].pk, other_shortlist.pk, other_search.pk) if i not in own_ids
    )
    return Targets(handle=handle, int_ids=int_ids or (world.creators[handle].pk,),
                   slug="beauty" if other_is_a else "electronics")


def body_of(response: Any) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def redirects_to_login(response: Any) -> bool:
    return response.status_code in (301, 302) and "login" in response.get("Location", "")


def json_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in json_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in json_keys(v)}
    return set()


def leaks(world: World, persona: str, response: Any, *, named_in_request: set[str]) -> list[str]:
    """What the response shows that the persona may not see."""
    text = body_of(response)
    found = []
    for creator in invisible_creators(world, persona):
        if creator.display_name in text:
            found.append(f"display name of {creator.handle}")
        if creator.handle not in named_in_request and re.search(rf"\b{re.escape(creator.handle)}\b", text):
            found.append(f"handle {creator.handle}")
    if persona == "charlie" and response.status_code == 200:
        content_type = response.get("Content-Type", "")
        if "json" in content_type:
            try:
                hidden = json_keys(json.loads(text)) & set(COMMERCIAL_KEYS)
            except ValueError:
                hidden = set()
            found += [f"commercial key {k}" for k in sorted(hidden)]
        elif "csv" in content_type:
            header = text.splitlines()[0].split(",") if text else []
            found += [f"commercial CSV column {c}" for c in header if c.strip().lower() in COMMERCIAL_KEYS]
        else:
            found += [f"commercial data key {m}" for m in sorted(set(_COMMERCIAL_IN_MARKUP.findall(text)))]
    return found


@pytest.fixture
def shortlists(world: World) -> dict[str, Shortlist]:
    a = Shortlist.objects.create(partner=world.partner_a, name="A picks", created_by=world.users["alice"])
    b = Shortlist.objects.create(partner=world.partner_b, name="B picks", created_by=world.users["charlie"])
    ShortlistEntry.objects.create(shortlist=a, creator=world.creators[world.handles_a[0]], note="a note")
    ShortlistEntry.objects.create(shortlist=b, creator=world.creators[world.handles_b[0]], note="b note")
    # Each partner's shared saved search: another partner's id must answer 404 on every /searches/ route.
    for key, partner, user in (("a", world.partner_a, "alice"), ("b", world.partner_b, "charlie")):
        SavedSearch.objects.create(partner=partner, created_by=world.users[user], name=f"{key} search", shared=True)
    return {"a": a, "b": b}


def saved_search_of(world: World, key: str) -> SavedSearch:
    return SavedSearch.objects.get(partner=world.partner_a if key == "a" else world.partner_b)


def walk(world: World, shortlists: dict[str, Shortlist], persona: str, *, only_prefix: str = "/") -> list[str]:
    """Problems found for one persona over every route (empty when the urlconf holds)."""
    client = Client()
    client.force_login(world.users[persona])
    targets = targets_for(world, persona, shortlists)
    staff = world.users[persona].is_staff
    routes, failures = render_routes(targets)
    routes = [route for route in routes if all(url.startswith(only_prefix) for url in route.urls)]
    problems = [f"unrenderable route {f}" for f in failures]
    other_handles = [h for h in (world.handles_a if persona == "charlie" else world.handles_b)][:2]
    for route in routes:
        for url in route.urls:
            named = {targets.handle} if targets.handle in url else set()
            requests: list[tuple[str, str, dict[str, str], set[str]]] = [("get", url, {}, named)]
            if not route.is_admin:
                snoop = {name: ",".join(other_handles) for name in SNOOP_PARAMS[:3]}
                snoop |= {"partner": str(world.partner_b.pk), "partner_id": str(world.partner_b.pk)}
                requests.append(("get", url, snoop, named | set(other_handles)))
                if route.object_like:
                    requests.append(("post", url, {}, named))
            for method, path, params, named_here in requests:
                response = getattr(client, method)(path, params)
                where = f"{persona} {method.upper()} {path} {params or ''} -> {response.status_code}"
                if response.status_code >= 500:
                    problems.append(f"{where}: server error")
                    continue
                if route.is_admin:
                    if route.name in PUBLIC_ADMIN_ROUTES:
                        continue
                    if not staff and not (redirects_to_login(response) or response.status_code in (403, 404)):
                        problems.append(f"{where}: admin route open to a non-staff user")
                    continue
                if route.object_like and not staff:
                    ok = response.status_code in OBJECT_DENIED or redirects_to_login(response)
                    if not ok:
                        problems.append(f"{where}: another partner's object did not answer 404")
                found = leaks(world, persona, response, named_in_request=named_here)
                problems += [f"{where}: {leak}" for leak in found]
    return problems


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_route_leaks_another_partners_creators(world, shortlists, persona):
    problems = walk(world, shortlists, persona)
    assert not problems, "\n".join(problems)


@pytest.mark.urls("tests.partners.urls_with_samples")
@pytest.mark.parametrize("persona", PERSONAS)
def test_no_route_leaks_with_the_sample_base_class_views(world, shortlists, persona):
    # The project's own routes are walked above; here only the sample views built on the base classes.
    problems = walk(world, shortlists, persona, only_prefix="/sample/")
    assert not problems, "\n".join(problems)


@pytest.mark.urls("tests.partners.urls_leaky")
def test_the_walker_catches_a_leaky_view(world, shortlists):
    problems = walk(world, shortlists, "alice")
    assert any("another partner's object did not answer 404" in p for p in problems), problems
    assert any("display name of electronics_1" in p for p in problems), problems


def test_the_walker_sees_every_route(world, shortlists):
    rendered, failures = render_routes(targets_for(world, "alice", shortlists))
    assert not failures
    assert len(rendered) == sum(1 for _ in iter_patterns())


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie"])
def test_similar_creators_of_an_own_creator_leak_nothing(world, shortlists, persona):
    # The walk above names the other partner's creators (404). Here the similar-creators URLs (page and API) of
    # each of the persona's own creators, every one also linked to travel, which nobody is granted: its travel
    # peers share a category with it and must still never appear, nor a commercial key for charlie.
    from scoring.models import Scorecard

    travel = world.categories["travel"]
    own = world.handles_b if persona == "charlie" else world.handles_a
    for handle in own:
        world.creators[handle].categories.add(travel)
        card = Scorecard.objects.get(run=world.run, creator=world.creators[handle])
        card.category_ids = sorted({*card.category_ids, travel.pk})
        card.save(update_fields=["category_ids"])
    client = Client()
    client.force_login(world.users[persona])
    problems, listed = [], 0
    for handle in own:
        for url in (f"/creators/{handle}/", f"/api/v1/creators/{handle}/similar/"):
            response = client.get(url)
            if url.startswith("/api/") and persona == "bob":
                assert response.status_code == 403  # viewers have no API
                continue
            assert response.status_code == 200, url
            listed += body_of(response).count("similar-handle") + body_of(response).count('"reason"')
            problems += [f"{persona} {url}: {leak}" for leak in leaks(world, persona, response, named_in_request=set())]
    assert listed, "no similar creator was listed: the walk would prove nothing"
    assert not problems, "\n".join(problems)
# The shortlist routes of issue 20 (pages and API): walked above like every route; here also with the methods the
# walk does not send (PATCH, DELETE) and a bulk add naming the other partner's creators.
SHORTLIST_ROUTES = {
    "shortlists/", "shortlists/add/", "shortlists/<int:pk>/", "shortlists/<int:pk>/export.csv",
    "shortlists/<int:pk>/export.xlsx", "api/v1/shortlists/", "api/v1/shortlists/<int:pk>/",
    "api/v1/shortlists/<int:pk>/entries/", "api/v1/shortlists/<int:pk>/entries/<handle:handle>/",
    "api/v1/shortlists/<int:pk>/export.csv", "api/v1/shortlists/<int:pk>/export.xlsx",
}


def test_the_walk_covers_the_shortlist_routes(world, shortlists):
    rendered, _ = render_routes(targets_for(world, "alice", shortlists))
    walked = {route.pattern for route in rendered if route.object_like or "<" not in route.pattern}
    assert SHORTLIST_ROUTES <= walked, SHORTLIST_ROUTES - walked


@pytest.mark.parametrize("persona", ["alice", "charlie"])
def test_no_write_reaches_another_partners_shortlist_or_hidden_creators(world, shortlists, persona):
    from rest_framework.test import APIClient

    other = shortlists["a" if persona == "charlie" else "b"]
    own = shortlists["b" if persona == "charlie" else "a"]
    entry = other.entries.select_related("creator").get()
    hidden = [h for h in (world.handles_a if persona == "charlie" else world.handles_b)][:2]
    api = APIClient()
    api.force_login(world.users[persona])
    base = f"/api/v1/shortlists/{other.pk}"
    answers = [
        api.patch(f"{base}/entries/{entry.creator.handle}/", {"status": "agreed", "note": "x"}, format="json"),
        api.delete(f"{base}/entries/{entry.creator.handle}/"),
        api.post(f"{base}/entries/", {"handles": hidden}, format="json"),
        api.post(f"/api/v1/shortlists/{own.pk}/entries/", {"handles": hidden}, format="json"),
    ]
    page = Client()
    page.force_login(world.users[persona])
    answers += [
        page.post(f"/shortlists/{other.pk}/", {"action": "edit", "entry": entry.pk, "status": "agreed"}),
        page.post(f"/shortlists/{other.pk}/", {"action": "remove", "entry": entry.pk}),
        page.post("/shortlists/add/", {"handles": hidden, "shortlist": own.pk}),
        page.post("/shortlists/add/", {"handles": hidden, "new_name": "Snoop"}),
    ]
    assert [response.status_code for response in answers] == [404] * len(answers)
    entry.refresh_from_db()
    assert (entry.status, entry.note) == ("to_contact", "b note" if persona == "alice" else "a note")
    assert own.entries.count() == 1 and not Shortlist.objects.filter(name="Snoop").exists()
    for response in answers:
        assert not leaks(world, persona, response, named_in_request=set(hidden) | {entry.creator.handle})
