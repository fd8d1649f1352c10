"""Drop ``Scorecard.category_mask`` (0007): visibility and the category filter test ``category_ids`` alone.

With the list's counts cached per run revision, ``bench/access_bench.py`` (200,000 creators, three alternated
repetitions) measured no gain of the bitmask above the bench's run-to-run noise on any uncached query. On
PostgreSQL the unique ``(run, creator)`` constraint is remade without ``INCLUDE (category_mask)`` first
(dropping the column would drop the constraint's index with it). On SQLite dropping a column rebuilds the
table, which drops the indexes migrations 0004 and 0005 made in SQL: they are made again.
"""

from django.db import migrations, models

UNIQUE = 'ALTER TABLE scoring_scorecard ADD CONSTRAINT "scorecard_run_creator_unique" UNIQUE (run_id, creator_id)'
DROP_UNIQUE = 'ALTER TABLE scoring_scorecard DROP CONSTRAINT "scorecard_run_creator_unique"'
POSTGRESQL_BACKFILL = """
UPDATE scoring_scorecard
SET category_mask = (SELECT COALESCE(bit_or(1::bigint << (i - 1)), 0) FROM unnest(category_ids) i
                     WHERE i BETWEEN 1 AND 63)
WHERE category_ids <> '{}'
"""
SQLITE_SQL_INDEXES = (
    'CREATE INDEX IF NOT EXISTS "scorecard_run_overall" ON "scoring_scorecard" '
    '("run_id", "overall" DESC, "creator_id" DESC)',
    'CREATE INDEX IF NOT EXISTS "scorecard_run_country_overall" ON "scoring_scorecard" '
    '("run_id", "country", "overall" DESC, "creator_id" DESC)',
)


def exclude_mask(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_UNIQUE)
        schema_editor.execute(UNIQUE)


def include_mask(apps, schema_editor):
    # Backwards: the column is back (all zeros); fill it and carry it by the index again, as 0007 did.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKFILL)
        schema_editor.execute(DROP_UNIQUE)
        schema_editor.execute(f"{UNIQUE} INCLUDE (category_mask)")


def restore_sql_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_SQL_INDEXES:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0008_run_aggregate"),
    ]

    operations = [
        migrations.RunPython(restore_sql_indexes, include_mask),
        migrations.RunPython(exclude_mask, restore_sql_indexes),
        migrations.RemoveField(model_name="scorecard", name="category_mask"),
        migrations.RunPython(restore_sql_indexes, migrations.RunPython.noop),
    ]
