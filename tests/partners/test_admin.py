"""Staff admin: partners with inline users and grants, autocomplete pickers, read-only audit log."""

from __future__ import annotations

from partners.access import access_for_user
from partners.audit import audit_record
from partners.choices import AuditAction


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


def test_creator_autocomplete_searches_by_handle_prefix(world, sam_client):
    response = sam_client.get(
        "/admin/autocomplete/",
        {"term": "gami", "app_label": "partners", "model_name": "accessgrant", "field_name": "creators"},
    )
    assert response.status_code == 200
    assert {r["text"] for r in response.json()["results"]} == {f"@gaming_{i}" for i in range(1, 5)}


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
