"""Index for the partner list's default order: (run, overall DESC NULLS LAST, creator DESC).

Written in SQL per backend: SQLite cannot say NULLS LAST in an index, but its DESC order puts nulls last anyway.
"""

from django.db import migrations

POSTGRESQL = (
    'CREATE INDEX IF NOT EXISTS "scorecard_run_overall" ON "scoring_scorecard" '
    '("run_id", "overall" DESC NULLS LAST, "creator_id" DESC)'
)
SQLITE = (
    'CREATE INDEX IF NOT EXISTS "scorecard_run_overall" ON "scoring_scorecard" '
    '("run_id", "overall" DESC, "creator_id" DESC)'
)


def create(apps, schema_editor):
    sql = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE
    schema_editor.execute(sql)


def drop(apps, schema_editor):
    schema_editor.execute('DROP INDEX IF EXISTS "scorecard_run_overall"')


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0003_snapshot_without_db_foreign_keys"),
    ]

    operations = [migrations.RunPython(create, drop)]
