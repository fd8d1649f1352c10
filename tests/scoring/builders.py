"""Small hand-made data sets for the scoring tests: plain ``make_*`` helpers over the raw-data models."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from creators.models import Category, Collaboration, Creator, Video

_seq = itertools.count(1)

AS_OF = date(2024, 6, 30)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def days_before(n: int, hour: int = 12, as_of: date = AS_OF) -> datetime:
    """A timestamp ``n`` days before the as-of date (0 = the as-of date itself)."""
    return at(as_of - timedelta(days=n), hour)


def make_category(slug: str = "beauty") -> Category:
    return Category.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]


def make_creator(handle: str | None = None, *, followers: int | None = 50_000, category: str = "beauty") -> Creator:
    n = next(_seq)
    handle = handle or f"creator{n}"
    return Creator.objects.create(
        external_id=f"c-{handle}",
        handle=handle,
        display_name=handle.title(),
        primary_category=make_category(category),
        followers=followers,
        data_updated_at=at(AS_OF),
    )


def make_video(
    creator: Creator,
    posted_at: datetime,
    *,
    views: int = 1000,
    likes: int = 0,
    comments: int = 0,
    shares: int = 0,
    sponsored: bool = False,
    shoppable: bool = False,
    category: str | None = None,
    gmv: str | None = None,
    orders: int | None = None,
) -> Video:
    return Video.objects.create(
        external_id=f"v-{next(_seq)}",
        creator=creator,
        posted_at=posted_at,
        views=views,
        likes=likes,
        comments=comments,
        shares=shares,
        is_sponsored=sponsored,
        is_shoppable=shoppable,
        product_category=make_category(category) if category else None,
        gmv=Decimal(gmv) if gmv is not None else None,
        orders=orders,
    )


def make_videos(creator: Creator, days: list[int], **kwargs) -> list[Video]:
    return [make_video(creator, days_before(n), **kwargs) for n in days]


def make_collaboration(
    creator: Creator,
    invited_at: datetime,
    *,
    status: str = "accepted",
    responded_after_h: float | None = None,
    due_at: datetime | None = None,
    delivered_at: datetime | None = None,
) -> Collaboration:
    return Collaboration.objects.create(
        external_id=f"k-{next(_seq)}",
        creator=creator,
        brand="Brand",
        invited_at=invited_at,
        responded_at=invited_at + timedelta(hours=responded_after_h) if responded_after_h is not None else None,
        status=status,
        due_at=due_at,
        delivered_at=delivered_at,
    )
