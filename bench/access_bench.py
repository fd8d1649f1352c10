"""Cost of the access restriction on the creator list at 1,000,000 creators (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/access_bench python bench/access_bench.py [--creators N]

Generates, in the database with ``generate_series``, N creators over 20 categories and 20 countries (about a
third with a second category), a published run with one scorecard each (its copies of the creator's country and
category ids written by the scoring run's own SQL), and a partner whose grant covers 4 of the 20 categories. It
then times (median of repeated runs, warm cache) the list queries the product runs, as the partner
(``creator_list`` + ``CreatorFilterSet``: the restricted path) and without any restriction (the same statement,
same columns and annotations, with no access condition), and prints the ratio per query. Both querysets are built
once; each timed call compiles and runs a fresh copy, so the ratio compares the queries alone.
Data is reused when the database already holds N creators (``--fresh`` regenerates). Not a test: a measurement.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DEBUG", "0")

import django

from bench.common import ensure_database, generate_creators

django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery

from creators.filtersets import CreatorFilterSet, order_expressions
from creators.models import Category, Creator
from creators.selectors import CategorySlugs, creator_list
from partners.access import access_for_user
from partners.choices import Role
from partners.models import AccessGrant, Membership, Partner
from scoring.catalogue import PROFILE_FIELDS, SCORECARD_FIELDS
from scoring.indices import POSTGRESQL, Dialect, creator_access_sql
from scoring.models import Scorecard, ScoringRun

CATEGORIES = 20
GRANTED = 4
COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "BR", "MX", "IN", "ID", "JP", "KR", "CA", "AU", "NL", "SE", "PL",
             "TR", "PH", "NG")


def generate(n: int) -> None:
    t0 = time.perf_counter()
    # The creator's country and category ids copied onto its scorecard, by the scoring run's own SQL.
    ACCESS = creator_access_sql(dialect=Dialect(POSTGRESQL), creator="cr")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(
            "TRUNCATE scoring_categoryimpact, scoring_scorecard, scoring_scoringrun, creators_creator_categories, "
            "partners_accessgrant_categories, partners_accessgrant_creators, partners_accessgrant, "
            "partners_membership, partners_auditevent, creators_creator, creators_category CASCADE"
        )
        generate_creators(cur, n, categories=CATEGORIES, countries=COUNTRIES)
        run_id = ScoringRun.objects.create(
            as_of=datetime.now(UTC).date(), status="succeeded", is_published=True, progress=100, creators_count=n,
            triggered_by="bench", published_at=datetime.now(UTC),
        ).pk
        cur.execute(
            f"""
            INSERT INTO scoring_scorecard (run_id, creator_id, collaboration, care, volume, effectiveness, sales,
                consistency, overall, confidence, collaboration_confidence, follower_tier, followers, videos, views,
                engagements, engagement_rate, sponsored_share, shoppable_share, gmv, orders, gpm, active_weeks,
                gap_cv, invitations, accepted, responded, due, on_time, median_response_h, country, category_ids)
            SELECT %s, id, r1 * 100, r2 * 100, r3 * 100, r4 * 100,
                   CASE WHEN r5 < 0.3 THEN NULL ELSE r5 * 100 END, r6 * 100,
                   CASE WHEN r1 < 0.05 THEN NULL ELSE (r1 + r3 + r4 + r6) * 25 END,
                   'medium', 'low', 1, followers, 10, 10000, 900, 0.09, 0.2, 0.4, NULL, NULL, NULL, 9, 0.5,
                   3, 2, 2, 1, 1, 20, country, category_ids
            FROM (SELECT cr.id, cr.followers, random() r1, random() r2, random() r3, random() r4, random() r5,
                         random() r6, {ACCESS["country"]} AS country, {ACCESS["category_ids"]} AS category_ids
                  FROM creators_creator cr) c
            """,
            [run_id],
        )
    with connection.cursor() as cur:
        for table in ("creators_category", "creators_creator"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    print(f"generated {n:,} creators and scorecards in {time.perf_counter() - t0:.1f} s", flush=True)


def partner_user(granted: int):
    partner, _ = Partner.objects.get_or_create(name=f"Bench {granted} categories")
    grant = partner.grants.first() or AccessGrant.objects.create(partner=partner, performance=True, commercial=True)
    grant.categories.set(Category.objects.filter(pk__lte=granted))
    user, _ = get_user_model().objects.get_or_create(username=f"bench-{granted}")
    Membership.objects.update_or_create(user=user, defaults={"partner": partner, "role": Role.ANALYST})
    return user


def unrestricted_list(visible: frozenset[str]):
    """The same rows and shape as ``creator_list`` with no access condition at all (reference only)."""
    run_id = ScoringRun.objects.filter(is_published=True).values_list("id", flat=True).first()
    names = ["creator_id", *PROFILE_FIELDS, *(name for name in SCORECARD_FIELDS if name in visible)]
    creator = Creator.objects.filter(pk=OuterRef("creator_id")).order_by()
    return (
        Scorecard.objects.filter(run_id=run_id)
        .annotate(handle=Subquery(creator.values("handle")), display_name=Subquery(creator.values("display_name")),
                  categories=CategorySlugs(F("creator_id"), Subquery(creator.values("primary_category_id"))))
        .values(*names)
    )


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm the cache and the plan
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be overwritten).")
    ensure_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    if args.fresh or Creator.objects.count() != args.creators:
        generate(args.creators)
    with connection.cursor() as cur:
        # What autovacuum does to a published run's static rows: statistics and the visibility map (index-only
        # scans). Quick when already done.
        for table in ("creators_creator", "creators_creator_categories", "scoring_scorecard"):
            cur.execute(f"VACUUM ANALYZE {table}")

    user = partner_user(GRANTED)
    access = access_for_user(user)
    visible = access.visible_field_names
    country = "US"
    category = Category.objects.get(pk=1)
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = []

    def restricted(params: dict[str, str]):
        return CreatorFilterSet(params, queryset=creator_list(access=access), access=access).qs

    def plain(order: list[str], *conditions, **filters):
        qs = unrestricted_list(visible)
        if conditions or filters:
            qs = qs.filter(*conditions, **filters)
        return qs.order_by(*order_expressions(order))

    def in_category(value: Category) -> Q:
        # The same condition as CreatorFilterSet.filter_category: primary or any category, on the scorecard's copy.
        return Q(category_ids__overlap=[value.pk])

    # Both sides built once (the filterset validates its parameters once); each timed call compiles and runs a
    # fresh copy (``.all()``), so the ratio compares the two queries and nothing else.
    everything = restricted({})
    plain_everything = plain(["-overall"])
    plain_in_category_country = plain(["-overall"], in_category(category), country=country)
    plain_scored = plain(["-volume"], overall__gte=60, volume__gte=50)
    in_category_country = restricted({"category": category.slug, "country": country})
    scored = restricted({"overall_min": "60", "volume_min": "50", "ordering": "-volume"})
    cases.append((
        "first page, ordered by -overall (50 rows)",
        lambda: list(everything.all()[:50]),
        lambda: list(plain_everything.all()[:50]),
    ))
    cases.append((
        "page 200 by OFFSET (rows 9,951-10,000)",
        lambda: list(everything.all()[9950:10000]),
        lambda: list(plain_everything.all()[9950:10000]),
    ))
    cases.append((
        "count of the list",
        lambda: everything.all().count(),
        lambda: plain_everything.all().count(),
    ))
    cases.append((
        "count capped at 10,001 (the HTML list's 10,000+)",
        lambda: everything.values("creator_id").order_by()[:10001].count(),
        lambda: plain_everything.values("creator_id").order_by()[:10001].count(),
    ))
    cases.append((
        f"category={category.slug}&country={country}, -overall, 50 rows",
        lambda: list(in_category_country.all()[:50]),
        lambda: list(plain_in_category_country.all()[:50]),
    ))
    cases.append((
        "overall_min=60&volume_min=50, -volume, 50 rows",
        lambda: list(scored.all()[:50]),
        lambda: list(plain_scored.all()[:50]),
    ))
    cases.append((
        "access_for_user (2 small queries)",
        lambda: access_for_user(user),
        lambda: None,
    ))

    visible_count = restricted({}).count()
    total = plain(["-overall"]).count()
    print(f"\n{args.creators:,} creators; partner grant: {GRANTED} of {CATEGORIES} categories, "
          f"{visible_count:,} visible creators ({visible_count / total:.0%}); median of {args.repeat} runs\n")
    print("| query | restricted (partner) | unrestricted | ratio |\n| --- | --- | --- | --- |")
    for label, with_access, without in cases:
        r = median_ms(with_access, args.repeat)
        u = median_ms(without, args.repeat)
        ratio = f"{r / u:.2f}x" if u > 0.05 else "—"
        print(f"| {label} | {r:.1f} ms | {u:.1f} ms | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
