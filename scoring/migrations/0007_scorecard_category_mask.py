"""``Scorecard.category_mask``: the ids 1..63 of ``category_ids`` as bits, carried by the (run, creator) index.

Counting a partner's visible scorecards then reads the unique ``(run, creator)`` index alone, testing one bit per
entry, instead of reading every scorecard of the run from the table to test its array
(the field ``scoring.fields.CategoryMaskField`` was then; a plain bigint here since it went). On PostgreSQL the constraint is remade with ``INCLUDE (category_mask)``
(same name and key, so Django's state is unchanged); SQLite has no covering indexes. A new index
``(run, category_mask)`` would have served the count as well, but inserting a run's scorecards in creator order
lands its entries at random places: it doubled the scoring run's scorecard stage (8-9 s to 18.5 s for 1M).

The mask of the scorecards already written is computed from their ``category_ids`` first. The SQL is frozen here
rather than imported, so that this migration keeps meaning what it meant when the code moves on.
"""

from django.db import migrations, models

POSTGRESQL_BACKFILL = """
UPDATE scoring_scorecard
SET category_mask = (SELECT COALESCE(bit_or(1::bigint << (i - 1)), 0) FROM unnest(category_ids) i
                     WHERE i BETWEEN 1 AND 63)
WHERE category_ids <> '{}'
"""
SQLITE_BACKFILL = """
UPDATE scoring_scorecard
SET category_mask = (SELECT COALESCE(SUM(1 << (j.value - 1)), 0) FROM json_each(category_ids) j
                     WHERE j.value BETWEEN 1 AND 63)
WHERE category_ids <> '[]'
"""
UNIQUE = 'ALTER TABLE scoring_scorecard ADD CONSTRAINT "scorecard_run_creator_unique" UNIQUE (run_id, creator_id)'
DROP_UNIQUE = 'ALTER TABLE scoring_scorecard DROP CONSTRAINT "scorecard_run_creator_unique"'
# SQLite adds a NOT NULL column by rebuilding the table, which drops the indexes migrations 0004 and 0005 made
# in SQL (Django's state does not know them): make them again after the rebuild (and after undoing it).
SQLITE_SQL_INDEXES = (
    'CREATE INDEX IF NOT EXISTS "scorecard_run_overall" ON "scoring_scorecard" '
    '("run_id", "overall" DESC, "creator_id" DESC)',
    'CREATE INDEX IF NOT EXISTS "scorecard_run_country_overall" ON "scoring_scorecard" '
    '("run_id", "country", "overall" DESC, "creator_id" DESC)',
)


def restore_sql_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_SQL_INDEXES:
            schema_editor.execute(statement)


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(POSTGRESQL_BACKFILL if vendor == "postgresql" else SQLITE_BACKFILL)
    restore_sql_indexes(apps, schema_editor)


def include_mask(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_UNIQUE)
        schema_editor.execute(f"{UNIQUE} INCLUDE (category_mask)")


def exclude_mask(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_UNIQUE)
        schema_editor.execute(UNIQUE)


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0006_impact_fewer_indexes"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_sql_indexes),
        migrations.AddField(
            model_name="scorecard",
            name="category_mask",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(include_mask, exclude_mask),
    ]
