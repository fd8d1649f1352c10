"""The scoring-run admin as a Django admin user expects it: a list that fits beside its filters, the medians (and
timings) as tables on the run's page (issue 18 item 7)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib import admin

from scoring.admin import medians_context
from scoring.models import ScoringRun
from tests.scoring.builders import make_creator, make_videos

pytestmark = pytest.mark.django_db


def _cells(html: str, table_id: str) -> list[list[str]]:
    """The body rows of the table ``table_id``, as the text of their cells."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table, f"no table {table_id}"
    body_match = re.search(r"<tbody>(.*?)</tbody>", table.group(0), re.S)
    assert body_match
    body = body_match.group(1)
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


@pytest.fixture
def scored_run(run_scoring) -> ScoringRun:
    # Enough creators per group for the indices to be ranked (their medians then are numbers, not empty).
    for number in range(24):
        days = list(range(1, 2 + number % 7 * 3))
        make_videos(make_creator(f"c{number}", followers=5_000 * 3 ** (number % 8)), days,
                    likes=10 + number * 7, comments=number % 5)
    run = run_scoring()
    assert run.status == "succeeded" and run.medians
    assert any(row["median"] is not None for row in run.medians["indices"].values())
    return run


def test_the_run_page_shows_its_medians_as_tables_not_json(scored_run, admin_client):
    html = admin_client.get(f"/admin/scoring/scoringrun/{scored_run.pk}/change/").content.decode()
    # No field shows raw JSON (Django's default display of a JSONField).
    assert not re.search(r'<div class="readonly">\s*[{\[]', html)
    assert "&quot;groups&quot;" not in html
    medians = scored_run.medians
    expected = medians_context(medians)
    groups = _cells(html, "run-medians-groups")
    assert len(groups) == len(expected["groups"]) == sum(len(g) for g in medians["groups"].values())
    assert {(row[0], row[2]) for row in groups} == {
        (name, f"{group['n']:,}") for name, by_key in medians["groups"].items() for group in by_key.values()
    }
    population = _cells(html, "run-medians-population")
    assert {row[0] for row in population} == set(medians["indices"])
    for row in population:
        median = medians["indices"][row[0]]["median"]
        assert row[2] == ("—" if median is None else f"{median:.1f}".removesuffix(".0"))
    categories = _cells(html, "run-medians-categories")
    assert [row[0] for row in categories] == sorted(medians["categories"])
    assert {row[0] for row in _cells(html, "run-medians-pooled")} == {
        name.replace("_", " ") for name in medians["pooled"]
    }


def test_a_run_without_medians_says_so(admin_client, db):
    run = ScoringRun.objects.create(as_of="2024-06-30", triggered_by="test")
    html = admin_client.get(f"/admin/scoring/scoringrun/{run.pk}/change/").content.decode()
    assert "No medians yet" in html and "run-medians-groups" not in html


def test_the_run_page_shows_every_field_once():
    """The fieldsets name every model field but the raw JSON ones (shown as tables), each on its own line."""
    model_admin = admin.site._registry[ScoringRun]
    lines = [line for _, options in model_admin.fieldsets for line in options["fields"]]
    assert all(isinstance(line, str) for line in lines)
    # "progress" is shown by "progress_bar", the JSON fields by their tables.
    fields = {f.name for f in ScoringRun._meta.fields} - {"id", "progress", "medians", "timings"}
    assert fields <= set(lines) and len(lines) == len(set(lines))
    assert {"medians_table", "timings_table"} <= set(lines) and not {"medians", "timings"} & set(lines)


def test_the_run_list_is_narrow_and_shows_progress_only_while_active(scored_run, admin_client):
    model_admin = admin.site._registry[ScoringRun]
    assert len(model_admin.list_display) <= 7
    html = admin_client.get("/admin/scoring/scoringrun/").content.decode()
    header = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert "Window days" not in header and "Triggered by" not in header
    assert 'id="changelist-filter"' in html
    assert "<progress" not in re.search(r'<table id="result_list">.*?</table>', html, re.S).group(0)
    ScoringRun.objects.filter(pk=scored_run.pk).update(is_active=True, status="running", progress=40)
    html = admin_client.get("/admin/scoring/scoringrun/").content.decode()
    assert '<progress value="40"' in html
