"""A property-based walk of every URL of the urlconf (issue 17 item 3): every route, as each kind of user, GET
and POST, with hostile values in every parameter the product reads (huge and negative numbers, non-ASCII digits,
NUL bytes, overlong strings, forged cursors). The property: no response is a server error. Runs on whichever
database the suite runs on (SQLite by default, PostgreSQL in CI)."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creators.filtersets import CreatorFilterSet
from partners.choices import Role
from partners.models import Membership, SavedSearch, Shortlist
from tests.conftest import World
from tests.partners.url_walker import Targets, render_routes

pytestmark = pytest.mark.django_db


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


HOSTILE = [
    "9" * 40, "-" + "9" * 40, "-1", "0", "1e309", "-1e309", "NaN", "inf", "1.5", "0x10", "²", "٣", "١٢٣", "Ⅻ",
    "\x00", "a\x00b", "\x00" * 3, "x" * 5_000, "é" * 300, "‮gnp.exe", "' OR 1=1 --", "<script>", "%", "%%",
    "@", "@@", ",", ",,,", " ", "", "true", "[]", "{}", "null",
    _cursor({"v": [2**70, 2**70], "b": False}), _cursor({"v": [None, None], "b": True}), _cursor({"v": "x"}),
    _cursor([1, 2]), "!!", "=" * 10,
]
# Every parameter a page, the API or a form reads: the shared filter set's, the pagers', the HTML list's display
# choices, the exports' options, compare, shortlist and audit forms, the login and token forms.
PARAMETERS = sorted(
    set(CreatorFilterSet.base_filters)
    | {"ordering", "cursor", "page", "page_size", "columns", "format", "headers", "bom", "handles", "handle",
       "shortlist", "new_name", "note", "entry", "action", "name", "outcome", "user", "next", "username",
       "password", "status", "kind", "as_of", "q", "e", "o", "p", "query", "shared", "subscribed", "filters"}
)
HANDLE_MARK, ID_MARK, SEARCH_MARK = "HANDLE_MARK", 987654321, 987654322
# Real objects among the hostile values (a visible handle, the persona's shortlist), so that a form whose other
# fields must name something real gets far enough to read the hostile one.
REAL = {"handle": HANDLE_MARK, "handles": HANDLE_MARK, "shortlist": str(ID_MARK), "action": "note"}
hostile_values = st.one_of(st.sampled_from(HOSTILE), st.integers().map(str), st.text(max_size=12))
queries = st.builds(
    lambda real, hostile: {**{name: REAL[name] for name in real}, **hostile},
    st.sets(st.sampled_from(sorted(REAL))),
    st.dictionaries(st.sampled_from(PARAMETERS), hostile_values, min_size=1, max_size=4),
)


def _route_templates() -> list[str]:
    """Every route of the urlconf as a URL with marks where an object goes (filled per test with the persona's
    own objects, so that the walk reaches the pages' code), minus the ones that end the session."""
    routes, failures = render_routes(Targets(handle=HANDLE_MARK, int_ids=(ID_MARK, SEARCH_MARK), slug="beauty"))
    assert not failures, failures
    return sorted({url for route in routes for url in route.urls if "logout" not in url})


@pytest.fixture
def clients(world: World):
    Membership.objects.filter(user=world.users["alice"]).update(role=Role.MANAGER)
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Picks", created_by=world.users["alice"])
    search = SavedSearch.objects.create(
        partner=world.partner_a, created_by=world.users["alice"], name="Beauty", shared=True,
        filters={"category": "beauty", "ordering": "-overall"},
    )
    personas = {}
    for name in ("alice", "bob", "sam"):
        client = Client(raise_request_exception=False)
        client.force_login(world.users[name])
        personas[name] = client
    personas["anonymous"] = Client(raise_request_exception=False)
    marks = {HANDLE_MARK: world.handles_a[0], str(ID_MARK): str(shortlist.pk), str(SEARCH_MARK): str(search.pk)}
    return personas, marks


@pytest.mark.parametrize("route", _route_templates())
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_input_on_any_url_is_a_server_error(clients, route, data):
    personas, marks = clients
    url = route
    for mark, value in marks.items():
        url = url.replace(mark, value)
    persona = data.draw(st.sampled_from(sorted(personas)), label="persona")
    method = data.draw(st.sampled_from(["get", "post"]), label="method")
    params = {name: marks.get(value, value) for name, value in data.draw(queries, label="params").items()}
    client = personas[persona]
    response = client.get(url, params) if method == "get" else client.post(url, params)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    assert response.status_code < 500, (persona, method, url, params, response.status_code)
