"""What a person gets when they open an export in Excel: CSV (UTF-8, byte-order mark, headers in words, the
numbers as the page shows them) and XLSX (the same rows and columns), with the same access, quota and audit."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from creators.exports import FOLLOWER_TIER_LABELS, rounded
from creators.models import Creator
from partners.models import AuditEvent, PartnerWeights, Shortlist, ShortlistEntry
from scoring.catalogue import FIELDS, Tier
from scoring.models import Scorecard
from tests.export_helpers import body_of, csv_table, keyed, xlsx_cells, xlsx_table

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"
COMMERCIAL = {spec.name for spec in FIELDS if spec.tier == Tier.COMMERCIAL}
PERFORMANCE = {spec.name for spec in FIELDS if spec.tier == Tier.PERFORMANCE}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def assert_same_table(from_xlsx: list[list[str]], from_csv: list[list[str]]) -> None:
    """Same header, same rows in the same order, same cells (numbers equal as numbers: "5" and "5.0")."""
    assert from_xlsx[0] == from_csv[0]
    assert len(from_xlsx) == len(from_csv) > 1
    for csv_row, xlsx_row in zip(from_csv[1:], from_xlsx[1:], strict=True):
        for header, csv_cell, xlsx_cell in zip(from_csv[0], csv_row, xlsx_row, strict=True):
            try:
                assert float(xlsx_cell) == float(csv_cell), header
            except ValueError:
                assert xlsx_cell == csv_cell, header


def _accented(world) -> str:
    handle = world.handles_a[0]
    Creator.objects.filter(handle=handle).update(display_name="Zoé Crème")
    return handle


def test_the_dashboard_csv_is_utf8_with_a_byte_order_mark_so_excel_keeps_the_accents(world, alice_client):
    handle = _accented(world)
    response = alice_client.get("/creators/export.csv", {"ordering": "handle"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    data = body_of(response)
    assert data.startswith(BOM) and not data[3:].startswith(BOM)
    rows = keyed(csv_table(data))
    assert {row["handle"]: row["display_name"] for row in rows}[handle] == "Zoé Crème"
    assert "Zoé Crème".encode() in data  # UTF-8 bytes, not a legacy code page

    without = body_of(alice_client.get("/creators/export.csv", {"bom": "0"}))
    assert not without.startswith(BOM) and without.decode().startswith("Handle,")


def test_the_api_csv_has_no_byte_order_mark_unless_asked(world):
    _accented(world)
    client = APIClient()
    client.force_authenticate(world.users["alice"])
    plain = body_of(client.get("/api/v1/creators/export.csv"))
    marked = body_of(client.get("/api/v1/creators/export.csv", {"bom": "1"}))
    assert not plain.startswith(BOM) and marked == BOM + plain
    assert client.get("/api/v1/creators/export.csv", {"bom": "maybe"}).status_code == 400
    assert client.get("/api/v1/creators/export.csv", {"headers": "xml"}).status_code == 400


def test_headers_are_words_with_a_stable_keys_variant(world, alice_client):
    words = csv_table(body_of(alice_client.get("/creators/export.csv")))[0]
    keys = csv_table(body_of(alice_client.get("/creators/export.csv", {"headers": "keys"})))[0]
    assert words[:5] == ["Handle", "Name", "Country", "Categories", "Followers"]
    assert keys[:5] == ["handle", "display_name", "country", "categories", "followers"]
    assert len(words) == len(keys) and words != keys
    assert {"Overall", "Follower tier", "Data as of", "Scorecard", "GMV"} <= set(words)
    assert {"overall", "follower_tier", "as_of", "scorecard_url", "gmv"} <= set(keys)
    assert not any("_" in word for word in words)  # no field name leaks into the words
    assert alice_client.get("/creators/export.csv", {"headers": "both"}).status_code == 400


def test_cells_read_as_on_the_page(world, alice_client):
    rows = keyed(csv_table(body_of(alice_client.get("/creators/export.csv", {"ordering": "handle"}))))
    cards = {
        card["creator__handle"]: card
        for card in Scorecard.objects.filter(run=world.run).values("creator__handle", "overall", "follower_tier")
    }
    assert [row["handle"] for row in rows] == world.handles_a
    for row in rows:
        card = cards[row["handle"]]
        assert row["overall"] == f"{rounded(card['overall'], 1):.1f}"
        assert row["follower_tier"] == FOLLOWER_TIER_LABELS[card["follower_tier"]]
        assert row["as_of"] == world.run.as_of.isoformat()
        assert row["scorecard_url"] == f"http://testserver/creators/{row['handle']}/"
    assert "partner_score" not in rows[0]


def test_our_score_is_a_column_where_the_partner_set_weights(world, alice_client):
    PartnerWeights.objects.create(partner=world.partner_a, volume=3, effectiveness=1, consistency=1, care=1)
    table = csv_table(body_of(alice_client.get("/creators/export.csv")))
    assert "Our score" in table[0]
    rows = keyed(table)
    assert all(row["partner_score"] == "" or len(row["partner_score"].split(".")[1]) == 1 for row in rows)
    assert any(row["partner_score"] for row in rows)


@pytest.mark.parametrize("user", ["alice", "charlie"])
@pytest.mark.parametrize(
    "params",
    [{}, {"ordering": "-followers", "followers_min": "5000"}, {"q": "creator 1", "headers": "keys"}],
)
def test_the_xlsx_has_the_rows_and_columns_of_the_csv(world, client, user, params):
    client.force_login(world.users[user])
    Creator.objects.filter(handle=world.handles_a[1]).update(display_name='=HYPERLINK("http://evil","x")')
    Scorecard.objects.filter(run=world.run, creator__handle=world.handles_a[2]).update(gmv=Decimal("1234.56"))
    csv_response = client.get("/creators/export.csv", params)
    xlsx_response = client.get("/creators/export.xlsx", params)
    assert xlsx_response.status_code == 200 and xlsx_response["Content-Type"] == XLSX_TYPE
    assert xlsx_response["Content-Disposition"].endswith('.xlsx"')
    from_csv = csv_table(body_of(csv_response))
    data = b"".join(xlsx_response.streaming_content)
    assert_same_table(xlsx_table(data), from_csv)
    # Strings are written as strings, never as formulas; numbers as numbers.
    cells = xlsx_cells(data)
    assert all(kind != "formula" for row in cells for kind, _ in row)
    header = [text for _, text in cells[0]]
    handle_at = header.index("handle" if params.get("headers") else "Handle")
    assert {row[handle_at][0] for row in cells[1:]} == {"s"}
    followers_at = header.index("followers" if params.get("headers") else "Followers")
    assert {row[followers_at][0] for row in cells[1:]} == {"n"}
    if user == "alice" and not params:
        names = [row[1][1] for row in cells[1:]]
        assert "'=HYPERLINK(\"http://evil\",\"x\")" in names
        gmv_at = header.index("GMV")
        assert ("n", "1234.56") in [row[gmv_at] for row in cells[1:]]


@pytest.mark.parametrize("path", ["/creators/export.csv", "/creators/export.xlsx", "/api/v1/creators/export.xlsx"])
def test_hidden_tiers_and_creators_never_reach_either_file(world, charlie_client, path):
    if path.startswith("/api/"):
        client = APIClient()
        client.force_authenticate(world.users["charlie"])
    else:
        client = charlie_client
    response = client.get(path, {"headers": "keys"})
    data = body_of(response) if path.endswith(".csv") else b"".join(response.streaming_content)
    table = csv_table(data) if path.endswith(".csv") else xlsx_table(data)
    assert not COMMERCIAL & set(table[0])
    assert {"overall", "volume"} <= set(table[0])  # the performance tier is granted
    assert sorted(row[0] for row in table[1:]) == world.handles_b
    # No value of a hidden creator anywhere in the file.
    for handle in world.handles_a:
        assert handle.encode() not in data


def test_without_the_performance_tier_no_index_reaches_the_xlsx(world, charlie_client):
    world.grant_b.performance = False
    world.grant_b.save()
    table = xlsx_table(b"".join(charlie_client.get("/creators/export.xlsx", {"headers": "keys"}).streaming_content))
    assert not (COMMERCIAL | PERFORMANCE) & set(table[0])
    assert table[0][:5] == ["handle", "display_name", "country", "categories", "followers"]


def test_xlsx_counts_against_the_same_quota_and_is_audited(world, alice_client, settings):
    rows = len(world.handles_a)
    settings.EXPORT_DAILY_ROW_QUOTA = rows + 1
    response = alice_client.get("/creators/export.xlsx")
    assert response.status_code == 200 and response["X-Export-Rows"] == str(rows)
    event = AuditEvent.objects.get(export_id=response["X-Export-Id"])
    assert event.action == "creator.export" and event.row_count == rows and event.filters["format"] == "xlsx"
    # The XLSX rows used the quota: the CSV that follows is refused, and so is another XLSX.
    assert alice_client.get("/creators/export.csv").status_code == 429
    assert alice_client.get("/creators/export.xlsx").status_code == 429
    denied = AuditEvent.objects.filter(user=world.users["alice"], action="export.quota_exceeded")
    assert denied.count() == 2 and {e.filters["format"] for e in denied} == {"csv", "xlsx"}


def test_viewers_get_no_xlsx(world, bob_client):
    assert bob_client.get("/creators/export.xlsx").status_code == 404


def test_the_shortlist_exports_carry_the_notes(world, alice_client):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Spring", created_by=world.users["alice"])
    noted, plain = world.handles_a[:2]
    ShortlistEntry.objects.create(
        shortlist=shortlist, creator=world.creators[noted], note="=call Zoé first", added_by=world.users["alice"]
    )
    ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[plain])
    hidden = world.handles_b[0]  # stored but outside the grant: never exported
    ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[hidden], note="secret")
    csv_response = alice_client.get(f"/shortlists/{shortlist.pk}/export.csv")
    table = csv_table(body_of(csv_response))
    assert table[0][-3:] == ["Note", "Added by", "Added on"]
    rows = {row["handle"]: row for row in keyed(table)}
    assert set(rows) == {noted, plain}
    assert rows[noted]["shortlist_note"] == "'=call Zoé first"
    assert rows[noted]["shortlist_added_by"] == "alice" and rows[plain]["shortlist_added_by"] == ""
    assert len(rows[noted]["shortlist_added_on"]) == 10
    xlsx = alice_client.get(f"/shortlists/{shortlist.pk}/export.xlsx")
    assert xlsx.status_code == 200
    assert_same_table(xlsx_table(b"".join(xlsx.streaming_content)), table)
    assert b"secret" not in body_of(csv_response)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with PostgreSQL's own ROUND")
def test_rounding_matches_postgresql_round(db):
    generator = random.Random(18)
    values = [62.25, 0.05, 0.15, 99.95, 12.35, 100.0, 0.0, 1 / 3]
    values += [generator.uniform(0, 100) for _ in range(300)] + [k / 20 for k in range(2001)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ROUND(v::numeric, 1)::float8 FROM unnest(%s::float8[]) WITH ORDINALITY AS t(v, i) ORDER BY i",
            [values],
        )
        expected = [row[0] for row in cursor.fetchall()]
    assert [rounded(value, 1) for value in values] == expected


def test_an_xlsx_beyond_excel_s_rows_is_refused_before_the_quota(world, alice_client, monkeypatch):
    from creators import exports

    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", len(world.handles_a) - 1)
    response = alice_client.get("/creators/export.xlsx")
    assert response.status_code == 400 and "export CSV" in response.content.decode()
    assert not AuditEvent.objects.filter(user=world.users["alice"], action="creator.export").exists()
    assert alice_client.get("/creators/export.csv").status_code == 200
