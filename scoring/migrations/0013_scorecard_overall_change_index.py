"""Index for the list sorted by the overall score's change (issue 19 item 4, "biggest overall rise", the home
page's overall movers): ``(run, overall_change DESC NULLS LAST, creator DESC)``, the list order of that sort.

Without it the sort reads every scorecard of the run (554 ms at 1,000,000 creators, a parallel scan and a top-N
sort); with it 0.5 ms for every category and 8.6 ms for one category of twenty (docs/performance.md, Dashboard).
The changes of the other indices sort as the indices themselves do, without an index of their own. Written in
SQL per backend, as 0004: SQLite cannot say NULLS LAST in an index, but its DESC order puts nulls last anyway.
"""

from django.db import migrations

POSTGRESQL = (
    'CREATE INDEX IF NOT EXISTS "scorecard_run_overall_change" ON "scoring_scorecard" '
    '("run_id", "overall_change" DESC NULLS LAST, "creator_id" DESC)'
)
SQLITE = (
    'CREATE INDEX IF NOT EXISTS "scorecard_run_overall_change" ON "scoring_scorecard" '
    '("run_id", "overall_change" DESC, "creator_id" DESC)'
)


def create(apps, schema_editor):
    schema_editor.execute(POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE)


def drop(apps, schema_editor):
    schema_editor.execute('DROP INDEX IF EXISTS "scorecard_run_overall_change"')


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0012_scorecard_similar_index"),
    ]

    operations = [migrations.RunPython(create, drop)]
