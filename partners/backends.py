"""The authentication backend of the product: Django's ``ModelBackend`` whose session user arrives with its
membership, partner and partner weights (``select_related``), so that building the request's ``Access`` costs no
second query.

The user is still read on every request, so a changed or removed membership takes effect on the next request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

# The dotted path sessions record for users logged in through this backend.
MEMBER_BACKEND = "partners.backends.MemberBackend"
# Set on a user loaded by MemberBackend.get_user: its ``membership`` relation (or its absence) was read together
# with it, in this request. Only then does the access trust the cached relation (see access_for_user).
MEMBERSHIP_LOADED_ATTR = "_membership_loaded_with_user"


class MemberBackend(ModelBackend):
    """``ModelBackend`` (same passwords, permissions and ``is_active`` rule) loading the session user with its
    membership, the membership's partner and the partner's weights in the same query."""

    def get_user(self, user_id: Any) -> Any:
        user = load_member(user_id)
        if user is None:
            return None
        setattr(user, MEMBERSHIP_LOADED_ATTR, True)
        return user if self.user_can_authenticate(user) else None


def load_member(user_id: Any) -> Any:
    """The user ``user_id`` with its membership, the membership's partner and the partner's weights loaded by
    ``select_related`` (``user.membership`` raises ``DoesNotExist`` when there is none); ``None`` when there is no
    such user or the id is malformed (as ``ModelBackend.get_user``)."""
    user_model = get_user_model()
    try:
        return user_model._default_manager.select_related("membership__partner__weights").get(pk=user_id)
    except (user_model.DoesNotExist, ValueError, TypeError):
        return None
