"""partner_create, partner_user_add and the demo partners."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from partners.access import access_for_user
from partners.choices import Role
from partners.demo import DEFAULT_DEMO_PASSWORD, demo_partners_seed
from partners.models import AccessGrant, Membership, Partner
from scoring.catalogue import Tier


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_partner_create_makes_a_partner_with_a_grant(world):
    output = run("partner_create", "Nova", "--categories", "travel,beauty", "--creators", "@Gaming_1",
                 "--tiers", "performance,commercial", "--until", "2031-12-31")
    assert "Created partner 'Nova'" in output
    grant = AccessGrant.objects.get(partner__name="Nova")
    assert set(grant.categories.values_list("slug", flat=True)) == {"travel", "beauty"}
    assert list(grant.creators.values_list("handle", flat=True)) == ["gaming_1"]
    assert grant.performance and grant.commercial
    assert grant.valid_until == datetime(2032, 1, 1, tzinfo=UTC)


def test_partner_create_updates_the_same_grant(world):
    run("partner_create", "Nova", "--categories", "travel", "--tiers", "performance,commercial")
    output = run("partner_create", "Nova", "--categories", "gaming")
    assert "Updated partner 'Nova'" in output
    grant = AccessGrant.objects.get(partner__name="Nova")
    assert list(grant.categories.values_list("slug", flat=True)) == ["gaming"]
    assert not grant.performance and not grant.commercial and grant.valid_until is None
    assert Partner.objects.filter(name="Nova").count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--categories", "nope"], "Unknown category: nope"),
        (["--creators", "ghost"], "Unknown creator handle(s): ghost"),
        (["--categories", "beauty", "--tiers", "secret"], "Unknown tier(s): secret"),
        (["--categories", "beauty", "--until", "31/12/2030"], "--until must be YYYY-MM-DD"),
        ([], "at least one category or creator"),
    ],
)
def test_partner_create_rejects_bad_input_and_writes_nothing(world, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("partner_create", "Nova", *args)
    assert not Partner.objects.filter(name="Nova").exists()


def test_partner_user_add_takes_the_password_from_the_environment(world, monkeypatch):
    monkeypatch.setenv("PARTNER_USER_PASSWORD", "env-given-pass-4471")
    output = run("partner_user_add", "Bolt Gadgets", "erin", "--role", "analyst")
    assert "Created user 'erin' in 'Bolt Gadgets' as analyst" in output
    assert "env-given-pass-4471" not in output
    user = get_user_model().objects.get(username="erin")
    assert user.check_password("env-given-pass-4471")
    assert access_for_user(user).can_use_api


def test_partner_user_add_generates_and_prints_a_password(world, monkeypatch):
    monkeypatch.delenv("PARTNER_USER_PASSWORD", raising=False)
    output = run("partner_user_add", "Bolt Gadgets", "erin", "--role", "viewer")
    password = output.split("Password (shown once): ")[1].strip()
    assert len(password) >= 16
    assert get_user_model().objects.get(username="erin").check_password(password)


def test_partner_user_add_moves_an_existing_user_and_sets_the_role(world, monkeypatch):
    monkeypatch.delenv("PARTNER_USER_PASSWORD", raising=False)
    output = run("partner_user_add", "Bolt Gadgets", "bob", "--role", "manager")
    assert "Updated user 'bob'" in output and "Password" not in output
    membership = Membership.objects.get(user__username="bob")
    assert (membership.partner.name, membership.role) == ("Bolt Gadgets", Role.MANAGER)


def test_partner_user_add_needs_an_existing_partner(world):
    with pytest.raises(CommandError, match="No partner named"):
        run("partner_user_add", "Nobody Inc", "erin", "--role", "viewer")


def test_demo_partners_are_idempotent_and_have_different_grants(db, monkeypatch, rf):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    first = demo_partners_seed()
    second = demo_partners_seed()
    assert first == second and len(first) == 6
    assert {(p, u, r) for p, u, r, _ in first} == {
        ("Glow Beauty Co", "glow-viewer", "viewer"), ("Glow Beauty Co", "glow-analyst", "analyst"),
        ("Glow Beauty Co", "glow-manager", "manager"), ("Volt Electronics", "volt-viewer", "viewer"),
        ("Volt Electronics", "volt-analyst", "analyst"), ("Volt Electronics", "volt-manager", "manager"),
    }
    assert Partner.objects.count() == 2 and AccessGrant.objects.count() == 2
    glow = access_for_user(get_user_model().objects.get(username="glow-analyst"))
    volt = access_for_user(get_user_model().objects.get(username="volt-analyst"))
    assert Tier.COMMERCIAL in glow.tiers and Tier.COMMERCIAL not in volt.tiers
    assert not glow.category_ids & volt.category_ids
    request = rf.post("/accounts/login/")
    assert authenticate(request, username="glow-viewer", password=DEFAULT_DEMO_PASSWORD) is not None
