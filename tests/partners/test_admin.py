"""Staff admin: partners with inline users and grants, autocomplete pickers, read-only audit log."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from io import StringIO

from django.core.management import call_command

from partners.access import access_for_user
from partners.audit import audit_record
from partners.choices import AuditAction
from partners.management.commands.partner_create import Command
from partners.models import GRANT_LAST_DAY_HELP, AccessGrant, grant_end_from_last_day, grant_last_day


def test_staff_see_a_partner_with_its_memberships_and_grants(world, sam_client):
    response = sam_client.get(f"/admin/partners/partner/{world.partner_a.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "alice" in html and "Access grants" in html
    # Pickers scale: autocomplete widgets, not select boxes listing every creator.
    assert "admin-autocomplete" in html
    assert "beauty_2" not in html


def test_grant_admin_uses_autocomplete_for_categories_and_creators(world, sam_client):
    html = sam_client.get(f"/admin/partners/accessgrant/{world.grant_a.pk}/change/").content.decode()
    assert 'name="creators"' in html and 'name="categories"' in html
    assert html.count("admin-autocomplete") >= 3


def _creator_autocomplete(client, term: str) -> list[dict]:
    response = client.get(
        "/admin/autocomplete/",
        {"term": term, "app_label": "partners", "model_name": "accessgrant", "field_name": "creators"},
    )
    assert response.status_code == 200
    return response.json()["results"]


def test_creator_autocomplete_matches_anywhere_in_the_handle(world, sam_client):
    gaming = {c.pk for c in world.creators.values() if c.handle.startswith("gaming_")}
    assert {int(r["id"]) for r in _creator_autocomplete(sam_client, "gami")} == gaming
    # Not only a prefix: the middle of the handle ("aming") and of the display name ("Creator 3").
    assert {int(r["id"]) for r in _creator_autocomplete(sam_client, "aming")} == gaming
    by_name = {c.pk for c in world.creators.values() if "creator 3" in c.display_name.lower()}
    assert len(by_name) > 1
    assert {int(r["id"]) for r in _creator_autocomplete(sam_client, "creator 3")} == by_name


def test_creator_autocomplete_results_show_display_name_and_followers(world, sam_client):
    results = _creator_autocomplete(sam_client, "gaming_")
    creators = {c.pk: c for c in world.creators.values()}
    assert results
    for result in results:
        creator = creators[int(result["id"])]
        assert result["text"] == f"@{creator.handle} · {creator.display_name} · {creator.followers:,} followers"
    # Other models keep Django's text.
    response = sam_client.get(
        "/admin/autocomplete/",
        {"term": "Acme", "app_label": "partners", "model_name": "accessgrant", "field_name": "partner"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Acme Beauty"]


def test_the_audit_log_is_read_only(world, sam_client):
    event = audit_record(access=access_for_user(world.users["alice"]), action=AuditAction.CREATOR_VIEW,
                         object_handle="beauty_1")
    listing = sam_client.get("/admin/partners/auditevent/", {"outcome__exact": "ok"})
    assert listing.status_code == 200 and "beauty_1" in listing.content.decode()
    detail = sam_client.get(f"/admin/partners/auditevent/{event.pk}/change/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert 'name="_save"' not in html and "deletelink" not in html
    assert sam_client.get("/admin/partners/auditevent/add/").status_code == 403
    assert sam_client.post(f"/admin/partners/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert sam_client.post(f"/admin/partners/auditevent/{event.pk}/change/", {"action": "x"}).status_code == 403


def test_staff_can_revoke_grants_from_the_list(world, sam_client):
    response = sam_client.post(
        "/admin/partners/accessgrant/", {"action": "revoke_grants", "_selected_action": [world.grant_b.pk]}
    )
    assert response.status_code == 302
    assert not access_for_user(world.users["charlie"]).is_partner


def test_the_user_admin_shows_the_partner(world, sam_client):
    html = sam_client.get("/admin/auth/user/").content.decode()
    assert "Acme Beauty" in html and "Bolt Gadgets" in html


# --- grants: one help text per field, the end as an inclusive last day (issue 18 item 7) ------------------------
def _form_rows(html: str) -> list[str]:
    """The admin form's rows (``<div class="form-row ...">``), each as its HTML up to the next row."""
    return re.split(r'<div class="form-row', html)[1:]


def test_grant_form_shows_one_help_text_per_row(world, sam_client):
    for url in (f"/admin/partners/accessgrant/{world.grant_a.pk}/change/",
                f"/admin/partners/partner/{world.partner_a.pk}/change/"):
        html = sam_client.get(url).content.decode()
        assert "form-multiline" not in html  # no two fields side by side
        rows = [row for row in _form_rows(html) if 'class="help' in row]
        assert rows
        for row in rows:
            assert row.count('class="help') == 1, row[:300]
        performance = next(row for row in rows if "field-performance" in row.split(">", 1)[0])
        assert AccessGrant._meta.get_field("performance").help_text in performance
        assert AccessGrant._meta.get_field("commercial").help_text not in performance


def _grant_post(world, grant: AccessGrant, **changes: str) -> dict:
    data = {
        "partner": grant.partner_id, "performance": "on", "commercial": "on",
        "categories": [c.pk for c in grant.categories.all()],
        "valid_from_0": grant.valid_from.astimezone(UTC).strftime("%Y-%m-%d"),
        "valid_from_1": grant.valid_from.astimezone(UTC).strftime("%H:%M:%S"),
        "last_day": "", "revoked_at_0": "", "revoked_at_1": "", "note": grant.note,
    }
    data.update(changes)
    return data


def test_the_grant_end_is_an_inclusive_last_day_as_in_partner_create(world, sam_client, settings):
    settings.TIME_ZONE = "UTC"
    grant = world.grant_a
    url = f"/admin/partners/accessgrant/{grant.pk}/change/"
    response = sam_client.post(url, _grant_post(world, grant, last_day="2031-12-31"))
    assert response.status_code == 302, response.content.decode()[:2000]
    grant.refresh_from_db()
    # The same day through the command gives the same stored end.
    call_command("partner_create", "Zed", "--categories", "beauty", "--until", "2031-12-31", stdout=StringIO())
    command_grant = AccessGrant.objects.get(partner__name="Zed")
    assert grant.valid_until == command_grant.valid_until == grant_end_from_last_day(date(2031, 12, 31))
    # Access holds through the last day and ends when it ends.
    assert grant.is_current(at=datetime(2031, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert not grant.is_current(at=datetime(2032, 1, 1, tzinfo=UTC))
    # The form shows back the day that was typed, and the list says it is inclusive.
    html = sam_client.get(url).content.decode()
    assert 'name="last_day" value="2031-12-31"' in html
    assert "inclusive" in html and 'name="valid_until' not in html
    listing = sam_client.get("/admin/partners/accessgrant/").content.decode()
    assert "Last day (inclusive)" in listing
    # Both help texts say the same thing.
    assert GRANT_LAST_DAY_HELP in html
    parser = Command().create_parser("manage.py", "partner_create")
    assert " ".join(GRANT_LAST_DAY_HELP.split()) in " ".join(parser.format_help().split())


def test_an_untouched_last_day_keeps_an_end_set_elsewhere(world, sam_client):
    grant = world.grant_a
    end = datetime(2031, 6, 1, 15, 30, tzinfo=UTC)  # not a midnight: set through the ORM or the API
    AccessGrant.objects.filter(pk=grant.pk).update(valid_until=end)
    grant.refresh_from_db()
    assert grant_last_day(end) == date(2031, 6, 1)
    response = sam_client.post(f"/admin/partners/accessgrant/{grant.pk}/change/",
                               _grant_post(world, grant, last_day="2031-06-01", note="edited"))
    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.valid_until, grant.note) == (end, "edited")


def test_a_last_day_before_the_start_is_refused_next_to_the_field(world, sam_client):
    grant = world.grant_a
    start = grant.valid_from.astimezone(UTC).date()
    response = sam_client.post(f"/admin/partners/accessgrant/{grant.pk}/change/",
                               _grant_post(world, grant, last_day=(start - timedelta(days=2)).isoformat()))
    assert response.status_code == 200
    assert "The last day must be on or after the day the grant starts." in response.content.decode()


def test_the_conversion_round_trips_every_day():
    day = date(2024, 2, 27)
    for offset in range(5):  # across a leap day and a month end
        assert grant_last_day(grant_end_from_last_day(day + timedelta(days=offset))) == day + timedelta(days=offset)


def test_revoking_one_grant_says_one_grant(world, sam_client):
    response = sam_client.post(
        "/admin/partners/accessgrant/", {"action": "revoke_grants", "_selected_action": [world.grant_b.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "1 grant revoked" in html and "grant(s)" not in html
