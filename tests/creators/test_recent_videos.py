"""Recent content (issue 20 item 2): the window's videos on the scorecard and in the API, newest first, paged,
with each column following its catalogue tier, and nothing of a creator outside the grant."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from creators import formatting
from creators.models import Video
from creators.selectors import VIDEO_PAGE_SIZE
from partners.models import AuditEvent
from scoring.indices import Window

pytestmark = pytest.mark.django_db

IN_WINDOW = 13  # more than a page: a "More" page of 3
COMMERCIAL_HEADERS = ("Sponsored", "Shoppable", "Orders", "GMV")


def _add_videos(world, handle: str) -> list[Video]:
    """``IN_WINDOW`` videos in the run's window (two of them posted at the same instant, to test the keyset's
    tie-break), one the day before it and one after it; the expected order, newest first."""
    creator = world.creators[handle]
    window = Window(world.run.as_of, world.run.window_days)
    noon = datetime.combine(window.as_of, time(12), tzinfo=UTC)
    category = creator.primary_category
    videos = []
    for n in range(IN_WINDOW):
        posted = noon - timedelta(days=n if n < IN_WINDOW - 1 else n - 1)  # the last two share a time
        videos.append(Video(
            external_id=f"recent-{handle}-{n}", creator=creator, posted_at=posted, views=1000 + n, likes=90 + n,
            comments=5, shares=5, is_sponsored=n % 2 == 0, is_shoppable=n % 3 == 0,
            product_category=category if n % 3 == 0 else None,
            orders=7000 + n if n % 3 == 0 else None, gmv=Decimal(f"{54321 + n}.50") if n % 3 == 0 else None,
        ))
    outside = [
        Video(external_id=f"old-{handle}", creator=creator, posted_at=window.start - timedelta(seconds=1), views=1,
              likes=0, comments=0, shares=0),
        Video(external_id=f"new-{handle}", creator=creator, posted_at=window.end, views=1, likes=0, comments=0,
              shares=0),
    ]
    Video.objects.bulk_create(videos + outside)
    return sorted(Video.objects.filter(external_id__startswith=f"recent-{handle}-"),
                  key=lambda v: (v.posted_at, v.pk), reverse=True)


def _page_views(html: str) -> list[int]:
    table = html.split('id="recent-videos"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    row = (r'<tr>\s*<td data-label="Posted"><time[^>]*>[^<]*</time></td>\s*'
           r'<td class="num" data-label="Views">([\d,]+)</td>')
    return [int(cell.replace(",", "")) for cell in re.findall(row, body)]


def test_the_scorecard_lists_the_windows_videos_newest_first_with_more(world, alice_client):
    handle = world.handles_a[0]
    expected = _add_videos(world, handle)
    html = alice_client.get(f"/creators/{handle}/").content.decode()
    assert _page_views(html) == [v.views for v in expected[:VIDEO_PAGE_SIZE]]
    more = re.search(r'href="\?videos=([^"#]+)#recent-content" id="recent-more"', html)
    assert more
    html = alice_client.get(f"/creators/{handle}/?videos={more.group(1)}").content.decode()
    assert _page_views(html) == [v.views for v in expected[VIDEO_PAGE_SIZE:]]
    assert 'id="recent-more"' not in html
    newer = re.search(r'rel="prev" href="\?videos=([^"#]+)#recent-content"', html)
    assert newer
    back = alice_client.get(f"/creators/{handle}/?videos={newer.group(1)}").content.decode()
    assert _page_views(back) == [v.views for v in expected[:VIDEO_PAGE_SIZE]]
    assert 'rel="prev"' not in back and 'id="recent-more"' in back
    # The commercial columns, formatted by creators.formatting (alice's grant has the commercial tier).
    for header in COMMERCIAL_HEADERS:
        assert f">{header}</th>" in html
    shown = [v for v in expected[VIDEO_PAGE_SIZE:] if v.gmv is not None]
    assert shown
    for video in shown:
        assert f'<td class="num" data-label="GMV">{formatting.money(video.gmv)}</td>' in html
        assert f'<td class="num" data-label="Orders">{formatting.thousands(video.orders)}</td>' in html


def test_commercial_columns_are_absent_from_the_page_without_the_tier(world, charlie_client):
    handle = world.handles_b[0]
    expected = _add_videos(world, handle)
    html = charlie_client.get(f"/creators/{handle}/").content.decode()
    assert _page_views(html) == [v.views for v in expected[:VIDEO_PAGE_SIZE]]
    section = html.split('id="recent-content"', 1)[1].split("</section>", 1)[0]
    for header in COMMERCIAL_HEADERS:
        assert f">{header}</th>" not in section
    assert "$" not in section and "7,0" not in section and "54,3" not in section


def test_a_hidden_creators_videos_are_a_404_on_the_page_and_in_the_api(world, alice_client):
    handle = world.handles_b[0]
    _add_videos(world, handle)
    before = AuditEvent.objects.filter(object_handle=handle, outcome="denied").count()
    page = alice_client.get(f"/creators/{handle}/?videos=abc")
    api = alice_client.get(f"/api/v1/creators/{handle}/videos/")
    unknown = alice_client.get("/api/v1/creators/no-such-handle/videos/")
    assert page.status_code == api.status_code == unknown.status_code == 404
    assert "recent-" not in page.content.decode() + api.content.decode()
    denied = AuditEvent.objects.filter(object_handle=handle, outcome="denied")
    assert denied.count() == before + 2
    assert set(denied.values_list("action", flat=True)) == {"creator.view"}


def test_the_api_pages_newest_first_with_commercial_fields_only_with_the_tier(world, alice_client, charlie_client):
    a, b = world.handles_a[0], world.handles_b[0]
    expected_a, expected_b = _add_videos(world, a), _add_videos(world, b)
    body = alice_client.get(f"/api/v1/creators/{a}/videos/", {"page_size": 5}).json()
    seen = body["results"]
    while body["next"]:
        body = alice_client.get(body["next"]).json()
        seen += body["results"]
    assert [item["views"] for item in seen] == [v.views for v in expected_a]
    first = seen[0]
    assert set(first) == {"posted_at", "views", "engagement_rate", "is_sponsored", "is_shoppable",
                          "product_category", "orders", "gmv"}
    video = expected_a[0]
    assert first["engagement_rate"] == pytest.approx((video.likes + video.comments + video.shares) / video.views)
    assert first["gmv"] == str(video.gmv) and first["orders"] == video.orders

    body = charlie_client.get(f"/api/v1/creators/{b}/videos/").json()
    assert [item["views"] for item in body["results"]] == [v.views for v in expected_b[:VIDEO_PAGE_SIZE]]
    assert set(body["results"][0]) == {"posted_at", "views", "engagement_rate", "product_category"}
    assert "54321" not in str(body) and "7000" not in str(body)
    event = AuditEvent.objects.filter(action="creator.videos").latest("created_at")
    assert (event.object_handle, event.row_count, event.outcome) == (b, VIDEO_PAGE_SIZE, "ok")


def test_the_api_refuses_unknown_parameters_and_viewers(world, alice_client, bob_client):
    handle = world.handles_a[0]
    response = alice_client.get(f"/api/v1/creators/{handle}/videos/", {"ordering": "views"})
    assert response.status_code == 400 and "ordering" in response.json()["errors"]
    assert alice_client.get(f"/api/v1/creators/{handle}/videos/", {"page_size": "0"}).status_code == 400
    assert bob_client.get(f"/api/v1/creators/{handle}/videos/").status_code == 403


def test_query_counts_do_not_grow_with_the_videos(world, alice_client, django_assert_max_num_queries):
    handle = world.handles_a[0]
    _add_videos(world, handle)
    alice_client.get(f"/creators/{handle}/")  # warm the per-run caches
    # The scorecard's pinned 16 (tests/creators/test_detail_view.py), the page of videos among them.
    with django_assert_max_num_queries(16):
        assert alice_client.get(f"/creators/{handle}/").status_code == 200
    # user, grants, creator, run, the page of videos, audit.
    with django_assert_max_num_queries(6):
        assert alice_client.get(f"/api/v1/creators/{handle}/videos/").status_code == 200
    # Three times the videos: the same statements (one page is read, never the whole window).
    _add_videos_again(world, handle)
    with django_assert_max_num_queries(16):
        assert alice_client.get(f"/creators/{handle}/").status_code == 200
    with django_assert_max_num_queries(6):
        assert alice_client.get(f"/api/v1/creators/{handle}/videos/", {"page_size": 50}).status_code == 200


def _add_videos_again(world, handle: str) -> None:
    creator = world.creators[handle]
    window = Window(world.run.as_of, world.run.window_days)
    Video.objects.bulk_create(
        Video(external_id=f"more-{handle}-{n}", creator=creator, posted_at=window.start + timedelta(hours=n),
              views=n, likes=0, comments=0, shares=0)
        for n in range(2 * IN_WINDOW)
    )


def test_a_malformed_cursor_shows_the_first_page(world, alice_client):
    handle = world.handles_a[0]
    expected = _add_videos(world, handle)
    html = alice_client.get(f"/creators/{handle}/", {"videos": "not-a-cursor"}).content.decode()
    assert _page_views(html) == [v.views for v in expected[:VIDEO_PAGE_SIZE]]
    body = alice_client.get(f"/api/v1/creators/{handle}/videos/", {"cursor": "bm9wZQ"}).json()
    assert [item["views"] for item in body["results"]] == [v.views for v in expected[:VIDEO_PAGE_SIZE]]
