"""Helpers for the import tests: hand-made files and a snapshot of every raw-data table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from creators.models import Category, Collaboration, Creator, Video

CREATORS_HEADER = "external_id,handle,primary_category,display_name,country,categories,followers"
VIDEOS_HEADER = (
    "external_id,creator,posted_at,views,likes,comments,shares,is_sponsored,is_shoppable,product_category,"
    "orders,gmv,duration_s,hashtags"
)
COLLABORATIONS_HEADER = "external_id,creator,brand,invited_at,status,category,responded_at,due_at,delivered_at"


def write(folder: Path, text: str | bytes, name: str = "input.csv") -> Path:
    """Write a hand-made file exactly as given (bytes untouched; text as UTF-8 with its own line endings)."""
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def lines(*rows: str, crlf: bool = False) -> str:
    return ("\r\n" if crlf else "\n").join(rows) + ("\r\n" if crlf else "\n")


def db_state() -> tuple:
    """Everything an import may write, in a comparable form."""
    return (
        sorted(Category.objects.values_list("slug", "name")),
        sorted(
            Creator.objects.values_list(
                "external_id", "handle", "display_name", "country", "followers", "primary_category__slug",
                "source", "data_updated_at",
            )
        ),
        sorted(Creator.categories.through.objects.values_list("creator__external_id", "category__slug")),
        sorted(Video.objects.values_list(
            "external_id", "creator__external_id", "posted_at", "views", "likes", "comments", "shares",
            "is_sponsored", "is_shoppable", "product_category__slug", "orders", "gmv", "duration_s", "hashtags",
        )),
        sorted(Collaboration.objects.values_list(
            "external_id", "creator__external_id", "brand", "category__slug", "invited_at", "responded_at",
            "status", "due_at", "delivered_at",
        )),
    )


def make_categories(*slugs: str) -> dict[str, Category]:
    return {slug: Category.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0] for slug in slugs}


def make_creator(external_id: str, handle: str, *, category: Category, followers: int | None = 1000) -> Creator:
    creator = Creator.objects.create(
        external_id=external_id,
        handle=handle,
        primary_category=category,
        followers=followers,
        data_updated_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    creator.categories.add(category)
    return creator


def messages(report) -> list[str]:
    return [str(error) for error in report.errors]
