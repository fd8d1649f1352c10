"""``Scorecard.category_mask``: the ids 1..63 of ``category_ids`` as bits, and an index ``(run, category_mask)``.

Counting a partner's visible scorecards then reads that index alone, testing one bit per row, instead of reading
every scorecard of the run from the table to test its array (``scoring.fields.CategoryMaskField``). The mask of
the scorecards already written is computed from their ``category_ids``, before the index is built. The SQL is
frozen here rather than imported, so that this migration keeps meaning what it meant when the code moves on.
"""

from django.db import migrations, models

import scoring.fields

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


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0006_impact_fewer_indexes"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_sql_indexes),
        migrations.AddField(
            model_name="scorecard",
            name="category_mask",
            field=scoring.fields.CategoryMaskField(),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="scorecard",
            index=models.Index(fields=["run", "category_mask"], name="scorecard_run_category_mask"),
        ),
    ]
