"""Alerts digest benchmark: the digest task for 1,000 subscribed users at 1,000,000 creators (issue 19).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_digest \\
        flock /tmp/bench.lock .venv/bin/python bench/digest_bench.py

What it does:
1. generates N creators (``bench.common.generate_creators``: 20 categories, a third with a second category) and
   two runs of scorecards in SQL: the first, and the second compared with it, every index moved by a uniform
   -10..+10 points (so that about half of the followed creators' visible indices move by the default 5 points);
2. ten partners, each granted two categories (about 150,000 creators each), half with the commercial tier, 100 users
   each with an email address, each following 20 creators of its partner's grant (1,000 users, 20,000 follows);
3. times ``partners.alerts.digest_run`` of the published run: access per user, the moves (set-based per access
   scope), one digest per user stored, and each email rendered and sent over SMTP to an in-process ``aiosmtpd``
   sink (one connection for the run); then a second execution (idempotent: nothing to do);
4. the reference, in the same run: the bare SQL join of every follow with its scorecard of the run, filtered on the
   moves (the data the digest has to read, without access rules, digests or emails).
Target: the digest under a minute. Figures come from a shared, busy 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database, generate_creators, log

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_digest"
CATEGORIES = 20
COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "BR", "MX", "IN", "JP")
PARTNERS = 10
USERS_PER_PARTNER = 100
FOLLOWS_PER_USER = 20
INDICES = ("overall", "collaboration", "care", "volume", "effectiveness", "sales", "consistency")


def _scorecards_sql(*, run_id: int, moved: bool) -> str:
    """The INSERT of one run's scorecards: index k of creator id is a hash in 0..100; the second run moves it by
    a hash in -10..+10 (clamped to 0..100) and records the change."""
    from scoring.indices import POSTGRESQL, Dialect, creator_access_sql

    # The creator's country and category ids copied onto its scorecard, by the scoring run's own SQL.
    access = creator_access_sql(dialect=Dialect(POSTGRESQL), creator="cr")

    def base(k: int) -> str:
        return f"((hashint4((id * {k + 3})::int) & 2147483647) % 10000) / 100.0"

    def delta(k: int) -> str:
        return f"(((hashint4((id * {k + 31})::int) & 2147483647) % 2001) - 1000) / 100.0"

    values, changes = [], []
    for k, name in enumerate(INDICES):
        if moved:
            values.append(f"greatest(0, least(100, {base(k)} + {delta(k)})) AS {name}")
            changes.append(f"greatest(0, least(100, {base(k)} + {delta(k)})) - {base(k)} AS {name}_change")
        else:
            values.append(f"{base(k)} AS {name}")
            changes.append(f"NULL::float AS {name}_change")
    columns = ", ".join(INDICES) + ", " + ", ".join(f"{n}_change" for n in INDICES)
    return f"""
        INSERT INTO scoring_scorecard (run_id, creator_id, {columns}, confidence, collaboration_confidence,
            follower_tier, followers, videos, views, engagements, active_weeks, invitations, accepted, responded,
            due, on_time, country, category_ids, is_new, videos_previous, views_previous)
        SELECT {run_id}, id, {", ".join(n for n in INDICES)}, {", ".join(f"{n}_change" for n in INDICES)},
               'medium', 'low', 1, followers, 10, 10000, 900, 9, 3, 2, 2, 1, 1, country, category_ids, false, 10,
               10000
        FROM (SELECT cr.id, cr.followers, {access["country"]} AS country, {access["category_ids"]} AS category_ids,
                     {", ".join(values)}, {", ".join(changes)}
              FROM creators_creator cr) c
    """


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def generate(n: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from partners.choices import Role
    from partners.models import AccessGrant, Follow, Membership, Partner
    from scoring.models import ScoringRun

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(
            "TRUNCATE partners_notificationitem, partners_notification, partners_digestrun, partners_follow, "
            "partners_alertsettings, scoring_categoryimpact, scoring_scorecard, scoring_runaggregate, "
            "scoring_scoringrun, creators_creator_categories, partners_accessgrant_categories, "
            "partners_accessgrant_creators, partners_accessgrant, partners_membership, partners_partner, "
            "partners_auditevent, creators_creator, creators_category CASCADE"
        )
        cursor.execute("DELETE FROM auth_user WHERE username LIKE 'digest-%%'")
        generate_creators(cursor, n, categories=CATEGORIES, countries=COUNTRIES)
        log(f"creators: {time.perf_counter() - started:.1f} s")
        now = timezone.now()
        first = ScoringRun.objects.create(as_of=now.date(), status="succeeded", triggered_by="bench",
                                          creators_count=n, published_at=now)
        second = ScoringRun.objects.create(as_of=now.date(), status="succeeded", triggered_by="bench",
                                           creators_count=n, published_at=now, compared_run=first, is_published=True)
        for run, moved in ((first, False), (second, True)):
            t0 = time.perf_counter()
            cursor.execute(_scorecards_sql(run_id=run.pk, moved=moved))
            log(f"scorecards of run {run.pk}: {time.perf_counter() - t0:.1f} s")
    with connection.cursor() as cursor:
        for table in ("creators_category", "creators_creator"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")

    rng = random.Random(19)
    user_model = get_user_model()
    follows: list[Follow] = []
    for p in range(PARTNERS):
        partner = Partner.objects.create(name=f"Digest bench partner {p}")
        grant = AccessGrant.objects.create(partner=partner, performance=True, commercial=p % 2 == 0,
                                           valid_from=timezone.now() - timedelta(days=1))
        categories = [2 * p + 1, 2 * p + 2]
        grant.categories.set(categories)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM creators_creator WHERE primary_category_id = ANY(%s) "
                "ORDER BY hashint4(id::int) LIMIT 5000",
                [categories],
            )
            pool = [row[0] for row in cursor.fetchall()]
        users = user_model.objects.bulk_create(
            user_model(username=f"digest-{p}-{u}", email=f"digest-{p}-{u}@partner.test", password="!")
            for u in range(USERS_PER_PARTNER)
        )
        Membership.objects.bulk_create(Membership(user=user, partner=partner, role=Role.ANALYST) for user in users)
        for user in users:
            follows.extend(Follow(user=user, creator_id=c) for c in rng.sample(pool, FOLLOWS_PER_USER))
    Follow.objects.bulk_create(follows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    log(f"generated {n:,} creators, two runs, {PARTNERS * USERS_PER_PARTNER:,} users, {len(follows):,} follows "
        f"in {time.perf_counter() - started:.1f} s")


def prepare(n: int, *, regenerate: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM scoring_scorecard WHERE run_id IN "
                       "(SELECT id FROM scoring_scoringrun WHERE is_published)")
        have = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM partners_follow")
        follows = cursor.fetchone()[0]
    if regenerate or have != n or follows != PARTNERS * USERS_PER_PARTNER * FOLLOWS_PER_USER:
        log(f"generating {n:,} creators (had {have:,} scorecards, {follows:,} follows)")
        generate(n)


def reset_digests() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE partners_notificationitem, partners_notification, partners_digestrun CASCADE")


class Sink:
    """An SMTP server that accepts and counts messages (aiosmtpd handler)."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        with self._lock:
            self.count += 1
            self.bytes += len(envelope.content)
        return "250 OK"


def reference_seconds(run_id: int, threshold: int) -> tuple[float, int]:
    """The bare join of every follow with its scorecard of the run, filtered on a move of ``threshold`` points."""
    from django.db import connection

    moved = " OR ".join(f"abs(s.{n}_change) >= {threshold}" for n in INDICES)
    sql = (f"SELECT f.user_id, s.creator_id, {', '.join(f's.{n}, s.{n}_change' for n in INDICES)} "
           f"FROM partners_follow f JOIN scoring_scorecard s ON s.creator_id = f.creator_id AND s.run_id = %s "
           f"WHERE {moved}")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_id])
        rows = len(cursor.fetchall())
    return time.perf_counter() - started, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=1_000_000)
    parser.add_argument("--regenerate", action="store_true", help="rebuild the data even if it is there")
    parser.add_argument("--rounds", type=int, default=2, help="timed executions (digests reset between them)")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith("postgres"):
        print("the digest benchmark needs PostgreSQL (DATABASE_URL)", file=sys.stderr)
        return 2
    ensure_database(database_url)
    port = free_port()
    os.environ.update({
        "DATABASE_URL": database_url, "DEBUG": "0", "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
    })
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from aiosmtpd.controller import Controller

    from partners import alerts
    from partners.choices import DEFAULT_ALERT_THRESHOLD
    from partners.models import NotificationItem
    from scoring.models import ScoringRun

    prepare(args.creators, regenerate=args.regenerate)
    run_id = ScoringRun.objects.get(is_published=True).pk
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        results = []
        for round_number in range(1, args.rounds + 1):
            reset_digests()
            sink.count = 0
            report = alerts.digest_run(run_id=run_id)
            again = time.perf_counter()
            second = alerts.digest_run(run_id=run_id)
            again_s = time.perf_counter() - again
            assert second.skipped == "already done" and second.emails == 0
            ref_s, ref_rows = reference_seconds(run_id, DEFAULT_ALERT_THRESHOLD)
            lines = NotificationItem.objects.count()
            results.append((report, again_s, ref_s, ref_rows, lines, sink.count))
            log(f"round {round_number}: digest {report.seconds:.1f} s ({report.details}), {report.users} users, "
                f"{report.notifications} digests, {lines} lines, {report.emails} emails ({sink.count} received); "
                f"second execution {again_s * 1000:.0f} ms; reference join {ref_s * 1000:.0f} ms ({ref_rows} rows)")
    finally:
        controller.stop()
    best = min(results, key=lambda item: item[0].seconds)
    report, again_s, ref_s, ref_rows, lines, received = best
    print(f"Digest of one run, {args.creators:,} creators, {report.users:,} users following "
          f"{FOLLOWS_PER_USER} creators each ({PARTNERS} partners), best of {args.rounds}:")
    print(f"  digest_run: {report.seconds:.1f} s (target < 60 s): {report.notifications:,} digests, {lines:,} lines, "
          f"{report.emails:,} emails sent over SMTP ({received:,} received)")
    print(f"    of which access per user {report.details.get('access_s', 0):.1f} s, "
          f"moves {report.details.get('lines_s', 0):.1f} s, storing and sending the rest")
    print(f"  second execution (idempotent): {again_s * 1000:.0f} ms")
    print(f"  reference, bare SQL join of follows and moved scorecards: {ref_s * 1000:.0f} ms ({ref_rows:,} rows); "
          f"digest / reference = {report.seconds / ref_s:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
