"""The DRF base class of every partner endpoint: ``PartnerViewSetBase``.

Build every partner viewset on it::

    class CreatorViewSet(PartnerViewSetBase, mixins.ListModelMixin, mixins.RetrieveModelMixin):
        filterset_class = CreatorFilterSet            # DjangoFilterBackend passes the request: 400 on errors
        audit_action = AuditAction.CREATOR_LIST

        def get_queryset(self):
            return creator_list(access=self.access)   # the restricted list; never Model.objects.all()

        def retrieve(self, request, handle=None):
            creator = self.get_creator_or_404(handle)   # 404 + denied event when not visible
            self.audit_object_handle = creator.handle

For a model with a ``visible_to(access)`` queryset method, set ``queryset = Model.objects.all()`` and the base
``get_queryset`` restricts it. Authentication is the project's (session or token); the permission requires a
partner user whose role may use the API (analyst, manager). Every call, allowed or denied, of an authenticated
user is one audit event (``audit_action`` or ``api.<action>``), with the row count of paginated lists; every
response carries ``Cache-Control: no-store``. An ``ExportQuotaExceeded`` from
``partners.services.export_quota_consume`` becomes a 429 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.cache import add_never_cache_headers
from rest_framework import permissions, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from creators.models import Creator
from partners.access import Access, access_for_request
from partners.audit import AUDITED_ATTR, audit_record
from partners.choices import AuditOutcome
from partners.services import ExportQuotaExceeded
from partners.views import creator_visible_or_404


class IsPartnerAPIUser(permissions.BasePermission):
    """An authenticated member of a partner with a current grant and a role allowed to use the API."""

    message = "Your account has no API access."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and access_for_request(request).can_use_api)


class IsAPIUserOrStaff(permissions.BasePermission):
    """Staff, or a partner user allowed to use the API: who may read the OpenAPI schema and its Swagger page.

    A viewer or a user without a partner gets 403 (anonymous: 401); the schema names every field of every tier,
    so it is for the people who call the API.
    """

    message = "Your account has no API access."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return bool(user.is_staff or access_for_request(request).can_use_api)


class PartnerViewSetBase(viewsets.GenericViewSet):
    """Access, restriction, audit and no-store for partner endpoints (see the module docstring)."""

    permission_classes = [permissions.IsAuthenticated, IsPartnerAPIUser]
    audit_action: str | None = None
    audit_object_handle: str | None = None
    audit_row_count: int | None = None
    access: Access

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Built before authentication runs would see an anonymous user: set it after, from the real user.
        super().initial(request, *args, **kwargs)
        self.access = access_for_request(request)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ExportQuotaExceeded):
            # export_quota_consume has recorded the denied attempt.
            response = Response({"detail": str(exc)}, status=429)
            response["Retry-After"] = str(exc.status.retry_after_seconds)
            return response
        return super().handle_exception(exc)

    def get_queryset(self) -> models.QuerySet:
        queryset = super().get_queryset()
        # Every model served through this base has a ``visible_to(access)`` queryset method (module docstring).
        return queryset.visible_to(self.access)  # type: ignore[attr-defined]

    def reject_params_except(self, request: Request, known: Iterable[str]) -> None:
        """Any query parameter but ``known`` (and DRF's ``format``) is a 400 naming it (DESIGN 7): a typo such as
        ``overall_minn=3`` must not answer as if nothing had been asked."""
        allowed = {*known, "format"}
        unknown = sorted(name for name in request.query_params if name not in allowed)
        if unknown:
            raise ValidationError({name: [f"Unknown parameter: {name}."] for name in unknown})

    def get_creator_or_404(self, handle: str) -> Creator:
        """The visible creator with this handle, else 404 (one denied event for an existing invisible one)."""
        return creator_visible_or_404(access=self.access, request=self.request, handle=handle)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        user = getattr(request, "user", None)
        # One event per call: none here when the view (a denied lookup, an export) has recorded one already.
        if user is not None and user.is_authenticated and not getattr(request, AUDITED_ATTR, False):
            self._audit_call(request, response)
        return response

    def _audit_call(self, request: Request, response: Response) -> None:
        status = response.status_code
        if status < 400:
            outcome = AuditOutcome.OK
        elif status in (401, 403, 404, 429):
            outcome = AuditOutcome.DENIED
        else:
            outcome = AuditOutcome.ERROR
        row_count = self.audit_row_count
        data = getattr(response, "data", None)
        if row_count is None and status < 400 and isinstance(data, dict) and isinstance(data.get("count"), int):
            row_count = data["count"]
        handle = self.audit_object_handle
        if handle is None:
            handle = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field) if hasattr(self, "kwargs") else None
        audit_record(
            access=getattr(self, "access", None) or access_for_request(request),
            request=request,
            action=self.audit_action or f"api.{getattr(self, 'action', None) or (request.method or '').lower()}",
            object_handle=str(handle)[:200] if handle else None,
            row_count=row_count,
            outcome=outcome,
        )
