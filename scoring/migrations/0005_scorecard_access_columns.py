"""Copy each creator's country and category ids onto its scorecards, for the partner list (one table, by index).

Adds ``Scorecard.country`` and ``Scorecard.category_ids`` (``integer[]`` on PostgreSQL, JSON text on SQLite),
fills them for the scorecards already written, from the creators as they are now, and adds
``ScoringRun.revision`` (bumped when the copies of the published run are rewritten after a creator change).

Index: ``(run, country, overall DESC NULLS LAST, creator DESC)``, the list filtered by country in its default
order (a country is a few percent of a run: the page reads that segment of the index, not the whole run's).
The SQL is frozen here rather than imported from ``scoring.indices``, so that this migration keeps meaning what
it meant when the code moves on.
"""

from django.db import migrations, models

import scoring.fields

POSTGRESQL_BACKFILL = """
UPDATE scoring_scorecard sc
SET country = cr.country,
    category_ids = ARRAY(SELECT l.category_id FROM creators_creator_categories l WHERE l.creator_id = cr.id ORDER BY 1)
FROM creators_creator cr WHERE cr.id = sc.creator_id
"""
SQLITE_BACKFILL = """
UPDATE scoring_scorecard
SET country = (SELECT cr.country FROM creators_creator cr WHERE cr.id = scoring_scorecard.creator_id),
    category_ids = (
        SELECT json_group_array(i.id) FROM (
            SELECT l.category_id AS id FROM creators_creator_categories l
            WHERE l.creator_id = scoring_scorecard.creator_id ORDER BY 1) i)
WHERE EXISTS (SELECT 1 FROM creators_creator cr WHERE cr.id = scoring_scorecard.creator_id)
"""
POSTGRESQL_INDEX = (
    'CREATE INDEX IF NOT EXISTS "scorecard_run_country_overall" ON "scoring_scorecard" '
    '("run_id", "country", "overall" DESC NULLS LAST, "creator_id" DESC)'
)
SQLITE_INDEX = (
    'CREATE INDEX IF NOT EXISTS "scorecard_run_country_overall" ON "scoring_scorecard" '
    '("run_id", "country", "overall" DESC, "creator_id" DESC)'
)


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(POSTGRESQL_BACKFILL if vendor == "postgresql" else SQLITE_BACKFILL)


# SQLite adds (and removes) columns by rebuilding the table, which drops the indexes that migration 0004 made in
# SQL (Django's state does not know them): make that one again after each rebuild.
SQLITE_LIST_ORDER_INDEX = (
    'CREATE INDEX IF NOT EXISTS "scorecard_run_overall" ON "scoring_scorecard" '
    '("run_id", "overall" DESC, "creator_id" DESC)'
)


def restore_list_order_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_LIST_ORDER_INDEX)


def create_index(apps, schema_editor):
    restore_list_order_index(apps, schema_editor)
    schema_editor.execute(POSTGRESQL_INDEX if schema_editor.connection.vendor == "postgresql" else SQLITE_INDEX)


def drop_index(apps, schema_editor):
    schema_editor.execute('DROP INDEX IF EXISTS "scorecard_run_country_overall"')


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0004_scorecard_list_order_index"),
    ]

    operations = [
        # Undoing this migration rebuilds the table on SQLite last: this restores 0004's index after it.
        migrations.RunPython(migrations.RunPython.noop, restore_list_order_index),
        migrations.AddField(
            model_name="scorecard",
            name="category_ids",
            field=scoring.fields.IntegerIdsField(
                default=list, help_text="The creator's linked categories (the primary included)."
            ),
        ),
        migrations.AddField(
            model_name="scorecard",
            name="country",
            field=models.CharField(blank=True, default="", max_length=2),
        ),
        migrations.AddField(
            model_name="scoringrun",
            name="revision",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
