"""Covering index for similar creators (issue 20 item 1): ``(run, overall DESC NULLS LAST, creator DESC)``
``INCLUDE`` the category copies and the six other indices, PostgreSQL only.

``creators.similar`` reads a bounded candidate set on each side of a creator's overall score and filters it on
``category_ids``; with these columns in the index that is an index-only scan, without a table page per candidate
(``bench/similar_bench.py``: see docs/performance.md, Similar creators). SQLite has no ``INCLUDE``: there the
list's own ``scorecard_run_overall`` serves the same seeks. The SQL is frozen here, as in 0004 and 0005.
"""

from django.db import migrations

POSTGRESQL = (
    'CREATE INDEX IF NOT EXISTS "scorecard_similar" ON "scoring_scorecard" '
    '("run_id", "overall" DESC NULLS LAST, "creator_id" DESC) '
    'INCLUDE ("category_ids", "collaboration", "care", "volume", "effectiveness", "sales", "consistency")'
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "scorecard_similar"')


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0011_run_movers"),
    ]

    operations = [migrations.RunPython(create, drop)]
