"""Every page a person can meet is rendered without template syntax in it.

Django's ``{# ... #}`` comment ends at the end of its line: split over two lines it is printed on the page as text
(it once was, above every creator table). This renders every route of the urlconf as each persona (with their own
objects, so the pages have content), the login page, and the error pages (404, 429, the lock-out, 503), and fails
if ``{#`` or ``#}`` appears in any HTML answer, or if its title names the product twice. A second test reads every
template file for a split comment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from config.queue import QueueUnavailable, QueueUnavailableMiddleware
from partners.choices import Role
from partners.models import SavedSearch, Shortlist, ShortlistEntry
from tests.conftest import PERSONA_PASSWORD, World, make_user
from tests.partners.url_walker import Targets, render_routes

pytestmark = pytest.mark.django_db

MARKERS = ("{#", "#}")
PERSONAS = ("alice", "bob", "mia", "charlie", "dana", "sam")
# Pages each role must have been given with content (200), so that the walk cannot pass on 404s alone.
PARTNER_PAGES = ("creators:list", "creators:detail", "creators:compare", "shortlists:list", "shortlists:detail",
                 "searches:list", "notifications:list", "methodology", "password_change")
EXPECTED_PAGES = {
    "alice": PARTNER_PAGES,
    "bob": PARTNER_PAGES,
    "mia": (*PARTNER_PAGES, "partner:users", "partner:audit"),
    "charlie": PARTNER_PAGES,
    "sam": ("admin:index", "admin:creators_importjob_changelist", "admin:scoring_scoringrun_changelist"),
}


def expected_urls(persona: str, targets: Targets) -> set[str]:
    urls = set()
    for name in EXPECTED_PAGES.get(persona, ()):
        kwargs: dict[str, Any] = {"handle": targets.handle} if name == "creators:detail" else {}
        kwargs |= {"pk": targets.int_ids[0]} if name == "shortlists:detail" else {}
        urls.add(reverse(name, kwargs=kwargs))
    return urls


def html_of(response: Any) -> str:
    """The text of an HTML answer ("" for anything else: a file, a stream, JSON)."""
    if "text/html" not in response.get("Content-Type", "") or getattr(response, "streaming", False):
        return ""
    return response.content.decode("utf-8", errors="replace")


def printed_syntax(response: Any) -> list[str]:
    """The template comment markers in an HTML answer, with a little context each."""
    text = html_of(response)
    return [text[max(0, m.start() - 60) : m.end() + 60] for m in re.finditer("|".join(map(re.escape, MARKERS)), text)]


def title_problems(response: Any) -> list[str]:
    """The page's ``<title>`` when it names the product more than once ("Sign in · Creator Scorecards · Creator
    Scorecards": a page's own title block repeating what base.html appends)."""
    found = re.search(r"<title>(.*?)</title>", html_of(response), re.S)
    return [found.group(1)] if found and found.group(1).count("Creator Scorecards") > 1 else []


@pytest.fixture
def mia(world: World):
    """A manager of partner A (the audit trail and the users page)."""
    user = make_user("mia", partner=world.partner_a, role=Role.MANAGER)
    world.users["mia"] = user
    return user


@pytest.fixture
def own_objects(world: World) -> dict[str, Targets]:
    """Per partner, its own creator and shortlist: the pages that take an object render with content."""
    targets = {}
    for key, partner, handles, user in (("a", world.partner_a, world.handles_a, "alice"),
                                        ("b", world.partner_b, world.handles_b, "charlie")):
        shortlist = Shortlist.objects.create(partner=partner, name=f"{key} picks", created_by=world.users[user])
        ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[handles[0]], note="call them")
        search = SavedSearch.objects.create(
            partner=partner, created_by=world.users[user], name=f"{key} search", shared=True,
            filters={"category": "beauty" if key == "a" else "gaming"},
        )
        targets[key] = Targets(handle=handles[0], int_ids=(shortlist.pk, search.pk),
                               slug="beauty" if key == "a" else "gaming")
    return targets


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_prints_template_syntax(world, mia, own_objects, persona):
    client = Client()
    client.force_login(world.users[persona])
    targets = own_objects["b" if persona == "charlie" else "a"]
    routes, failures = render_routes(targets)
    assert not failures
    problems, rendered = [], set()
    for route in routes:
        for url in route.urls:
            if route.name == "logout":
                continue  # POST only; the walk must stay logged in
            response = client.get(url)
            problems += [f"{persona} GET {url}: …{found}…" for found in printed_syntax(response)]
            problems += [f"{persona} GET {url}: title {title!r}" for title in title_problems(response)]
            if response.status_code == 200:
                rendered.add(url)
    assert not problems, "\n".join(problems)
    missing = expected_urls(persona, targets) - rendered
    assert not missing, f"{persona} did not get these pages with content: {sorted(missing)}"


def test_the_anonymous_and_error_pages_print_no_template_syntax(world):
    anonymous = Client()
    pages = {"login": anonymous.get(reverse("login")), "home": anonymous.get(reverse("home"))}
    alice = Client()
    alice.force_login(world.users["alice"])
    pages["404 of a hidden creator"] = alice.get(reverse("creators:detail", kwargs={"handle": world.handles_b[0]}))
    pages["404 of no page"] = alice.get("/no/such/page/")
    dana = Client()
    dana.force_login(world.users["dana"])
    pages["404 without access"] = dana.get(reverse("creators:list"))
    with override_settings(AXES_FAILURE_LIMIT=1):
        locked = Client(REMOTE_ADDR="10.0.0.42")
        locked.post(reverse("login"), {"username": "alice", "password": "wrong"})
        pages["lock-out"] = locked.post(reverse("login"), {"username": "alice", "password": PERSONA_PASSWORD})
    request = RequestFactory().get("/admin/")
    pages["503 queue unavailable"] = QueueUnavailableMiddleware(lambda r: None).process_exception(
        request, QueueUnavailable()
    )
    expected = {"login": 200, "home": 200, "404 of a hidden creator": 404, "404 of no page": 404,
                "404 without access": 404, "lock-out": 429, "503 queue unavailable": 503}
    assert {name: response.status_code for name, response in pages.items()} == expected
    problems = [f"{name}: …{found}…" for name, response in pages.items() for found in printed_syntax(response)]
    problems += [f"{name}: title {title!r}" for name, response in pages.items() for title in title_problems(response)]
    assert not problems, "\n".join(problems)


@pytest.mark.urls("tests.partners.urls_with_samples")
@override_settings(EXPORT_DAILY_ROW_QUOTA=1)
def test_the_export_quota_page_prints_no_template_syntax(world, alice_client):
    response = alice_client.get("/sample/export/")
    assert response.status_code == 429 and "text/html" in response["Content-Type"]
    assert printed_syntax(response) == []


def _template_files() -> list[Path]:
    engines: list[dict[str, Any]] = settings.TEMPLATES
    folders = [Path(folder) for engine in engines for folder in engine.get("DIRS", [])]
    folders += [Path(settings.BASE_DIR) / app / "templates" for app in ("creators", "partners", "scoring")]
    return sorted(path for folder in folders if folder.exists() for path in folder.rglob("*.html"))


def test_no_template_comment_spans_two_lines():
    files = _template_files()
    assert any(path.name == "list.html" for path in files)
    split = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.count("{#") != line.count("#}")
    ]
    assert not split, "use {% comment %} for comments longer than a line: " + ", ".join(split)
