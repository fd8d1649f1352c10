"""The HTML base class of every partner page: ``PartnerAccessMixin``.

Build every partner-facing view on it (first in the bases)::

    class CreatorListView(PartnerAccessMixin, TemplateView):
        audit_action = AuditAction.CREATOR_LIST          # one audit event per successful GET

        def get_context_data(self, **kwargs):
            rows = CreatorFilterSet(self.request.GET, queryset=creator_list(access=self.access),
                                    access=self.access).qs
            self.audit_row_count = ...                   # optional, recorded in the event
            fields = visible_fields(self.access)          # the only column list

    class CreatorDetailView(PartnerAccessMixin, TemplateView):
        audit_action = AuditAction.CREATOR_VIEW

        def get_context_data(self, **kwargs):
            creator = self.get_creator_or_404(self.kwargs["handle"])   # 404 + denied event if not visible

It requires login (redirect to the login page), builds ``self.access`` from the logged-in user (never from a
parameter), answers 404 to users who see nothing (no membership, no current grant, staff) and to roles that
lack ``required_capability``, sends ``Cache-Control: no-store``, and records one audit event per request that
names an ``audit_action`` (or whatever the view records itself through ``self.audit(...)``). An
``ExportQuotaExceeded`` raised by ``partners.services.export_quota_consume`` becomes a 429 page.
"""

from __future__ import annotations

from typing import Any, Literal

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme

from creators.models import Creator
from partners.access import Access, access_for_request
from partners.audit import AUDITED_ATTR, audit_record
from partners.choices import AuditAction, AuditOutcome
from partners.models import AuditEvent
from partners.services import ExportQuotaExceeded

Capability = Literal["export", "api", "audit"]



def safe_next(request: HttpRequest, fallback: str) -> str:
    """The posted (or queried) ``next`` when it is a path of this site, else ``fallback``: where a dashboard form
    returns after its action (shortlist, follow), never to another host."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback

class PartnerAccessMixin(LoginRequiredMixin):
    """Login required; ``self.access``; 404 without access; audit; ``Cache-Control: no-store``.

    Class attributes:
    - ``audit_action``: when set, a successful (2xx) response records one event with ``audit_object_handle``
      and ``audit_row_count`` (set them in the view; ``audit_outcome`` too when part of the request was refused,
      as a compare naming a handle that is not visible), unless an event was already recorded for the request
      (``self.audit(...)``, ``export_quota_consume``...).
    - ``required_capability``: ``"export"``, ``"api"`` or ``"audit"`` (manager trail): others get 404.
    """

    audit_action: str | None = None
    required_capability: Capability | None = None
    access: Access
    request: HttpRequest  # set by View.setup()
    audit_object_handle: str | None = None
    audit_row_count: int | None = None
    audit_outcome: str = AuditOutcome.OK

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.access = access_for_request(request)
        if not self.access.is_partner or not self._has_capability():
            self.audit(action=AuditAction.ACCESS_DENIED, outcome=AuditOutcome.DENIED)
            raise Http404("Not found")
        try:
            response = super().dispatch(request, *args, **kwargs)
        except ExportQuotaExceeded as exc:
            # export_quota_consume has recorded the denied attempt.
            response = render(request, "partners/export_quota_exceeded.html", {"status": exc.status}, status=429)
            response["Retry-After"] = str(exc.status.retry_after_seconds)
        already_audited = getattr(request, AUDITED_ATTR, False)
        # A page answered 400 (a filter or page number that is not one) still showed rows: recorded, as an error.
        shown = 200 <= response.status_code < 300 or response.status_code == 400
        if self.audit_action and not already_audited and shown:
            self.audit(
                action=self.audit_action,
                object_handle=self.audit_object_handle,
                row_count=self.audit_row_count,
                outcome=self.audit_outcome if response.status_code < 300 else AuditOutcome.ERROR,
            )
        add_never_cache_headers(response)
        return response

    def _has_capability(self) -> bool:
        capability = self.required_capability
        if capability is None:
            return True
        return {
            "export": self.access.can_export,
            "api": self.access.can_use_api,
            "audit": self.access.can_see_audit,
        }[capability]

    def audit(
        self,
        *,
        action: str,
        object_handle: str | None = None,
        filters: dict[str, Any] | None = None,
        row_count: int | None = None,
        outcome: str = AuditOutcome.OK,
        export_id: str | None = None,
    ) -> AuditEvent:
        """Record an event for this request (filters default to the query parameters)."""
        return audit_record(
            access=self.access,
            request=self.request,
            action=action,
            object_handle=object_handle,
            filters=filters,
            row_count=row_count,
            outcome=outcome,
            export_id=export_id,
        )

    def get_creator_or_404(self, handle: str) -> Creator:
        """The visible creator with this handle (case-insensitive), else 404.

        A handle that exists but is outside the grant answers exactly like one that does not exist, and is
        recorded the same way, as a denied attempt.
        """
        return creator_visible_or_404(access=self.access, request=self.request, handle=handle)


def creator_visible_or_404(*, access: Access, request: Any, handle: str) -> Creator:
    """Shared by the HTML mixin and the API base: visible creator by handle, or a denied event and 404.

    A handle outside the grant and a handle that does not exist are recorded alike (a denied ``creator.view``
    naming the handle asked for) and cost the same queries: the partner's audit trail cannot tell them apart
    (no existence oracle). Staff see whether the handle exists in the admin's audit list.
    """
    # The primary category comes along: every scorecard shows it (one query instead of two).
    creator = Creator.objects.visible_to(access).by_handle(handle).select_related("primary_category").first()
    if creator is not None:
        return creator
    audit_record(
        access=access, request=request, action=AuditAction.CREATOR_VIEW, object_handle=handle[:200],
        outcome=AuditOutcome.DENIED,
    )
    raise Http404("Not found")
