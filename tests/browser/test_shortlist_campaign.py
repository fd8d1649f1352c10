"""A shortlist that carries a campaign, in a real browser (issue 20 part 3): tick three creators in the list, add
them to a new shortlist, change a status in place, write a note, export; then the pages at 1440 and 390 px as
viewer, analyst and manager (tables scroll inside their own box, never the page)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser.test_dashboard import VIEWPORT, ConsoleErrors, _log_in
from tests.export_helpers import keyed, xlsx_table

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
NOTE = "Called on Monday.\nSend the spring brief by Friday."


def _page_overflow(page) -> int:
    """How far the page itself scrolls sideways (0: only boxes scroll)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_tick_three_add_to_a_new_shortlist_change_a_status_in_place_and_export(
    browser, live_server, scored_world, screenshot_dir
):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    errors = ConsoleErrors()
    errors.watch(page)
    _log_in(page, live_server, scored_world.analyst, scored_world.password)

    boxes = page.locator("#creator-table input.pick-check")
    three = [boxes.nth(n).get_attribute("value") for n in range(3)]
    for n in range(3):
        boxes.nth(n).check()
    assert page.locator("#pick-count").inner_text() == "3 ticked"
    page.locator("#bulk-new-name").fill("Spring launch")
    page.locator("#bulk-add").click()
    page.wait_for_selector("text=3 creators added to “Spring launch”")
    assert page.url.rstrip("/").endswith("/creators")
    # The bar now starts on that shortlist and links to it.
    assert page.locator("#bulk-shortlist option:checked").inner_text() == "Spring launch"
    page.screenshot(path=str(screenshot_dir / "list-bulk-bar.png"), full_page=False)
    page.locator("#last-shortlist").click()
    page.wait_for_selector("#shortlist-entries")
    rows = page.locator("#shortlist-entries tbody tr")
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.handle)")) == sorted(three)
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.status)")) == {"to_contact"}

    # Change a status in place: choosing it saves it (the row's form, submitted for you).
    first = three[0]
    page.get_by_label(f"Status of @{first}").select_option("contacted")
    page.wait_for_selector(f"text=@{first} is now “Contacted”.")
    assert page.locator(f'#shortlist-entries tr[data-handle="{first}"]').get_attribute("data-status") == "contacted"
    # A multi-line note, saved with the row's button, shown in full.
    page.get_by_label(f"Note on @{first}").fill(NOTE)
    page.locator(f'#shortlist-entries tr[data-handle="{first}"] button', has_text="Save").click()
    page.wait_for_selector(f"text=Note on @{first} saved.")
    assert page.get_by_label(f"Note on @{first}").input_value() == NOTE
    # Filter by status.
    page.locator('#status-tabs a[data-status="contacted"]').click()
    page.wait_for_url("**status=contacted**")
    assert page.locator("#shortlist-entries tbody tr").count() == 1
    page.locator("#status-tabs a", has_text="All").click()
    page.screenshot(path=str(screenshot_dir / "shortlist.png"), full_page=True)

    with page.expect_download() as download_info:
        page.locator("#shortlist-export").click()
    text = open(download_info.value.path(), encoding="utf-8-sig").read()
    exported = {row["Handle"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}
    assert sorted(exported) == sorted(three)
    assert (exported[first]["Status"], exported[first]["Note"]) == ("Contacted", NOTE)
    assert {exported[h]["Status"] for h in three[1:]} == {"To contact"}
    with page.expect_download() as download_info:
        page.locator("#shortlist-export-xlsx").click()
    workbook = keyed(xlsx_table(open(download_info.value.path(), "rb").read()))
    assert {row["handle"]: row["shortlist_status"] for row in workbook}[first] == "Contacted"
    assert list(errors) == []
    context.close()


@pytest.mark.parametrize("role", ["viewer", "analyst", "manager"])
@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["1440", "390"])
def test_the_campaign_pages_fit_every_role_and_width(browser, live_server, scored_world, screenshot_dir, role,
                                                     viewport):
    from partners.models import Partner, Shortlist, ShortlistEntry
    from scoring.models import Scorecard

    partner = Partner.objects.get(name=scored_world.partner_name)
    shortlist = Shortlist.objects.create(partner=partner, name=f"Look {role} {viewport['width']}")
    cards = Scorecard.objects.filter(
        run__is_published=True, creator__primary_category__slug__in=scored_world.categories
    ).order_by("-overall").select_related("creator")[:4]
    statuses = ["to_contact", "contacted", "agreed", "declined"]
    for card, status in zip(cards, statuses, strict=False):
        ShortlistEntry.objects.create(shortlist=shortlist, creator=card.creator, status=status, note=NOTE)
    username = {"viewer": scored_world.viewer, "analyst": scored_world.analyst, "manager": scored_world.manager}[role]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    errors = ConsoleErrors()
    errors.watch(page)
    _log_in(page, live_server, username, scored_world.password)
    handles = [card.creator.handle for card in cards]
    for name, path in (
        ("list", "/creators/"),
        ("shortlist", f"/shortlists/{shortlist.pk}/"),
        ("compare", f"/creators/compare/?handles={','.join(handles[:3])}"),
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(screenshot_dir / f"campaign-{name}-{role}-{viewport['width']}.png"))
        assert _page_overflow(page) <= 1, f"{name} scrolls sideways at {viewport['width']} px as {role}"
        if name == "shortlist":
            assert page.locator("#shortlist-entries tbody tr").count() == len(handles)
            # Viewers keep shortlists but do not export (DESIGN section 1).
            assert page.locator("#shortlist-export").count() == (0 if role == "viewer" else 1)
            # Nothing of an entry is cut: its Save button and its last score sit inside the table's box (on a
            # phone each entry is a card), and the sort stays at hand where the column heads are hidden.
            box = page.locator("#shortlist-entries").evaluate(
                "t => t.closest('.table-wrap').getBoundingClientRect().right")
            first = page.locator("#shortlist-entries tbody tr").first
            for part in (first.get_by_role("button", name="Save"), first.locator("td[data-col]").last):
                bounds = part.bounding_box()
                assert bounds["x"] + bounds["width"] <= box + 1, f"cut at {viewport['width']} px as {role}"
            sort_choices = page.locator("nav.sort-choices a")
            assert sort_choices.count() >= 4 if viewport is PHONE else not sort_choices.first.is_visible()
    assert list(errors) == []
    context.close()
