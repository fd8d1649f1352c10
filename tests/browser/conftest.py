"""Playwright harness: Debian's Chromium (never a downloaded browser) against pytest-django's live server.

Data: the real TikTok-2020 export, loaded through the product's importers and scored twice by the scoring engine
(two as-of dates, so the trend chart has history), plus a partner with analyst and viewer users.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "browser-pass-7731-qxz"
AS_OF_EARLIER = date(2020, 10, 24)
AS_OF = date(2020, 11, 7)


def tiktok_data_dir() -> Path | None:
    for candidate in (
        Path(settings.BASE_DIR).parent / "shared" / "data" / "tiktok-2020",
        Path("/work/shared/data/tiktok-2020"),
    ):
        if (candidate / "top_users_vids.csv").exists() and (candidate / "top-250-tiktokers.csv").exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the tests make between
    # browser steps are still synchronous, so Django's async-safety guard does not apply to them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield CspCheckedBrowser(chromium)
        chromium.close()


# Chromium reports a Content-Security-Policy violation as a console error ("Refused to execute inline script
# because it violates ..."); the page's own securitypolicyviolation event says the same from inside, in case a
# message is not forwarded. Either fails the test that caused it (csp_violations below).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("Refused by the Content-Security-Policy: " + event.violatedDirective + " blocked " +
                (event.blockedURI || "inline") + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""
CSP_VIOLATIONS: list[str] = []


def _is_csp_violation(text: str) -> bool:
    return text.startswith("Refused to") or "Content-Security-Policy" in text or "Content Security Policy" in text


class CspCheckedBrowser:
    """The Playwright browser, whose every new context records CSP violations reported on its pages."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, *args, **kwargs):
        context = self._browser.new_context(*args, **kwargs)
        context.add_init_script(CSP_LISTENER)
        context.on(
            "console",
            lambda message: CSP_VIOLATIONS.append(f"{message.page.url if message.page else '?'}: {message.text}")
            if _is_csp_violation(message.text)
            else None,
        )
        return context

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture(autouse=True)
def csp_violations() -> Iterator[list[str]]:
    """Fail any browser test during which a page reported a Content-Security-Policy violation."""
    CSP_VIOLATIONS.clear()
    yield CSP_VIOLATIONS
    found = list(CSP_VIOLATIONS)
    CSP_VIOLATIONS.clear()
    assert not found, "Content-Security-Policy violations:\n" + "\n".join(found)


@dataclass
class BrowserWorld:
    partner_name: str
    analyst: str
    viewer: str
    password: str
    category: str
    categories: list[str]
    manager: str = "max-manager"


@pytest.fixture
def scored_world(transactional_db) -> BrowserWorld:
    """The real data, imported and scored, and a partner that sees its three largest categories."""
    folder = tiktok_data_dir()
    if folder is None:
        pytest.skip("the TikTok-2020 data (shared/data/tiktok-2020) is not available")
    try:
        from creators.services import import_file
    except ImportError:
        pytest.skip("the importers (creators.services.import_file) are not on this branch yet")
    from django.db.models import Count

    from creators.models import Category
    from partners.choices import Role
    from partners.services import partner_grant_upsert, partner_user_upsert
    from scoring.services import scoring_run_request

    for kind, name in (("tiktok2020_creators", "top-250-tiktokers.csv"), ("tiktok2020_videos", "top_users_vids.csv")):
        report = import_file(kind=kind, path=folder / name, queue_scoring=False)
        assert report.ok, report.errors[:5]
    from config.celery import app as celery_app

    # These tests are about the pages, not the workers: score in-process even when a broker is configured (the
    # scoring helper's integration tests run real workers).
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        for as_of in (AS_OF_EARLIER, AS_OF):
            run = scoring_run_request(triggered_by="browser-test", as_of=as_of)
            run.refresh_from_db()
            assert run.is_published, (run.status, run.error)
    finally:
        celery_app.conf.task_always_eager = eager
    top = list(
        Category.objects.annotate(n=Count("primary_creators")).order_by("-n", "slug").values_list("slug", flat=True)[:3]
    )
    partner = "Browser Test Brands"
    partner_grant_upsert(name=partner, category_slugs=top, creator_handles=[], performance=True, commercial=True)
    partner_user_upsert(partner_name=partner, username="ana-analyst", role=Role.ANALYST, password=PASSWORD)
    partner_user_upsert(partner_name=partner, username="vic-viewer", role=Role.VIEWER, password=PASSWORD)
    partner_user_upsert(partner_name=partner, username="max-manager", role=Role.MANAGER, password=PASSWORD)
    # The partner's own weights: the creator table then has its widest default set ("Our score" too).
    from partners.models import Partner, PartnerWeights

    PartnerWeights.objects.update_or_create(
        partner=Partner.objects.get(name=partner),
        defaults={"collaboration": 2, "care": 1, "volume": 1, "effectiveness": 3, "sales": 2, "consistency": 1},
    )
    return BrowserWorld(partner, "ana-analyst", "vic-viewer", PASSWORD, top[0], top)


def session_cookie(live_url: str, username: str) -> dict:
    """A logged-in session for ``username`` as a Playwright cookie: a page opened with it is a cold first visit
    (nothing in the browser's cache, not even the login page's stylesheet)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_url}


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """``docs/screenshots`` when ``UPDATE_SCREENSHOTS=1`` (to refresh the README's images), else a temp dir."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        target = Path(settings.BASE_DIR) / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path
