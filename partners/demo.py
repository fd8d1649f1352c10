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
