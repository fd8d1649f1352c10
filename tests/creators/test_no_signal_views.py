"""No signal, as every reader shows it: a real scoring run over videos none of which is shoppable.

Care is then null for every creator ("no signal in this run's data"), never 0: the scorecard page says so in a
sentence with no confidence badge, the list and compare say "no signal", the API gives null and the reason, the
CSV an empty cell; the overall is computed from the other indices.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from config.celery import app as celery_app
from partners.choices import Role
from scoring import definitions as d
from scoring.choices import INDEX_NAMES
from scoring.models import Scorecard
from scoring.services import scoring_run_request
from tests.conftest import make_partner, make_user
from tests.scoring.builders import AS_OF, days_before, make_category, make_creator, make_video

pytestmark = pytest.mark.django_db

HANDLES = ("ana", "ben", "cleo", "dev")


@pytest.fixture
def no_shop_run(django_capture_on_commit_callbacks):
    """Four creators with 3-9 videos each, some sponsored, none shoppable, scored as of ``AS_OF``."""
    beauty = make_category("beauty")
    for number, handle in enumerate(HANDLES):
        creator = make_creator(handle, followers=30_000 * (number + 1))
        creator.categories.add(beauty)
        for position in range(3 + 2 * number):
            make_video(creator, days_before(1 + position * (number + 2)), views=1_000 + 500 * number,
                       likes=40 + 13 * number + position, sponsored=position == number)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = scoring_run_request(triggered_by="test", as_of=AS_OF)
    finally:
        celery_app.conf.task_always_eager = previous
    run.refresh_from_db()
    assert run.is_published
    partner, _ = make_partner("Shopless", categories=[beauty], commercial=True)
    return run, make_user("analyst", partner=partner, role=Role.ANALYST)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_care_is_null_with_its_reason_and_overall_comes_from_the_others(no_shop_run):
    run, _ = no_shop_run
    cards = list(Scorecard.objects.filter(run=run))
    assert len(cards) == len(HANDLES)
    for card in cards:
        assert card.care is None and card.care_raw == 0.0
        present = {name: getattr(card, name) for name in INDEX_NAMES if getattr(card, name) is not None}
        assert "care" not in present and len(present) >= d.OVERALL_MIN_INDICES
        expected = sum(d.OVERALL_WEIGHTS[n] * v for n, v in present.items()) / sum(
            d.OVERALL_WEIGHTS[n] for n in present)
        assert card.overall == pytest.approx(expected)


def test_the_scorecard_page_says_no_signal_without_a_number_or_a_badge(no_shop_run):
    _, analyst = no_shop_run
    html = _client(analyst).get("/creators/dev/").content.decode()
    care = html[html.index('id="index-care"'):]
    care = care[: care.index("</article>")]
    assert "No signal in this run&#x27;s data" in care
    assert '<span class="na no-signal">No signal</span>' in care
    assert "conf-" not in care and "0.0" not in care[: care.index("<details>")]
    # The indices with a value keep their badge.
    volume = html[html.index('id="index-volume"'):]
    assert 'class="conf conf-' in volume[: volume.index("</header>")]


def test_the_list_and_compare_say_no_signal_in_the_care_cells(no_shop_run):
    _, analyst = no_shop_run
    client = _client(analyst)
    listing = client.get("/creators/").content.decode()
    cells = re.findall(r'<td class="num col-score[^"]*" data-col="care"[^>]*>(.*?)</td>', listing)
    assert len(cells) == len(HANDLES)
    assert all(">no signal</span>" in cell and "class=\"score\"" not in cell for cell in cells)
    compare = client.get("/creators/compare/", {"handles": ",".join(HANDLES)}).content.decode()
    row = re.search(r'<tr data-field="care">(.*?)</tr>', compare, re.S)[1]
    assert row.count(">no signal</span>") == len(HANDLES)


def test_the_api_gives_null_and_the_reason(no_shop_run):
    run, analyst = no_shop_run
    client = _api(analyst)
    body = client.get("/api/v1/creators/cleo/").json()
    assert body["scores"]["care"] is None
    assert body["reasons"] == {"care": "no_signal", "sales": "insufficient_data"}
    card = Scorecard.objects.get(run=run, creator__handle="cleo")
    assert body["scores"]["overall"] == card.overall is not None
    results = client.get("/api/v1/creators/").json()["results"]
    assert {row["handle"] for row in results} == set(HANDLES)
    assert all(row["scores"]["care"] is None and row["reasons"]["care"] == "no_signal" for row in results)


def test_the_csv_has_an_empty_care_cell(no_shop_run):
    _, analyst = no_shop_run
    for client, url in ((_client(analyst), "/creators/export.csv"), (_api(analyst), "/api/v1/creators/export.csv")):
        response = client.get(url, {"headers": "keys", "bom": "0"})
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode()
        rows = list(csv.DictReader(io.StringIO(body, newline="")))
        assert len(rows) == len(HANDLES)
        assert all(row["care"] == "" and row["overall"] != "" for row in rows), url
        assert all(float(row["care_raw"]) == 0.0 for row in rows), "the raw score tells no signal from no data"

