"""The one door to the data: who is asking, and what may they see.

Every partner-facing read starts here. ``access_for_request(request)`` turns the logged-in user of a request into
an immutable :class:`Access` (built once per request, never from a request parameter, never cached across
requests: an expired or revoked grant takes effect on the very next request). Querysets take that object:

    access = access_for_request(request)
    Creator.objects.visible_to(access)          # creators the partner may see (else .none())
    Category.objects.visible_to(access)         # categories it may filter on
    Scorecard.objects.visible_to(access)        # published run only, visible creators
    CategoryImpact.objects.visible_to(access)   # published run, visible creators and categories
    visible_fields(access)                      # the catalogue fields (columns) it may see

Deny by default: an anonymous user, a user without membership, a member of an inactive partner or of a partner
without a current grant, and staff without membership all get an ``Access`` that sees nothing (``is_partner``
false, no tiers, no fields). Staff are not partners: they work in the admin.

Views do not call this module directly: ``partners.views.PartnerAccessMixin`` (HTML) and
``partners.api.PartnerViewSetBase`` (DRF) do, and expose the result as ``self.access``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, F, IntegerField, Value
from django.http import HttpRequest

from partners.choices import API_ROLES, AUDIT_ROLES, EXPORT_ROLES
from scoring.catalogue import FILTERABLE_INDICES, FieldSpec, Tier, fields_for_tiers

if TYPE_CHECKING:
    from partners.models import Partner

_REQUEST_ATTR = "_partner_access"


@dataclass(frozen=True)
class Access:
    """What one user may see during one request. Immutable; build it with :func:`access_for_user`.

    ``tiers`` holds ``profile`` plus the granted tiers (empty when the user sees nothing). ``category_ids`` and
    ``creator_ids`` are the union over the partner's current grants; ``weights`` is the partner's own ranking
    (index name to weight) or ``None`` when it has not set one.
    """

    user: Any = None
    partner: Partner | None = None
    role: str | None = None
    tiers: frozenset[Tier] = frozenset()
    category_ids: frozenset[int] = frozenset()
    creator_ids: frozenset[int] = frozenset()
    grant_ids: frozenset[int] = frozenset()
    weights: tuple[tuple[str, float], ...] | None = field(default=None)

    @property
    def is_partner(self) -> bool:
        """True when the user belongs to an active partner that holds at least one current grant."""
        return self.partner is not None and bool(self.grant_ids)

    @property
    def is_member(self) -> bool:
        """True when the user belongs to a partner, whether or not it currently holds a grant."""
        return self.partner is not None

    @property
    def partner_id(self) -> int | None:
        return self.partner.pk if self.partner is not None else None

    @property
    def can_export(self) -> bool:
        return self.is_partner and self.role in EXPORT_ROLES

    @property
    def can_use_api(self) -> bool:
        return self.is_partner and self.role in API_ROLES

    @property
    def can_see_audit(self) -> bool:
        return self.is_partner and self.role in AUDIT_ROLES

    def has_tier(self, tier: Tier | str) -> bool:
        return self.is_partner and Tier(tier) in self.tiers

    @property
    def visible_field_names(self) -> frozenset[str]:
        return frozenset(spec.name for spec in visible_fields(self))

    @property
    def visible_indices(self) -> tuple[str, ...]:
        """The filterable/sortable indices this access may see, in catalogue display order."""
        names = self.visible_field_names
        return tuple(name for name in FILTERABLE_INDICES if name in names)

    @property
    def weights_dict(self) -> dict[str, float] | None:
        return dict(self.weights) if self.weights is not None else None


def no_access(user: Any = None) -> Access:
    """An access that sees nothing (deny by default)."""
    return Access(user=user)


def access_for_user(user: Any) -> Access:
    """Build the access of ``user`` from its membership and its partner's current grants (two small queries: the
    membership with its partner and weights, then the current grants with their categories and creators; one
    when the session user came with its membership, see ``partners.backends.MemberBackend``)."""
    # Imported here: this module is imported by model modules (querysets) and must not import models at load time.
    from partners.models import AccessGrant, Membership, PartnerWeights

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return no_access(user)
    membership = _membership(user, Membership)
    if membership is None or not membership.partner.is_active:
        # Staff without membership land here too: staff are not partners.
        return no_access(user)
    partner = membership.partner
    grants, category_ids, creator_ids = _current_grants(AccessGrant, partner.pk)
    if not grants:
        return Access(user=user, partner=partner, role=membership.role)
    grant_ids = frozenset(g[0] for g in grants)
    tiers = {Tier.PROFILE}
    if any(g[1] for g in grants):
        tiers.add(Tier.PERFORMANCE)
    if any(g[2] for g in grants):
        tiers.add(Tier.COMMERCIAL)
    try:
        # Loaded by the select_related above: no query.
        weights: tuple[tuple[str, float], ...] | None = tuple(partner.weights.as_dict().items())
    except PartnerWeights.DoesNotExist:
        weights = None
    return Access(
        user=user,
        partner=partner,
        role=membership.role,
        tiers=frozenset(tiers),
        category_ids=frozenset(category_ids),
        creator_ids=frozenset(creator_ids),
        grant_ids=grant_ids,
        weights=weights,
    )


def _membership(user: Any, membership_model: Any) -> Any:
    """The user's membership with its partner and the partner's weights, or ``None``.

    A user loaded by ``partners.backends.MemberBackend`` (the session user of this request) brought them along in
    its own query; any other user object (a token's user, one built by a test) is asked here, because a relation
    cached on it earlier could be out of date.
    """
    from partners.backends import MEMBERSHIP_LOADED_ATTR

    if getattr(user, MEMBERSHIP_LOADED_ATTR, False):
        try:
            return user.membership
        except membership_model.DoesNotExist:
            return None
    return membership_model.objects.select_related("partner", "partner__weights").filter(user_id=user.pk).first()


# Row kinds of _current_grants' UNION ALL.
_GRANT, _GRANT_CATEGORY, _GRANT_CREATOR = 0, 1, 2


def _current_grants(grant_model: Any, partner_id: int) -> tuple[list[tuple[int, bool, bool]], set[int], set[int]]:
    """The partner's current grants as ``(id, performance, commercial)``, and the category and creator ids they
    cover, in one round trip (this runs on every partner request): the grants of
    ``AccessGrantQuerySet.current()``, the one definition of a current grant, and their category and creator
    links, as one ``UNION ALL`` of three querysets."""
    current = grant_model.objects.filter(partner_id=partner_id).current().order_by()
    no_flag = Value(None, output_field=BooleanField())

    def links(through: Any, column: str, kind: int) -> Any:
        return (
            through.objects.filter(accessgrant__in=current.values("pk"))
            .annotate(performance_=no_flag, commercial_=no_flag, kind=Value(kind), ref=F(column))
            .values_list("accessgrant_id", "performance_", "commercial_", "kind", "ref")
            .order_by()
        )

    grant_rows = current.annotate(kind=Value(_GRANT), ref=Value(None, output_field=IntegerField())).values_list(
        "pk", "performance", "commercial", "kind", "ref"
    )
    rows = grant_rows.union(
        links(grant_model.categories.through, "category_id", _GRANT_CATEGORY),
        links(grant_model.creators.through, "creator_id", _GRANT_CREATOR),
        all=True,
    )
    grants: list[tuple[int, bool, bool]] = []
    category_ids: set[int] = set()
    creator_ids: set[int] = set()
    for grant_id, performance, commercial, kind, ref in rows:
        if kind == _GRANT:
            grants.append((grant_id, bool(performance), bool(commercial)))
        elif kind == _GRANT_CATEGORY:
            category_ids.add(ref)
        else:
            creator_ids.add(ref)
    return grants, category_ids, creator_ids


def access_for_request(request: HttpRequest | Any) -> Access:
    """The access of the request's logged-in user, built once per request and cached on the request object.

    Works for Django's ``HttpRequest`` and DRF's ``Request`` (whose ``user`` may come from a token). The partner
    always comes from the user: request parameters such as ``?partner=`` are never consulted.
    """
    user = getattr(request, "user", None)
    cached = getattr(request, _REQUEST_ATTR, None)
    if isinstance(cached, Access) and cached.user is user:
        return cached
    access = access_for_user(user)
    # On the underlying HttpRequest for DRF's Request too (reads fall through to it), so that the request's log
    # lines (config.logging) can name the partner of API calls without a query of their own.
    setattr(getattr(request, "_request", request), _REQUEST_ATTR, access)
    return access


def visible_fields(access: Access) -> tuple[FieldSpec, ...]:
    """The catalogue fields this access may see, in catalogue order: the one column list of every output.

    Serializers, templates, chart payloads and CSV writers take their columns from here and nowhere else.
    Nothing at all (not even the profile) for an access that sees no creators.
    """
    if not access.is_partner:
        return ()
    return fields_for_tiers(access.tiers)
