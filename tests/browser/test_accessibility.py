"""axe-core (vendored: tests/browser/vendor) on every page of the every-URL walk: 0 serious or critical violations.

The routes come from the urlconf (``tests.partners.url_walker``), so a page added later is checked too. Each partner
role (viewer, analyst, manager) walks every HTML page with its own objects in the URLs (a creator it can see, its
partner's shortlist); the anonymous pages, a user without a partner and the error pages are walked too. Every
``<details>`` is opened first ("Why this score", the filter panel, the column chooser), so that what a person can
unfold is checked as well; the creator list, scorecard and compare are checked again at phone width.

Not walked: the admin (``/admin/``, Django's own interface for platform staff: its select2 autocomplete and
filter widgets fail ``label``, ``list`` and ``aria-prohibited-attr``) and the API's browsable documentation
(``/api/v1/docs/``, drf-spectacular's Swagger UI: ``color-contrast``, ``nested-interactive``, ``html-has-lang``),
both third-party markup the product does not render; the JSON endpoints and downloads are not pages.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from partners.models import Partner, Shortlist, ShortlistEntry
from scoring.models import Scorecard
from tests.browser.conftest import session_cookie
from tests.partners.url_walker import Targets, render_routes

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE_VERSION = "4.14.1"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def _axe(page) -> list[dict]:
    """The serious and critical violations of the page as it is, with every <details> opened."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not added as an inline <script>: the page's
        # Content-Security-Policy refuses inline scripts (and the harness fails a test on any violation).
        page.evaluate(AXE.read_text(encoding="utf-8"))
    assert page.evaluate("axe.version") == AXE_VERSION
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').split('\\n')[1])
        }))"""
    )
    return [violation for violation in violations if violation["impact"] in BLOCKING]


def _settle(page) -> None:
    """Wait for what the page draws after loading (Plotly charts)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-figure]')].every(chart => chart.dataset.rendered === 'true')",
        timeout=15_000,
    )


def _walk_urls(targets: Targets) -> list[str]:
    """Every GET page of the urlconf the product renders for a person: not the API (JSON, and the Swagger UI
    page), not the admin, not the downloads (the logout page is a GET confirmation: walked)."""
    routes, failures = render_routes(targets)
    assert not failures
    urls = []
    for route in routes:
        if route.is_admin or "export" in (route.name or "") or "export" in route.pattern:
            continue
        if route.pattern.startswith("api/"):
            continue
        urls += route.urls
    return urls


def _check(page, url: str, problems: list[str], *, viewport: str = "1440") -> int | None:
    """Open ``url`` and run axe on it, when it is an HTML page (not a POST-only route's 405, not a download)."""
    probe = page.request.get(url, max_redirects=5)
    if probe.status == 405 or "text/html" not in (probe.headers.get("content-type") or ""):
        return None
    response = page.goto(url)
    _settle(page)
    for violation in _axe(page):
        problems.append(f"{viewport} px {url} [{violation['impact']}] {violation['id']}: {violation['help']}\n    "
                        + "\n    ".join(violation["nodes"]))
    return response.status


@pytest.fixture
def walk_targets(scored_world) -> Targets:
    """The partner's own objects: a creator it sees (with every chart) and a shortlist with an entry."""
    from django.contrib.auth import get_user_model

    partner = Partner.objects.get(name=scored_world.partner_name)
    card = (
        Scorecard.objects.filter(run__is_published=True, creator__primary_category__slug=scored_world.category)
        .select_related("creator")
        .order_by("-overall")
        .first()
    )
    assert card is not None, "the scored world has a published scorecard"
    analyst = get_user_model().objects.get(username=scored_world.analyst)
    shortlist = Shortlist.objects.create(partner=partner, name="Spring launch", created_by=analyst)
    ShortlistEntry.objects.create(shortlist=shortlist, creator=card.creator, note="Strong engagement")
    return Targets(handle=card.creator.handle, int_ids=(shortlist.pk,), slug=scored_world.category)


@pytest.mark.parametrize("role", ["viewer", "analyst", "manager"])
def test_every_page_of_each_role_has_no_serious_or_critical_violation(browser, live_server, scored_world,
                                                                     walk_targets, role):
    username = getattr(scored_world, role)
    context = browser.new_context(viewport=DESKTOP)
    context.add_cookies([session_cookie(live_server.url, username)])
    page = context.new_page()
    problems: list[str] = []
    statuses = {}
    for path in _walk_urls(walk_targets):
        statuses[path] = _check(page, f"{live_server.url}{path}", problems)
    # The walk reached the pages with content, not just 404s.
    must = ["/", "/creators/", f"/creators/{walk_targets.handle}/", "/shortlists/",
            f"/shortlists/{walk_targets.int_ids[0]}/", "/methodology/", "/accounts/password_change/"]
    if role == "manager":
        must += ["/partner/users/", "/partner/audit/"]
    assert {path: statuses.get(path) for path in must} == dict.fromkeys(must, 200)

    # A filtered list, five creators compared, and the same pages on a phone.
    five = list(
        Scorecard.objects.filter(run__is_published=True, creator__primary_category__slug__in=scored_world.categories)
        .order_by("-overall")
        .values_list("creator__handle", flat=True)[:5]
    )
    extra = [
        f"/creators/?{urlencode({'category': scored_world.category, 'overall_min': 20, 'ordering': '-care'})}",
        f"/shortlists/{walk_targets.int_ids[0]}/?status=to_contact&ordering=-overall",
        f"/creators/compare/?{urlencode({'handles': ','.join(five)})}",
        "/creators/?followers_min=lots",  # a filter error shown on the page
    ]
    for path in extra:
        assert _check(page, f"{live_server.url}{path}", problems) in (200, 400)
    context.close()
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.add_cookies([session_cookie(live_server.url, username)])
    page = phone.new_page()
    for path in ["/", "/creators/", f"/creators/{walk_targets.handle}/", extra[2], "/shortlists/",
                 f"/shortlists/{walk_targets.int_ids[0]}/"]:
        _check(page, f"{live_server.url}{path}", problems, viewport="390")
    phone.close()
    assert not problems, "\n".join(problems)


def test_the_anonymous_pages_and_the_error_pages_have_no_serious_or_critical_violation(browser, live_server,
                                                                                        scored_world):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("nobody-at-all", password=scored_world.password)
    problems: list[str] = []
    anonymous = browser.new_context(viewport=DESKTOP)
    page = anonymous.new_page()
    assert _check(page, f"{live_server.url}/accounts/login/", problems) == 200
    assert _check(page, f"{live_server.url}/", problems) == 200
    anonymous.close()
    context = browser.new_context(viewport=DESKTOP)
    context.add_cookies([session_cookie(live_server.url, scored_world.analyst)])
    page = context.new_page()
    hidden = Scorecard.objects.exclude(creator__primary_category__slug__in=scored_world.categories).exclude(
        creator__categories__slug__in=scored_world.categories
    ).values_list("creator__handle", flat=True).first()
    assert _check(page, f"{live_server.url}/creators/{hidden}/", problems) == 404
    assert _check(page, f"{live_server.url}/no/such/page/", problems) == 404
    context.close()
    outsider = browser.new_context(viewport=DESKTOP)
    outsider.add_cookies([session_cookie(live_server.url, "nobody-at-all")])
    page = outsider.new_page()
    assert _check(page, f"{live_server.url}/creators/", problems) == 404
    outsider.close()
    assert not problems, "\n".join(problems)
