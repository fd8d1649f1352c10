"""The creator list fits the screen: at 1440 px the default columns need no sideways scroll and the handle stays in
view when chosen columns do; on a phone each creator is a compact card and the filters fold behind a button; the
compare page uses the full width with a small radar per creator.

Debian's Chromium through Playwright, the real TikTok-2020 data (tests/browser/conftest.py).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from scoring.models import Scorecard
from tests.browser.conftest import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _page(browser, live_server, username, viewport, **options):
    context = browser.new_context(viewport=viewport, **options)
    context.add_cookies([session_cookie(live_server.url, username)])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def _overflow(page, selector: str) -> dict:
    return page.evaluate(
        """(selector) => {
            const wrap = document.querySelector(selector);
            return {page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                    wrap: wrap.scrollWidth - wrap.clientWidth};
        }""",
        selector,
    )


# The cells whose ``text`` (a function of the cell, in the page) is wider than the cell, measured in the font of
# ``pseudo`` ("" for the cell itself, "::before" for a label drawn by CSS): a word broken inside, or a label cut.
_CELLS_TOO_NARROW = """([selector, text, pseudo]) => {
    const textOf = new Function('cell', `return (${text})(cell)`);
    return [...document.querySelectorAll(selector)].filter(cell => cell.offsetParent !== null).filter(cell => {
        const style = getComputedStyle(cell, pseudo || null);
        const probe = document.createElement('span');
        probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap';
        Object.assign(probe.style, {fontSize: style.fontSize, fontFamily: style.fontFamily,
                                    fontWeight: style.fontWeight, letterSpacing: style.letterSpacing});
        probe.textContent = textOf(cell);
        document.body.appendChild(probe);
        const tooWide = probe.getBoundingClientRect().width > cell.clientWidth + 0.5;
        probe.remove();
        return tooWide;
    }).map(cell => textOf(cell).slice(0, 40));
}"""


def _cells_too_narrow(page, selector: str, text: str, pseudo: str = "") -> list[str]:
    return page.evaluate(_CELLS_TOO_NARROW, [selector, text, pseudo])


def test_the_default_columns_fit_at_1440_and_the_handle_stays_in_view(browser, live_server, scored_world):
    context, page, errors = _page(browser, live_server, scored_world.analyst, DESKTOP)
    page.goto(f"{live_server.url}/creators/")
    headers = page.locator("#creator-table thead th").all_inner_texts()
    # The widest default set a partner can have: every index and its own score ("Our score").
    for label in ("Creator", "Followers", "Overall", "Collaboration", "Effectiveness", "Consistency", "Our score"):
        assert any(label.upper() in text.upper() for text in headers), (label, headers)
    assert _overflow(page, "#creator-table-wrap") == {"page": 0, "wrap": 0}

    # Every column chosen (the categories too): the table is wider than its box and scrolls inside it; the tick
    # box and the handle stay where they were.
    page.locator("#column-chooser summary").click()
    page.get_by_label("Categories", exact=True).check()
    page.get_by_role("button", name="Show columns").click()
    page.wait_for_url("**columns=**")
    assert "%2C" in page.url or "," in page.url  # one "columns=a,b,c", not one parameter per tick
    overflow = _overflow(page, "#creator-table-wrap")
    assert overflow["page"] == 0 and overflow["wrap"] > 0
    handle = page.locator("#creator-table tbody tr").first.locator("td.col-handle")
    before = handle.bounding_box()
    page.locator("#creator-table-wrap").evaluate("wrap => { wrap.scrollLeft = wrap.scrollWidth; }")
    page.wait_for_function("document.querySelector('#creator-table-wrap').scrollLeft > 0")
    after = handle.bounding_box()
    wrap = page.locator("#creator-table-wrap").bounding_box()
    assert after["x"] == pytest.approx(before["x"], abs=1) and after["x"] >= wrap["x"]
    # Nothing is drawn over the handle: the cell itself is what the point under it hits.
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('td')?.className",
        [after["x"] + after["width"] / 2, after["y"] + after["height"] / 2],
    )
    assert "col-handle" in hit
    assert errors == []
    context.close()


def test_on_a_phone_each_creator_is_a_card_and_the_filters_fold(browser, live_server, scored_world, screenshot_dir):
    context, page, errors = _page(browser, live_server, scored_world.analyst, PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/creators/?ordering=-care")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The filters are folded behind a "Filters" button.
    search = page.get_by_label("Search")
    assert not search.is_visible()
    toggle = page.locator("#filters-toggle")
    assert toggle.is_visible() and toggle.inner_text().startswith("Filters")
    page.screenshot(path=str(screenshot_dir / "list-phone.png"), full_page=False)

    # Each creator is a card: handle, followers, overall and two indices (the sorted one among them, in the
    # table's order), each labelled; no header row, no other cell.
    assert not page.locator("#creator-table thead").is_visible()
    row = page.locator("#creator-table tbody tr").first
    visible = row.locator("td").evaluate_all(
        "cells => cells.filter(c => c.offsetParent !== null).map(c => c.dataset.col || c.className)"
    )
    assert visible[:2] == ["col-pick", "col-handle creator-cell"]
    assert "col-followers" in visible[2] and visible[3:] == ["overall", "collaboration", "care"]
    labels = row.locator("td.in-card").evaluate_all(
        "cells => cells.filter(c => c.offsetParent !== null).map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels == ['"Followers"', '"Overall"', '"Collaboration"', '"Care"']
    # Each label and the handle are shown whole ("Collabora…" before the followers moved beside the handle).
    cut = _cells_too_narrow(
        page, "#creator-table tbody tr:first-child td.in-card", "cell => cell.dataset.label", "::before"
    )
    assert cut == []
    link = row.locator("td.col-handle a").first
    assert link.evaluate("a => a.scrollWidth <= a.clientWidth")
    card = row.bounding_box()
    assert card["width"] <= PHONE["width"] and card["height"] < 150

    # The button opens the panel; a filter applied from it works.
    toggle.click()
    assert search.is_visible()
    search.fill(page.locator("#creator-table tbody tr").first.get_attribute("data-handle"))
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**q=**")
    assert page.locator("#creator-table tbody tr").count() >= 1
    assert errors == []

    handle = page.locator("#creator-table tbody tr").first.get_attribute("data-handle")
    page.goto(f"{live_server.url}/creators/{handle}/")
    page.wait_for_selector('#chart-radar[data-rendered="true"] svg.main-svg', timeout=15_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "scorecard-phone.png"), full_page=False)
    assert errors == []
    context.close()


def test_empty_filters_stay_out_of_the_url(browser, live_server, scored_world):
    context, page, errors = _page(browser, live_server, scored_world.analyst, DESKTOP)
    page.goto(f"{live_server.url}/creators/")
    page.get_by_label("Followers at least").fill("250k")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**followers_min=**")
    query = page.url.split("?", 1)[1]
    assert sorted(part.split("=")[0] for part in query.split("&")) == ["followers_min", "ordering"]
    assert "followers_min=250k" in query
    followers = [
        card.followers
        for card in Scorecard.objects.filter(
            run__is_published=True, creator__handle__in=page.locator("#creator-table tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.handle)"
            )
        )
    ]
    assert followers and min(followers) >= 250_000
    assert errors == []
    context.close()


def test_compare_uses_the_width_and_draws_a_small_radar_per_creator(browser, live_server, scored_world,
                                                                   screenshot_dir):
    five = list(
        Scorecard.objects.filter(
            run__is_published=True, overall__isnull=False, creator__primary_category__slug__in=scored_world.categories
        )
        .order_by("-overall")
        .values_list("creator__handle", flat=True)[:5]
    )
    context, page, errors = _page(browser, live_server, scored_world.analyst, DESKTOP)
    page.goto(f"{live_server.url}/creators/compare/?{urlencode({'handles': ','.join(five)})}")
    for position in range(5):
        page.wait_for_selector(f'#chart-compare-{position}[data-rendered="true"] svg.main-svg', timeout=15_000)
    assert _overflow(page, "#compare-table")["page"] == 0
    table = page.locator("#compare-table").bounding_box()
    assert table["width"] > 1300  # the full width of a 1440 px screen, not a 1320 px column split in two
    # Each creator's column is wide enough for its handle on one line.
    for handle in five:
        cell = page.locator(f'#compare-table thead a[href="/creators/{handle}/"]')
        assert cell.bounding_box()["height"] < 30
    radars = [page.locator(f"#chart-compare-{n}").bounding_box() for n in range(5)]
    assert all(radar["width"] >= 350 for radar in radars)
    page.screenshot(path=str(screenshot_dir / "compare.png"), full_page=True)
    assert errors == []
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_the_export_buttons_sit_in_view_on_the_list_and_the_shortlist(browser, live_server, scored_world, viewport,
                                                                       screenshot_dir):
    from partners.models import Partner, Shortlist, ShortlistEntry

    partner = Partner.objects.get(name=scored_world.partner_name)
    shortlist = Shortlist.objects.create(partner=partner, name="Export check")
    creator_id = Scorecard.objects.filter(run__is_published=True).values_list("creator_id", flat=True).first()
    ShortlistEntry.objects.create(shortlist=shortlist, creator_id=creator_id, note="Zoé first")
    mobile = {"is_mobile": True, "has_touch": True} if viewport is PHONE else {}
    context, page, errors = _page(browser, live_server, scored_world.analyst, viewport, **mobile)
    width = viewport["width"]
    pages = (
        (f"{live_server.url}/creators/", ("#export-csv", "#export-xlsx")),
        (f"{live_server.url}/shortlists/{shortlist.pk}/", ("#shortlist-export", "#shortlist-export-xlsx")),
    )
    for url, ids in pages:
        page.goto(url)
        boxes = [page.locator(selector).bounding_box() for selector in ids]
        for selector, box in zip(ids, boxes, strict=True):
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)
            assert box["height"] >= 24, (selector, box)  # a finger-sized target
        first, second = boxes
        # Side by side or one under the other, never overlapping.
        assert first["x"] + first["width"] <= second["x"] or first["y"] + first["height"] <= second["y"]
        name = "list" if url.endswith("/creators/") else "shortlist"
        page.screenshot(path=str(screenshot_dir / f"export-buttons-{name}-{width}.png"), full_page=False)
        # The row of buttons wraps inside the page head rather than pushing it wider.
        assert page.locator(".page-head").evaluate("head => head.scrollWidth - head.clientWidth") == 0
    assert errors == []
    context.close()


def _labels_outside(page, chart: str, labels: str = ".angularaxistick text") -> list[str]:
    """The chart's ``labels`` (by default the radar's axis labels, Plotly's ``angularaxistick`` texts) that stick
    out of the chart's own box."""
    return page.evaluate(
        """([chart, labels]) => {
            const box = document.querySelector(chart).getBoundingClientRect();
            return [...document.querySelectorAll(`${chart} ${labels}`)]
                .filter(label => {
                    const r = label.getBoundingClientRect();
                    return r.left < box.left - 0.5 || r.right > box.right + 0.5;
                })
                .map(label => label.textContent);
        }""",
        [chart, labels],
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_every_radar_axis_label_stays_inside_its_chart(browser, live_server, scored_world, viewport):
    """A phone cut "Consistency" and "Effectiveness" off the scorecard's radar (Plotly keeps no room for them), and
    the distribution's marker label off its right edge."""
    five = list(
        Scorecard.objects.filter(
            run__is_published=True, overall__isnull=False, creator__primary_category__slug__in=scored_world.categories
        )
        .order_by("-overall")
        .values_list("creator__handle", flat=True)[:5]
    )
    context, page, errors = _page(browser, live_server, scored_world.analyst, viewport)
    page.goto(f"{live_server.url}/creators/{five[0]}/")
    page.wait_for_selector('#chart-radar[data-rendered="true"] svg.main-svg', timeout=15_000)
    assert page.locator("#chart-radar .angularaxistick text").count() >= 3
    assert _labels_outside(page, "#chart-radar") == []
    # The top creator's marker sits near 100 on the distribution: its label ("This creator: 87.4") stays over the
    # plot, between the axis' 0 and 100, rather than running past the right edge.
    page.wait_for_selector('#chart-distribution[data-rendered="true"] svg.main-svg', timeout=15_000)
    assert page.locator("#chart-distribution .annotation-text").count() == 1
    label, plot = (page.locator(f"#chart-distribution {part}").first.bounding_box()
                   for part in (".annotation-text", ".nsewdrag"))
    assert plot["x"] - 0.5 <= label["x"] and label["x"] + label["width"] <= plot["x"] + plot["width"] + 0.5
    page.goto(f"{live_server.url}/creators/compare/?{urlencode({'handles': ','.join(five)})}")
    for position in range(len(five)):
        chart = f"#chart-compare-{position}"
        page.wait_for_selector(f'{chart}[data-rendered="true"] svg.main-svg', timeout=15_000)
        assert _labels_outside(page, chart) == [], chart
    assert errors == []
    context.close()


# Of each table, how far it reaches past the right edge of the card that holds it (0 when it fits), and of each
# table cell whose text is broken inside a word (its height grows when it may only wrap between words).
_TABLES_PAST_CARDS = """() => [...document.querySelectorAll('main table')].map(table => {
    const card = table.closest('.card') || document.querySelector('main');
    return Math.round(table.getBoundingClientRect().right - card.getBoundingClientRect().right);
}).filter(past => past > 0)"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_the_methodology_fits_the_screen_with_one_title(browser, live_server, scored_world, viewport, role):
    username = scored_world.viewer if role == "viewer" else scored_world.manager
    context, page, errors = _page(browser, live_server, username, viewport)
    page.goto(f"{live_server.url}/methodology/")
    assert page.locator("main h1").all_inner_texts() == ["Methodology"]
    assert "scoring/definitions.py" not in page.locator("main").inner_text()
    assert _overflow(page, "#methodology") == {"page": 0, "wrap": 0}
    assert page.evaluate(_TABLES_PAST_CARDS) == []
    # Words wrap whole: no header or cell outside code is broken inside a word (the old layout gave "Col/lab/or").
    longest_word = ("cell => { const words = cell.cloneNode(true); words.querySelectorAll('code')"
                    ".forEach(code => code.remove()); return words.textContent.split(/\\s+/)"
                    ".sort((a, b) => b.length - a.length)[0] || ''; }")
    broken = _cells_too_narrow(page, "#methodology th, #methodology td", longest_word)
    assert broken == []
    if viewport is DESKTOP:
        # The text has the page's width: beside the weights (manager) or alone (viewer), not half of it.
        main = page.locator("main").bounding_box()
        card = page.locator("#methodology").bounding_box()
        assert card["width"] > 0.55 * main["width"]
    assert errors == []
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_the_audit_trail_fits_the_screen(browser, live_server, scored_world, viewport):
    """A compare of five creators records their handles as one long "handles=a,b,c,d,e": at 1440 px the event
    table still fits its box (the details wrap); on a phone each event is two lines, no sideways scroll."""
    five = list(
        Scorecard.objects.filter(run__is_published=True, creator__primary_category__slug__in=scored_world.categories)
        .values_list("creator__handle", flat=True)[:5]
    )
    context, page, errors = _page(browser, live_server, scored_world.manager, viewport)
    page.goto(f"{live_server.url}/creators/compare/?{urlencode({'handles': ','.join(five)})}")
    page.goto(f"{live_server.url}/partner/audit/")
    events = page.locator("#audit-events").inner_text(timeout=5_000)
    assert "Compared creators" in events
    # The long details are the point at 1440 px; a phone leaves them out.
    assert ("handles=" + ",".join(five) in events) == (viewport is DESKTOP)
    assert _overflow(page, ".table-wrap:has(#audit-events)") == {"page": 0, "wrap": 0}
    if viewport is PHONE:
        first = page.locator("#audit-events tbody tr").first.bounding_box()
        assert first["height"] < 80  # two lines, not one cell per line
    assert errors == []
    context.close()


def test_compare_on_a_phone_shows_two_creators_beside_the_field_names(browser, live_server, scored_world):
    """390 px: the field names and two creators side by side; the others scroll under the field names, which stay
    in view; a long handle is cut with an ellipsis in the header, never a field name inside a word."""
    three = list(
        Scorecard.objects.filter(run__is_published=True, creator__primary_category__slug__in=scored_world.categories)
        .values_list("creator__handle", flat=True)[:3]
    )
    context, page, errors = _page(browser, live_server, scored_world.analyst, PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/creators/compare/?{urlencode({'handles': ','.join(three)})}")
    wrap = page.locator("#compare-table").evaluate("t => t.closest('.table-wrap').getBoundingClientRect().right")
    heads = page.locator("#compare-table thead th")
    assert heads.count() == 4
    assert heads.nth(2).bounding_box()["x"] + heads.nth(2).bounding_box()["width"] <= wrap + 1
    assert _overflow(page, ".table-wrap:has(#compare-table)")["page"] == 0
    # Every field name on one line or broken between words only.
    names = page.locator("#compare-table tbody th")
    for index in range(names.count()):
        name = names.nth(index)
        if " " not in name.inner_text().strip():
            # The lines its text takes: one, for a name without a space.
            lines = name.evaluate("th => { const r = document.createRange(); r.selectNodeContents(th); "
                                  "return new Set([...r.getClientRects()].map(rect => Math.round(rect.top))).size; }")
            assert lines == 1, name.inner_text()
    # Scrolled to the last creator, the field names are still where they were.
    before = names.first.bounding_box()["x"]
    page.locator(".table-wrap:has(#compare-table)").evaluate("wrap => { wrap.scrollLeft = wrap.scrollWidth; }")
    page.wait_for_function("document.querySelector('.table-wrap:has(#compare-table)').scrollLeft > 0")
    assert names.first.bounding_box()["x"] == pytest.approx(before, abs=1)
    assert errors == []
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_the_scorecards_tables_fit_their_cards(browser, live_server, scored_world, viewport):
    """The growth figures and the recent videos: a table at 1440 px, one block per row on a phone (each value under
    its label), never cut at the card's edge nor scrolled sideways."""
    handle = (
        Scorecard.objects.filter(run__is_published=True, creator__primary_category__slug__in=scored_world.categories)
        .order_by("-videos")
        .values_list("creator__handle", flat=True)
        .first()
    )
    context, page, errors = _page(browser, live_server, scored_world.analyst, viewport)
    page.goto(f"{live_server.url}/creators/{handle}/")
    assert page.locator("#recent-videos tbody tr").count() > 0
    assert page.evaluate(_TABLES_PAST_CARDS) == []
    assert page.locator(".growth-table tbody tr").count() > 0  # the world has two runs of the same window
    for table in ("#recent-videos", ".growth-table"):
        assert _overflow(page, f".table-wrap:has({table})") == {"page": 0, "wrap": 0}, table
    if viewport is PHONE:
        views = page.locator("#recent-videos td[data-label='Views']").first
        assert views.evaluate("td => getComputedStyle(td, '::before').content") == '"Views"'
    assert errors == []
    context.close()
