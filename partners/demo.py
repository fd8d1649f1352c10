"""The demo partners, their grants and one user per role, for ``seed_demo``.

Two partners with different grants over the demo categories (``creators.demo.DEMO_CATEGORIES``):
- "Glow Beauty Co": beauty, fashion, home, baby; tiers performance + commercial; users glow-viewer,
  glow-analyst, glow-manager;
- "Volt Electronics": electronics, gaming, fitness; tier performance only; users volt-viewer, volt-analyst,
  volt-manager.
Every demo user's password is ``DEMO_PASSWORD`` from the environment, or the documented ``DEFAULT_DEMO_PASSWORD``.
Idempotent: running it again resets the grants and passwords to these values and creates nothing twice.
"""

from __future__ import annotations

import os
from typing import Any

from creators.models import Category
from partners.choices import Role
from partners.services import partner_grant_upsert, partner_user_upsert

# Documented in the README; for demonstrations only (override with DEMO_PASSWORD).
DEFAULT_DEMO_PASSWORD = "demo-scorecards-2026"

DEMO_PARTNERS: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    # name, username prefix, category slugs, commercial tier
    ("Glow Beauty Co", "glow", ("beauty", "fashion", "home", "baby"), True),
    ("Volt Electronics", "volt", ("electronics", "gaming", "fitness"), False),
)


def demo_partners_seed() -> list[tuple[str, str, str, str]]:
    """Create or reset the demo partners and users; return ``(partner, username, role, password)`` rows.

    Categories missing from the database are created (with a title-case name) so that the grants are complete
    even before any import.
    """
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    logins: list[tuple[str, str, str, str]] = []
    for name, prefix, slugs, commercial in DEMO_PARTNERS:
        for slug in slugs:
            Category.objects.get_or_create(slug=slug, defaults={"name": slug.replace("-", " ").title()})
        partner_grant_upsert(
            name=name,
            category_slugs=list(slugs),
            creator_handles=[],
            performance=True,
            commercial=commercial,
        )
        for role in (Role.VIEWER, Role.ANALYST, Role.MANAGER):
            username = f"{prefix}-{role.value}"
            partner_user_upsert(partner_name=name, username=username, role=role.value, password=password)
            logins.append((name, username, role.value, password))
    return logins


# One shared saved search per demo partner (name, filters), saved by its manager: ``make run`` shows one on
# ``/searches/``. Filters on fields both grants show (Volt has no commercial tier).
DEMO_SEARCHES: dict[str, tuple[str, dict[str, str]]] = {
    "glow": ("Beauty, overall 60+", {"category": "beauty", "overall_min": "60", "ordering": "-overall"}),
    "volt": ("Gaming, most active", {"category": "gaming", "ordering": "-volume"}),
}


def demo_saved_searches_seed() -> list[str]:
    """Create (or reset) each demo partner's shared saved search (saved by its manager), seen by every user of the
    partner as of the run before the published one (so that "new since you last looked" has something to show);
    return their names."""
    from partners.access import access_for_user
    from partners.models import Membership, SavedSearch
    from partners.saved_searches import filters_clean, mark_seen
    from scoring.choices import RunStatus
    from scoring.models import ScoringRun
    from scoring.selectors import published_run

    run = published_run()
    earlier = (
        ScoringRun.objects.filter(status=RunStatus.SUCCEEDED, pk__lt=run.pk).order_by("-pk").first() if run else None
    )
    names = []
    for _name, prefix, _slugs, _commercial in DEMO_PARTNERS:
        access = access_for_user(_demo_user(f"{prefix}-{Role.MANAGER.value}"))
        if not access.is_partner:
            continue
        name, filters = DEMO_SEARCHES[prefix]
        search, _ = SavedSearch.objects.update_or_create(
            partner=access.partner,
            created_by=access.user,
            name=name,
            defaults={"filters": filters_clean(filters, access=access), "shared": True, "dropped_filters": []},
        )
        for member in Membership.objects.filter(partner=access.partner).select_related("user"):
            mark_seen(search, user=member.user, run=earlier or run)
        names.append(name)
    return names


def _demo_user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


# Creators each demo user follows: the partner's biggest overall movers of the run before the last, so that the
# last run's digest (built when it publishes) has moves to show on ``/notifications/`` in ``make run``.
DEMO_FOLLOWS = 5


def demo_follows_seed() -> int:
    """Make every demo user follow up to ``DEMO_FOLLOWS`` of its partner's overall movers of the published run (the
    home page's, ``scoring.movers.run_movers``: biggest rise, biggest fall, next rise, ...), found through the
    access door and followed as a user would (``alerts.follow_set``); call it before the next run publishes. The
    number of follows created (none when the published run is the first: nothing has moved)."""
    from itertools import chain, zip_longest

    from creators.models import Creator
    from partners import alerts
    from partners.access import access_for_user
    from scoring.movers import DOWN, UP, run_movers
    from scoring.selectors import published_run

    run = published_run()
    if run is None:
        return 0
    created = 0
    for _name, prefix, _slugs, _commercial in DEMO_PARTNERS:
        for role in (Role.VIEWER, Role.ANALYST, Role.MANAGER):
            access = access_for_user(_demo_user(f"{prefix}-{role.value}"))
            if not access.is_partner or "overall" not in access.visible_indices:
                continue
            overall = run_movers(run, access).movers.get("overall", {})
            ranked = [pk for pk in chain.from_iterable(zip_longest(overall.get(UP, []), overall.get(DOWN, [])))
                      if pk is not None][:DEMO_FOLLOWS]
            for creator in Creator.objects.visible_to(access).filter(pk__in=ranked):
                created += alerts.follow_set(access=access, creator=creator, following=True)
    return created
