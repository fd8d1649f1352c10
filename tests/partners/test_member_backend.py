"""partners.backends.MemberBackend: the session user arrives with its membership, and the access stays exact."""

from __future__ import annotations

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from partners.access import access_for_user
from partners.backends import MEMBER_BACKEND, MemberBackend
from partners.choices import Role
from partners.models import Membership, Partner, PartnerWeights
from tests.conftest import PERSONA_PASSWORD

LIST = "/creators/"


def test_a_session_user_brings_its_membership_and_the_access_costs_one_query(world, django_assert_num_queries):
    PartnerWeights.objects.create(partner=world.partner_a, volume=1)
    user = MemberBackend().get_user(world.users["alice"].pk)
    # The current grants only: membership, partner and weights came with the user.
    with django_assert_num_queries(1):
        access = access_for_user(user)
    assert access.partner == world.partner_a and access.role == Role.ANALYST and access.is_partner
    assert access.weights_dict is not None and access.weights_dict["volume"] == 1


def test_a_session_user_without_membership_sees_nothing_and_costs_no_query(world, django_assert_num_queries):
    user = MemberBackend().get_user(world.users["dana"].pk)
    with django_assert_num_queries(0):
        access = access_for_user(user)
    assert not access.is_member and not access.is_partner


def test_an_inactive_user_is_not_loaded(world):
    user = world.users["alice"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert MemberBackend().get_user(user.pk) is None


def test_a_membership_cached_on_another_user_object_is_not_trusted(world):
    alice = world.users["alice"]
    assert alice.membership.partner == world.partner_a  # caches the relation on this object
    Membership.objects.filter(user=alice).delete()
    assert not access_for_user(alice).is_member


def test_a_removed_membership_or_a_deactivated_partner_takes_effect_on_the_next_request(
    world, alice_client, charlie_client
):
    assert alice_client.get(LIST).status_code == 200
    Partner.objects.filter(pk=world.partner_a.pk).update(is_active=False)
    assert alice_client.get(LIST).status_code == 404
    assert charlie_client.get(LIST).status_code == 200
    Membership.objects.filter(user=world.users["charlie"]).delete()
    assert charlie_client.get(LIST).status_code == 404


def test_logging_in_records_the_member_backend(world):
    client = Client()
    response = client.post("/accounts/login/", {"username": "alice", "password": PERSONA_PASSWORD})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == MEMBER_BACKEND
    assert client.get(LIST).status_code == 200


def test_a_session_opened_through_model_backend_keeps_working(world):
    user = world.users["alice"]
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    client = Client()
    client.cookies["sessionid"] = session.session_key
    assert client.get(LIST).status_code == 200


def _fields(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_the_session_user_arrives_with_membership_partner_and_weights_in_one_query(
    world, django_assert_num_queries
):
    """``get_user`` reads the user with its membership, partner and weights (``select_related``): nothing more
    is queried to build the access, and users without a membership have none."""
    PartnerWeights.objects.create(partner=world.partner_a, volume=2.5, care=1)
    for name in ("alice", "bob", "charlie", "dana"):
        with django_assert_num_queries(1):
            user = MemberBackend().get_user(str(world.users[name].pk))
            has_membership = hasattr(user, "membership")
            if has_membership:
                partner = user.membership.partner
                getattr(partner, "weights", None)
        assert user.pk == world.users[name].pk
        assert has_membership == Membership.objects.filter(user=world.users[name]).exists()


def test_an_unknown_or_malformed_user_id_is_no_user(world):
    assert MemberBackend().get_user(10**9) is None
    assert MemberBackend().get_user("not-a-number") is None
