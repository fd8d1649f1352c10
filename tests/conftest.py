"""Shared fixtures: the standard personas and a small scored world they look at.

Personas (healthchecks style):
- Alice: partner A ("Acme Beauty"), analyst. Grant A: categories beauty + fashion, tiers performance + commercial.
- Bob: partner A, viewer.
- Charlie: partner B ("Bolt Gadgets"), analyst. Grant B: electronics + gaming, performance only. Shares nothing
  with grant A.
- Dana: a user with no partner.
- Sam: platform staff (superuser), no partner.

``world`` builds categories, creators, a published scoring run with scorecards and category impacts directly
through ``bulk_create`` (independent of the scoring engine), the two partners and the five users. Clients:
``alice_client``, ``bob_client``, ``charlie_client``, ``dana_client``, ``sam_client`` (logged in with
``force_login``); the password of every persona is ``PERSONA_PASSWORD`` for login tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django.utils import timezone

from creators.models import Category, Creator, Video
from partners.choices import Role
from partners.models import AccessGrant, Membership, Partner
from scoring.choices import Confidence, RunStatus
from scoring.models import CategoryImpact, Scorecard, ScoringRun

PERSONA_PASSWORD = "persona-pass-5821-xyz"
CATEGORY_SLUGS = ("beauty", "fashion", "electronics", "gaming", "travel")
CREATORS_PER_CATEGORY = 4


@dataclass
class World:
    """Everything the persona fixtures create, by name."""

    categories: dict[str, Category]
    creators: dict[str, Creator]
    run: ScoringRun
    partner_a: Partner
    partner_b: Partner
    grant_a: AccessGrant
    grant_b: AccessGrant
    users: dict[str, User] = field(default_factory=dict)

    def handles_in(self, *slugs: str) -> list[str]:
        return sorted(h for h, c in self.creators.items() if c.primary_category.slug in slugs)

    @property
    def handles_a(self) -> list[str]:
        """Creators visible to partner A only."""
        return self.handles_in("beauty", "fashion")

    @property
    def handles_b(self) -> list[str]:
        """Creators visible to partner B only."""
        return self.handles_in("electronics", "gaming")

    @property
    def handles_nobody(self) -> list[str]:
        return self.handles_in("travel")


def make_category(slug: str) -> Category:
    return Category.objects.get_or_create(slug=slug, defaults={"name": slug.replace("-", " ").title()})[0]


def make_creators(categories: dict[str, Category], per_category: int, *, prefix: str = "") -> dict[str, Creator]:
    """``per_category`` creators per category, handles like ``beauty_1`` (``<prefix>beauty_1``); the primary
    category is also linked."""
    now = timezone.now()
    creators = []
    countries = ("US", "GB", "DE", "FR")
    for ci, (slug, category) in enumerate(categories.items()):
        for i in range(1, per_category + 1):
            creators.append(
                Creator(
                    external_id=f"ext-{prefix}{slug}-{i}",
                    handle=f"{prefix}{slug}_{i}",
                    display_name=f"{prefix}{slug.title()} Creator {i}",
                    country=countries[(ci + i) % len(countries)],
                    primary_category=category,
                    followers=1_000 * (ci + 1) * i,
                    source="test",
                    data_updated_at=now,
                )
            )
    Creator.objects.bulk_create(creators)
    saved = {c.handle: c for c in Creator.objects.filter(handle__in=[c.handle for c in creators])}
    link = Creator.categories.through
    link.objects.bulk_create(
        [link(creator_id=c.pk, category_id=c.primary_category_id) for c in saved.values()]
    )
    return saved


def make_published_run(creators: dict[str, Creator], *, as_of: date | None = None) -> ScoringRun:
    """A published run with a scorecard per creator and an impact in its primary category, via bulk_create."""
    run = ScoringRun.objects.create(
        as_of=as_of or date.today() - timedelta(days=1),
        status=RunStatus.SUCCEEDED,
        is_published=True,
        triggered_by="test",
        creators_count=len(creators),
        published_at=timezone.now(),
    )
    make_scorecards(run, creators)
    return run


def make_scorecards(run: ScoringRun, creators: dict[str, Creator]) -> None:
    """A scorecard and a primary-category impact per creator in ``run``, with varied, hand-checkable values."""
    cards, impacts = [], []
    # The copies a scoring run makes of each creator's linked categories and country.
    links = Creator.categories.through.objects.filter(creator_id__in=[c.pk for c in creators.values()])
    category_ids: dict[int, set[int]] = {c.pk: set() for c in creators.values()}
    for creator_id, category_id in links.values_list("creator_id", "category_id"):
        category_ids[creator_id].add(category_id)
    for n, creator in enumerate(sorted(creators.values(), key=lambda c: c.handle)):
        base = (n * 37) % 97
        cards.append(
            Scorecard(
                run=run,
                creator=creator,
                collaboration=float((base + 11) % 100),
                care=float((base + 23) % 100),
                volume=float((base + 5) % 100),
                effectiveness=float((base + 41) % 100),
                # Every fifth creator has no known GMV: sales is null, as in real data.
                sales=None if n % 5 == 0 else float((base + 59) % 100),
                consistency=float((base + 67) % 100),
                overall=float(base) + 0.5,
                confidence=Confidence.MEDIUM,
                collaboration_confidence=Confidence.LOW,
                follower_tier=1,
                followers=creator.followers,
                videos=6 + n % 10,
                views=10_000 * (n + 1),
                engagements=900 * (n + 1),
                engagement_rate=0.09,
                sponsored_share=0.25,
                shoppable_share=0.5,
                gmv=None if n % 5 == 0 else 1234.5 + n,
                orders=None if n % 5 == 0 else 40 + n,
                gpm=None if n % 5 == 0 else 12.5,
                active_weeks=9,
                gap_cv=0.4,
                invitations=5,
                accepted=3,
                responded=4,
                due=3,
                on_time=2,
                median_response_h=20.0,
                country=creator.country,
                category_ids=sorted(category_ids[creator.pk]),
            )
        )
        impacts.append(
            CategoryImpact(
                run=run, creator=creator, category_id=creator.primary_category_id, impact=float((base * 3) % 100),
                views=10_000 * (n + 1), gmv=None, videos=5,
            )
        )
    Scorecard.objects.bulk_create(cards)
    CategoryImpact.objects.bulk_create(impacts)


def make_partner(
    name: str, *, categories: Sequence[Category] = (), creators: Sequence[Creator] = (), performance: bool = True,
    commercial: bool = False,
) -> tuple[Partner, AccessGrant]:
    partner = Partner.objects.create(name=name)
    grant = AccessGrant.objects.create(
        partner=partner, performance=performance, commercial=commercial,
        valid_from=timezone.now() - timedelta(days=1),
    )
    grant.categories.set(categories)
    grant.creators.set(creators)
    return partner, grant


def make_user(username: str, *, partner: Partner | None = None, role: str = Role.VIEWER, staff: bool = False):
    user_model = get_user_model()
    if staff:
        user = user_model.objects.create_superuser(username=username, password=PERSONA_PASSWORD, email="")
    else:
        user = user_model.objects.create_user(username=username, password=PERSONA_PASSWORD)
    if partner is not None:
        Membership.objects.create(user=user, partner=partner, role=role)
    return user


def _clear_default_cache() -> None:
    """Empty the default cache. On Redis only this cache's own keys go: ``clear()`` is ``FLUSHDB``, which would
    also drop the Celery broker's queues and bindings that share the database in the integration tests."""
    default = caches["default"]
    if isinstance(default, RedisCache):
        client = default._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{settings.CACHE_KEY_PREFIX}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        default.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache (cached counts, choice lists and sessions must not leak between
    tests: run ids and revisions repeat from one test database to the next)."""
    _clear_default_cache()
    yield
    _clear_default_cache()


@pytest.fixture
def world(db) -> World:
    categories = {slug: make_category(slug) for slug in CATEGORY_SLUGS}
    creators = make_creators(categories, CREATORS_PER_CATEGORY)
    run = make_published_run(creators)
    partner_a, grant_a = make_partner(
        "Acme Beauty", categories=[categories["beauty"], categories["fashion"]], commercial=True
    )
    partner_b, grant_b = make_partner("Bolt Gadgets", categories=[categories["electronics"], categories["gaming"]])
    world = World(
        categories=categories, creators=creators, run=run, partner_a=partner_a, partner_b=partner_b,
        grant_a=grant_a, grant_b=grant_b,
    )
    world.users = {
        "alice": make_user("alice", partner=partner_a, role=Role.ANALYST),
        "bob": make_user("bob", partner=partner_a, role=Role.VIEWER),
        "charlie": make_user("charlie", partner=partner_b, role=Role.ANALYST),
        "dana": make_user("dana"),
        "sam": make_user("sam", staff=True),
    }
    return world


@pytest.fixture
def scorable_world(world: World) -> World:
    """``world`` plus a video per creator (yesterday): a scoring run starts only when there is a video."""
    yesterday = timezone.now() - timedelta(days=1)
    Video.objects.bulk_create(
        Video(external_id=f"world-v-{creator.handle}", creator=creator, posted_at=yesterday, views=100, likes=5,
              comments=1, shares=1)
        for creator in world.creators.values()
    )
    return world


def _client_for(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


@pytest.fixture
def alice_client(world: World) -> Client:
    return _client_for(world, "alice")


@pytest.fixture
def bob_client(world: World) -> Client:
    return _client_for(world, "bob")


@pytest.fixture
def charlie_client(world: World) -> Client:
    return _client_for(world, "charlie")


@pytest.fixture
def dana_client(world: World) -> Client:
    return _client_for(world, "dana")


@pytest.fixture
def sam_client(world: World) -> Client:
    return _client_for(world, "sam")
