"""Admin for platform staff: partners with their users and grants, and the read-only audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext

from creators.models import Creator
from partners.models import (
    GRANT_LAST_DAY_HELP,
    AccessGrant,
    AuditEvent,
    Membership,
    Partner,
    PartnerWeights,
    Shortlist,
    ShortlistEntry,
    grant_end_from_last_day,
    grant_last_day,
)


class AccessGrantForm(forms.ModelForm):
    """A grant's end as people state it: the last day of access, inclusive (UTC), as ``partner_create --until``.

    The stored ``valid_until`` stays the exclusive end the access layer checks; ``grant_end_from_last_day`` is
    the one conversion. An end set elsewhere that is not a UTC midnight is kept as it is unless the day is edited.
    """

    last_day = forms.DateField(required=False, label="Last day", help_text=GRANT_LAST_DAY_HELP)

    class Meta:
        model = AccessGrant
        fields = ["partner", "performance", "commercial", "categories", "creators", "valid_from", "revoked_at", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.valid_until is not None:
            self.initial.setdefault("last_day", grant_last_day(self.instance.valid_until))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "last_day" in self.changed_data or self.instance.pk is None:
            last_day = cleaned.get("last_day")
            self.instance.valid_until = grant_end_from_last_day(last_day) if last_day else None
        valid_from = cleaned.get("valid_from")
        if valid_from and self.instance.valid_until and self.instance.valid_until <= valid_from:
            self.add_error("last_day", "The last day must be on or after the day the grant starts.")
        return cleaned


# One field per line in grant forms: two fields side by side run their help texts together.
GRANT_FIELDS = ("performance", "commercial", "categories", "creators", "valid_from", "last_day", "revoked_at", "note")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


class AccessGrantInline(admin.StackedInline):
    model = AccessGrant
    form = AccessGrantForm
    extra = 0
    # Autocomplete, not select boxes: there may be a million creators.
    autocomplete_fields = ["categories", "creators"]
    fields = GRANT_FIELDS


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [MembershipInline, AccessGrantInline]


@admin.action(description="Revoke the selected grants now")
def revoke_grants(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    message = ngettext("%(count)d grant revoked; it stops applying at its users' next request.",
                       "%(count)d grants revoked; they stop applying at their users' next request.", count)
    modeladmin.message_user(request, message % {"count": count}, messages.SUCCESS)


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    form = AccessGrantForm
    fields = ("partner", *GRANT_FIELDS)
    list_display = ["__str__", "partner", "performance", "commercial", "valid_from", "last_day", "revoked_at",
                    "current"]
    list_filter = ["performance", "commercial", "partner"]
    list_select_related = ["partner"]
    search_fields = ["partner__name", "note"]
    autocomplete_fields = ["partner", "categories", "creators"]
    actions = [revoke_grants]

    @admin.display(description="Last day (inclusive)", ordering="valid_until")
    def last_day(self, obj: AccessGrant) -> Any:
        return grant_last_day(obj.valid_until) if obj.valid_until else "open-ended"

    @admin.display(boolean=True, description="In force")
    def current(self, obj: AccessGrant) -> bool:
        return obj.is_current()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "partner", "role", "created_at"]
    list_filter = ["role", "partner"]
    list_select_related = ["user", "partner"]
    search_fields = ["user__username", "partner__name"]
    autocomplete_fields = ["user", "partner"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: staff can search and filter the trail, never add, change or delete an event."""

    list_display = ["created_at", "username", "partner_name", "action", "object_handle", "handle_exists",
                    "row_count", "outcome", "client_address"]
    list_filter = ["outcome", "action", "partner", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["username", "partner_name", "object_handle", "export_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> Any:
        # The partner's own trail records a hidden handle and a missing one alike (no existence oracle); staff
        # keep the truth here, computed on display (one indexed subquery per page, not stored in the event).
        creator_with_handle = Creator.objects.alias(handle_lower=Lower("handle")).filter(
            handle_lower=Lower(OuterRef("object_handle"))
        )
        return super().get_queryset(request).annotate(object_exists=Exists(creator_with_handle))

    @admin.display(description="handle exists", boolean=True)
    def handle_exists(self, obj: AuditEvent) -> bool | None:
        # ``object_exists`` is the annotation of get_queryset above.
        return getattr(obj, "object_exists", None) if obj.object_handle else None

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ShortlistEntryInline(admin.TabularInline):
    model = ShortlistEntry
    extra = 0
    autocomplete_fields = ["creator"]
    fields = ["creator", "note", "added_by", "added_at"]
    readonly_fields = ["added_by", "added_at"]


@admin.register(Shortlist)
class ShortlistAdmin(admin.ModelAdmin):
    list_display = ["name", "partner", "created_by", "updated_at"]
    list_filter = ["partner"]
    search_fields = ["name", "partner__name"]
    inlines = [ShortlistEntryInline]


@admin.register(PartnerWeights)
class PartnerWeightsAdmin(admin.ModelAdmin):
    list_display = ["partner", "collaboration", "care", "volume", "effectiveness", "sales", "consistency",
                    "updated_at"]
    autocomplete_fields = ["partner"]
    readonly_fields = ["updated_by", "updated_at"]


# Users: the stock admin plus the partner membership inline, so staff manage a partner user in one place.
User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


class UserMembershipInline(admin.StackedInline):
    model = Membership
    extra = 0
    max_num = 1
    can_delete = True
    autocomplete_fields = ["partner"]
    fields = ["partner", "role"]


@admin.register(User)
class PartnerUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, UserMembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "partner"]  # UserAdmin's + partner
    list_select_related = ["membership__partner"]

    @admin.display(description="Partner", ordering="membership__partner__name")
    def partner(self, obj: Any) -> str:
        membership = getattr(obj, "membership", None)
        return membership.partner.name if membership is not None else "—"
