"""Changes against the compared run (``ScoringRun.compared_run``, ``Scorecard.<index>_change``, ``is_new``) and
the growth of the raw data (``videos_previous``, ``views_previous``, ``followers_previous``), issue 19 part 4.

On SQLite adding a column with a database default rebuilds the table, which drops the indexes that migrations
0004 and 0005 made in SQL: they are made again (as 0009 does).
"""

import django.db.models.deletion
from django.db import migrations, models

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


class Migration(migrations.Migration):

    dependencies = [
        ('scoring', '0009_scorecard_drop_category_mask'),
    ]

    operations = [
        # Backwards, removing the columns rebuilds the table again: this runs last then.
        migrations.RunPython(migrations.RunPython.noop, restore_sql_indexes),
        migrations.AddField(
            model_name='scorecard',
            name='care_change',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='scorecard',
            name='collaboration_change',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='scorecard',
            name='consistency_change',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='scorecard',
            name='effectiveness_change',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='scorecard',
            name='followers_previous',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='scorecard',
            name='is_new',
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name='scorecard',
            name='overall_change',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='scorecard',
            name='sales_change',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='scorecard',
            name='videos_previous',
            field=models.IntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='scorecard',
            name='views_previous',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='scorecard',
            name='volume_change',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='scoringrun',
            name='compared_run',
            field=models.ForeignKey(blank=True, help_text='The previous published run with the same window, which the changes are measured against.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='scoring.scoringrun'),
        ),
        migrations.RunPython(restore_sql_indexes, migrations.RunPython.noop),
    ]
