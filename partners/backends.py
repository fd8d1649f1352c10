"""The authentication backend of the product: Django's ``ModelBackend`` whose session user arrives with its
membership, partner and partner weights, so that building the request's ``Access`` costs one query less.

Every partner request loads its user from the session (``get_user``) and then builds the access from that user's
membership (``partners.access.access_for_user``): two round trips for what one ``LEFT JOIN`` returns. The user is
still read on every request, so a changed or removed membership takes effect on the next request, as before.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection, models

# The dotted path sessions record for users logged in through this backend.
MEMBER_BACKEND = "partners.backends.MemberBackend"
# Set on a user loaded by MemberBackend.get_user: its ``membership`` relation (or its absence) was read together
# with it, in this request. Only then does the access trust the cached relation (see access_for_user).
MEMBERSHIP_LOADED_ATTR = "_membership_loaded_with_user"


class MemberBackend(ModelBackend):
    """``ModelBackend`` (same passwords, permissions and ``is_active`` rule) loading the session user with its
    membership, the membership's partner and the partner's weights in the same query."""

    def get_user(self, user_id: Any) -> Any:
        try:
            user_id = get_user_model()._meta.pk.to_python(user_id)
        except Exception:  # noqa: BLE001 - a malformed id in a session is "no user", as in ModelBackend
            return None
        user = load_member(user_id)
        if user is None:
            return None
        setattr(user, MEMBERSHIP_LOADED_ATTR, True)
        return user if self.user_can_authenticate(user) else None


# Per model of the join: the model, its fields in select order, and per field its column and the converters the
# ORM applies to that column's values (the backend's and the field's own).
_Layout = tuple[tuple[type[models.Model], list[tuple[models.Field, Any, list[Any]]]], ...]


@functools.cache
def _member_statement() -> tuple[str, _Layout]:
    """The statement of ``load_member`` and, per model, the fields its columns hold (in select order) with their
    converters.

    What ``select_related("membership__partner__weights").get(pk=...)`` sends, written once: building and
    compiling that four-table queryset on every request cost about a millisecond of CPU, five times the query.
    """
    from partners.models import Membership, Partner, PartnerWeights

    user_model = get_user_model()
    qn = connection.ops.quote_name
    parts = ((user_model, "u"), (Membership, "m"), (Partner, "p"), (PartnerWeights, "w"))
    layout = tuple(
        (model, [(field, col, [*connection.ops.get_db_converters(col), *field.get_db_converters(connection)])
                 for field in model._meta.concrete_fields for col in [field.get_col(model._meta.db_table)]])
        for model, _ in parts
    )
    columns = ", ".join(
        f"{alias}.{qn(field.column)}" for (model, alias), (_, fields) in zip(parts, layout, strict=True)
        for field, _, _ in fields
    )
    table = {model: qn(model._meta.db_table) for model, _ in parts}

    def column(model: type[models.Model], name: str) -> str:
        return qn(model._meta.get_field(name).column)

    user_pk, partner_pk = qn(user_model._meta.pk.column), qn(Partner._meta.pk.column)
    sql = (
        f"SELECT {columns} FROM {table[user_model]} u "
        f"LEFT JOIN {table[Membership]} m ON m.{column(Membership, 'user')} = u.{user_pk} "
        f"LEFT JOIN {table[Partner]} p ON p.{partner_pk} = m.{column(Membership, 'partner')} "
        f"LEFT JOIN {table[PartnerWeights]} w ON w.{column(PartnerWeights, 'partner')} = p.{partner_pk} "
        f"WHERE u.{user_pk} = %s"
    )  # noqa: S608 - names come from model metadata, the id is a parameter
    return sql, layout


def _instance(
    model: type[models.Model], fields: list[tuple[models.Field, Any, list[Any]]], values: list[Any]
) -> models.Model | None:
    """A model instance from its raw column values (converted as the ORM would), or ``None`` for an empty join."""
    if values[0] is None:  # the primary key of a LEFT JOIN that found nothing
        return None
    converted = []
    for (_, column, converters), value in zip(fields, values, strict=True):
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field, _, _ in fields], converted)


def load_member(user_id: Any) -> Any:
    """The user ``user_id`` with its membership, the membership's partner and the partner's weights cached on it
    (as ``select_related`` would leave them: ``user.membership`` raises ``DoesNotExist`` when there is none), in
    one statement; ``None`` when there is no such user."""
    from partners.models import Membership, PartnerWeights

    sql, layout = _member_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for model, fields in layout:
        instances.append(_instance(model, fields, list(row[start:start + len(fields)])))
        start += len(fields)
    user, membership, partner, weights = instances
    membership_rel = Membership._meta.get_field("user")
    membership_rel.remote_field.set_cached_value(user, membership)
    if membership is not None:
        membership_rel.set_cached_value(membership, user)
        Membership._meta.get_field("partner").set_cached_value(membership, partner)
        weights_rel = PartnerWeights._meta.get_field("partner")
        weights_rel.remote_field.set_cached_value(partner, weights)
        if weights is not None:
            weights_rel.set_cached_value(weights, partner)
    return user
