"""Admin for platform staff: partners with their users and grants, and the read-only audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from partners.models import AccessGrant, AuditEvent, Membership, Partner, PartnerWeights, Shortlist, ShortlistEntry


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


class AccessGrantInline(admin.StackedInline):
    model = AccessGrant
    extra = 0
    # Autocomplete, not select boxes: there may be a million creators.
    autocomplete_fields = ["categories", "creators"]
    fields = [
        ("performance", "commercial"), "categories", "creators", ("valid_from", "valid_until", "revoked_at"), "note",
    ]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [MembershipInline, AccessGrantInline]


@admin.action(description="Revoke the selected grants now")
def revoke_grants(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    modeladmin.message_user(request, f"{count} grant(s) revoked; they stop applying at the users' next request.",
                            messages.SUCCESS)


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "partner", "performance", "commercial", "valid_from", "valid_until", "revoked_at",
                    "current"]
    list_filter = ["performance", "commercial", "partner"]
    list_select_related = ["partner"]
    search_fields = ["partner__name", "note"]
    autocomplete_fields = ["partner", "categories", "creators"]
    actions = [revoke_grants]

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

    list_display = ["created_at", "username", "partner_name", "action", "object_handle", "row_count", "outcome",
                    "client_address"]
    list_filter = ["outcome", "action", "partner", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["username", "partner_name", "object_handle", "export_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    list_per_page = 100

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
