"""Partners, their users, their access grants, their shortlists and own ranking, and the audit trail.

Who sees what is decided in one place, ``partners.access``, from these tables: a user's ``Membership`` names its
partner and role; the partner's current ``AccessGrant`` rows (their union) name the categories, the explicit
creators and the field tiers it may see. Nothing here is consulted by views directly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from partners import visibility
from partners.choices import DEFAULT_ALERT_THRESHOLD, AuditOutcome, EmailStatus, EntryStatus, ItemKind, Role
from scoring.catalogue import FIELDS_BY_NAME
from scoring.choices import INDEX_NAMES
from scoring.definitions import OVERALL_WEIGHTS

if TYPE_CHECKING:
    from partners.access import Access


class Partner(models.Model):
    """A brand partner: a company whose users see the creators its grants allow.

    ``is_active`` off suspends every user of the partner at their next request, whatever the grants say.
    """

    name = models.CharField(max_length=200, unique=True)
    is_active = models.BooleanField(default=True, help_text="Off: every user of this partner sees nothing.")
    notes = models.TextField(blank=True, help_text="Internal notes for platform staff; never shown to partners.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's membership of one partner (a user belongs to at most one partner) and its role."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    # The shortlist this user last added creators to: the scorecard's "Add to" starts on it. Read through the
    # partner's own shortlists only (a membership moved to another partner does not see the old one).
    last_shortlist = models.ForeignKey(
        "Shortlist", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner", "user"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner} ({self.role})"


class AccessGrantQuerySet(models.QuerySet):
    def current(self, *, at: Any = None) -> AccessGrantQuerySet:
        """Grants in force at ``at`` (default: now): started, not yet ended, not revoked, partner active."""
        at = at or timezone.now()
        return self.filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=at),
            valid_from__lte=at,
            revoked_at__isnull=True,
            partner__is_active=True,
        )


GRANT_LAST_DAY_HELP = "Last day of access, inclusive (UTC): the grant ends when that day ends. Empty: open-ended."


def grant_end_from_last_day(last_day: date) -> datetime:
    """The stored, exclusive ``valid_until`` of a grant whose last day of access is ``last_day`` (inclusive, UTC).

    The one conversion between what people type (the admin's "last day", ``partner_create --until``) and the
    half-open period the access layer checks: access ends at midnight UTC after the last day.
    """
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC)


def grant_last_day(valid_until: datetime) -> date:
    """The inclusive last day (UTC) of an exclusive ``valid_until``: the inverse of ``grant_end_from_last_day``.

    An end that is not a UTC midnight (set through the ORM) still has access on part of that day, so it is that
    day; a midnight end's last day is the day before.
    """
    return (valid_until.astimezone(UTC) - timedelta(microseconds=1)).date()


class AccessGrant(models.Model):
    """What a partner may see: categories and/or explicit creators, plus field tiers, for a period.

    A creator is covered when its primary category or any of its categories is granted, or when it is listed
    explicitly. The ``profile`` tier is always included; ``performance`` and ``commercial`` are granted here.
    A partner may hold several grants: the union of the current ones applies. The period is half-open,
    ``valid_from <= now < valid_until`` (no end when ``valid_until`` is empty); ``revoked_at`` ends it at once.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="grants")
    categories = models.ManyToManyField("creators.Category", blank=True, related_name="access_grants")
    creators = models.ManyToManyField("creators.Creator", blank=True, related_name="access_grants")
    performance = models.BooleanField(default=True, help_text="Volume, effectiveness, consistency, impact, overall.")
    commercial = models.BooleanField(
        default=False, help_text="Most confidential: collaboration, care, sales, GMV, orders, GPM and their metrics."
    )
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True, help_text="Exclusive end; empty means open-ended.")
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="Set to end the grant immediately.")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        ordering = ["partner", "-valid_from"]
        indexes = [models.Index(fields=["partner", "valid_from"], name="grant_partner_from")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=models.F("valid_from")),
                name="grant_period_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"Grant {self.pk} for {self.partner}"

    def is_current(self, *, at: Any = None) -> bool:
        at = at or timezone.now()
        return (
            self.revoked_at is None
            and self.valid_from <= at
            and (self.valid_until is None or at < self.valid_until)
            and self.partner.is_active
        )


class AuditEventQuerySet(models.QuerySet):
    """Audit events cannot be changed or deleted through the ORM's bulk paths either.

    The one allowed bulk change is detaching a deleted user or partner (``on_delete=SET_NULL``): the text copies
    keep the record readable. Retention pruning goes through ``partners.audit.audit_prune``.
    """

    def visible_to(self, access: Access) -> AuditEventQuerySet:
        """The partner's own trail, for its managers (``access.can_see_audit``); nothing for anyone else."""
        if not access.can_see_audit:
            return self.none()
        return self.filter(partner_id=access.partner_id)

    def update(self, **kwargs: Any) -> int:
        if set(kwargs) <= {"user", "partner", "user_id", "partner_id"} and all(v is None for v in kwargs.values()):
            return super().update(**kwargs)
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only; use partners.audit.audit_prune for retention.")


class AuditEvent(models.Model):
    """One append-only record of something a partner user saw, exported or was refused.

    Foreign keys are ``SET_NULL`` with text copies (``username``, ``partner_name``) so that the record survives
    the deletion of its user or partner. The creator is kept as its handle only (no foreign key): a creator who is
    forgotten leaves nothing but that text here.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    username = models.CharField(max_length=150, blank=True)
    partner = models.ForeignKey(
        Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    partner_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40)
    object_handle = models.TextField(blank=True)
    filters = models.JSONField(default=dict, blank=True)
    row_count = models.BigIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=AuditOutcome.choices, default=AuditOutcome.OK)
    export_id = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=500, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "-created_at"], name="audit_partner_time"),
            # The export quota sums a user's export rows of the current UTC day.
            models.Index(fields=["user", "action", "created_at"], name="audit_user_action_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


class ShortlistQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> ShortlistQuerySet:
        """The partner's own shortlists (every role); nothing without access."""
        if not access.is_partner:
            return self.none()
        return self.filter(partner_id=access.partner_id)


class ShortlistEntryQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> ShortlistEntryQuerySet:
        """Entries of the partner's own shortlists whose creator it can still see (a creator that left the
        grant stays stored but is not shown)."""
        if not access.is_partner:
            return self.none()
        return self.filter(visibility.creator_q(access, path="creator"), shortlist__partner_id=access.partner_id)


class Shortlist(models.Model):
    """A partner-owned, named list of creators, shared by all the partner's users."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="shortlists")
    name = models.CharField(max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShortlistQuerySet.as_manager()

    class Meta:
        ordering = ["partner", "name"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="shortlist_partner_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.partner})"


class ShortlistEntry(models.Model):
    """A creator on a shortlist, with where it stands in the campaign (``status``) and the partner's note.

    Entries are read through the access layer: a creator who left the partner's grant stays in the table but is
    not shown until the grant covers it again.
    """

    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="entries")
    creator = models.ForeignKey("creators.Creator", on_delete=models.CASCADE, related_name="shortlist_entries")
    status = models.CharField(max_length=12, choices=EntryStatus.choices, default=EntryStatus.TO_CONTACT)
    note = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    objects = ShortlistEntryQuerySet.as_manager()

    class Meta:
        ordering = ["shortlist", "-added_at"]
        verbose_name_plural = "shortlist entries"
        constraints = [
            models.UniqueConstraint(fields=["shortlist", "creator"], name="shortlist_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} on {self.shortlist_id}"


# The platform's overall weights (DESIGN section 5, one constant: ``scoring.definitions.OVERALL_WEIGHTS``): the
# starting point of a partner's own ranking.
DEFAULT_WEIGHTS: dict[str, float] = OVERALL_WEIGHTS
assert tuple(DEFAULT_WEIGHTS) == INDEX_NAMES


def _weight_field(name: str) -> models.FloatField:
    return models.FloatField(
        default=DEFAULT_WEIGHTS[name], validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )


class PartnerWeights(models.Model):
    """A partner's own weighting of the six indices, for its "own ranking" (``partner_score``).

    Only the indices the partner can see take part (``creators.selectors.creator_list`` renormalises over the
    visible, present ones), so a weight on a hidden index has no effect and reveals nothing.
    """

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="weights")
    collaboration = _weight_field("collaboration")
    care = _weight_field("care")
    volume = _weight_field("volume")
    effectiveness = _weight_field("effectiveness")
    sales = _weight_field("sales")
    consistency = _weight_field("consistency")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "partner weights"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    collaboration__gte=0, care__gte=0, volume__gte=0, effectiveness__gte=0, sales__gte=0,
                    consistency__gte=0,
                ),
                name="partner_weights_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Weights of {self.partner}"

    def as_dict(self) -> dict[str, float]:
        """The weights keyed by index name, in ``scoring.choices.INDEX_NAMES`` order."""
        return {name: float(getattr(self, name)) for name in INDEX_NAMES}


class SavedSearchQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> SavedSearchQuerySet:
        """The user's own saved searches and those its partner's users have shared; nothing without access.

        A search belongs to the partner it was saved in: a user who moves to another partner does not take its
        searches along (they are not shown there, nor to the new partner).
        """
        if not access.is_partner or access.user is None:
            return self.none()
        return self.filter(
            models.Q(created_by_id=access.user.pk) | models.Q(shared=True), partner_id=access.partner_id
        )


class SavedSearch(models.Model):
    """A named set of the creator list's query parameters (filters and ordering), kept by one partner user.

    ``filters`` holds the parameters as the list takes them (``{"category": "beauty", "overall_min": "60",
    "ordering": "-overall"}``), validated by ``creators.filtersets.CreatorFilterSet`` when saved and again
    whenever the search is used (``partners.saved_searches``): a filter the partner can no longer use (a tier
    lost with a grant) is removed then, and named in ``dropped_filters`` so that the pages and the API can say
    so. Private to its creator unless ``shared`` with the partner's other users, who may read, open and subscribe
    to it but not change it. ``subscribers`` receive the alerts digest of its new matches.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="saved_searches")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=120)
    filters = models.JSONField(default=dict, blank=True)
    shared = models.BooleanField(default=False, help_text="Shown to every user of the partner (read-only for them).")
    # Each entry: {"name": parameter, "value": what it was, "reason": the list's message}; see partners.saved_searches.
    dropped_filters = models.JSONField(default=list, blank=True)
    subscribers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="subscribed_searches")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        ordering = ["partner", "name", "id"]
        verbose_name_plural = "saved searches"
        constraints = [
            # One name per user and partner, whatever the case ("Top beauty" and "top beauty" would be confused).
            models.UniqueConstraint(
                Lower("name"), "partner", "created_by", name="saved_search_owner_name_unique"
            ),
        ]
        indexes = [models.Index(fields=["partner", "shared"], name="saved_search_partner_shared")]

    def __str__(self) -> str:
        return f"{self.name} ({self.partner})"


class SavedSearchSeen(models.Model):
    """What one user had seen of a saved search when it last opened it: the published run of that moment.

    "New since last seen" are the creators that match the search now and did not match it in that run
    (``partners.saved_searches.new_matches``). One row per user and search (a shared search has one per reader).
    A run deleted by retention leaves ``run`` empty: nothing is then counted as new until the next opening.
    """

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="seen_by")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey("scoring.ScoringRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["search", "user"], name="saved_search_seen_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.search_id} at run {self.run_id}"


class FollowQuerySet(models.QuerySet["Follow"]):
    def visible_to(self, access: Access) -> FollowQuerySet:
        """The user's own follows of creators it can see now (a creator that left the grant stays stored but is
        not shown, and is in no digest, until the grant covers it again)."""
        if not access.is_partner:
            return self.none()
        return self.filter(visibility.creator_q(access, path="creator"), user_id=access.user.pk)


class Follow(models.Model):
    """A user follows a creator: the creator's moves come in the user's digest while the user can see it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    creator = models.ForeignKey("creators.Creator", on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FollowQuerySet.as_manager()

    class Meta:
        ordering = ["user", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "creator"], name="follow_user_creator_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.creator_id}"


class AlertSettings(models.Model):
    """A user's digest settings: the move in points worth an alert, and whether the digest is also emailed.

    A user without a row has the defaults (``DEFAULT_ALERT_THRESHOLD``, emails on).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_settings")
    threshold = models.PositiveSmallIntegerField(
        default=DEFAULT_ALERT_THRESHOLD,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Points (0-100 scale): a followed creator's index that moves by at least this much is an alert.",
    )
    email_digest = models.BooleanField(default=True, help_text="Off: the digest is shown in the product only.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "alert settings"

    def __str__(self) -> str:
        return f"Alert settings of {self.user_id}"


class DigestRun(models.Model):
    """The digest of one published run: started, then finished once every user's digest was built and sent.

    The beat task looks for a published run without a finished one; a second execution finds it and does nothing.
    """

    run = models.OneToOneField("scoring.ScoringRun", on_delete=models.CASCADE, related_name="digest")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    users = models.PositiveIntegerField(default=0, help_text="Users with follows or subscriptions looked at.")
    notifications = models.PositiveIntegerField(default=0)
    emails = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Digest of run {self.run_id}"


class Notification(models.Model):
    """One user's digest of one published run (its lines are ``NotificationItem`` rows).

    Unique per (user, run): a second execution of the digest, or a redelivered task, writes and sends nothing.
    The email is claimed (``pending`` to ``sending``) by one process before it is sent. Read through the access
    layer: only lines about creators and indices the user can see now are shown.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # SET_NULL: pruning old runs keeps the user's history (the as-of date is copied).
    run = models.ForeignKey("scoring.ScoringRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    as_of = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=8, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "run"], name="notification_user_run_unique")]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_time"),
            models.Index(fields=["run", "email_status"], name="notification_run_email"),
        ]

    def __str__(self) -> str:
        return f"Digest of {self.as_of} for {self.user_id}"


class NotificationItemQuerySet(models.QuerySet["NotificationItem"]):
    def visible_to(self, access: Access) -> NotificationItemQuerySet:
        """Lines of the user's own digests about creators it can see now, on indices it can see now (a line on
        a hidden index or a creator that left the grant is never shown, whatever it was when it was sent)."""
        if not access.is_partner:
            return self.none()
        return self.filter(
            visibility.creator_q(access, path="creator"),
            models.Q(index="") | models.Q(index__in=access.visible_indices),
            notification__user_id=access.user.pk,
        )


class NotificationItem(models.Model):
    """One line of a digest: a followed creator's move on one index (value now, change in points), or a creator
    new to a subscribed saved search (``search_name``)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    # The creator, not a copy of its handle: forgetting a creator (creators.privacy) removes its lines.
    creator = models.ForeignKey("creators.Creator", on_delete=models.CASCADE, related_name="+")
    # A move's index (``overall``, ``care``...); empty for a new match.
    index = models.CharField(max_length=20, blank=True)
    value = models.FloatField(null=True, blank=True)
    change = models.FloatField(null=True, blank=True)
    # A new match's search (its name is kept should the search be deleted).
    search = models.ForeignKey("SavedSearch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    search_name = models.CharField(max_length=120, blank=True)

    objects = NotificationItemQuerySet.as_manager()

    class Meta:
        ordering = ["notification", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.creator_id} {self.index}"

    @property
    def index_label(self) -> str:
        """The index's label as every page shows it (the catalogue's)."""
        spec = FIELDS_BY_NAME.get(self.index)
        return spec.label if spec is not None else self.index
