"""Partner dashboard pages outside the creator list and the shortlists (``partners.views_shortlists``):
methodology with the partner's own weights, and the manager pages (users, audit trail).

All of them are built on ``PartnerAccessMixin``; everything partner-owned is looked up *through the request's
partner*.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from creators.pagination import keyset_page
from partners.choices import AUDIT_ACTION_LABELS, AuditAction, AuditOutcome
from partners.forms_dashboard import AuditFilterForm, PartnerWeightsForm
from partners.models import AuditEvent, Membership, PartnerWeights
from partners.views import PartnerAccessMixin

AUDIT_PAGE_SIZE = 50


class MethodologyView(PartnerAccessMixin, TemplateView):
    """``/methodology/``: the methodology for the partner's tiers; managers set the partner's own weights here."""

    template_name = "partners/methodology.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from scoring.methodology import methodology_markdown

        context = super().get_context_data(**kwargs)
        weights = self.access.weights_dict
        form = kwargs.get("form") or PartnerWeightsForm(access=self.access, initial_weights=weights)
        context.update(
            nav_section="methodology",
            # Rendered by the template's ``markdown`` filter.
            methodology_markdown=methodology_markdown(tiers=self.access.tiers, heading=False),
            can_set_weights=self.access.can_see_audit,
            weights_form=form,
            has_weights=weights is not None,
            # "Our score" is told only where it can exist: indices to weigh, and either own weights already or
            # a manager who can set them (a viewer of a partner without weights reads nothing about it).
            show_own_ranking=bool(form.visible_indices) and (self.access.can_see_audit or weights is not None),
            shows_overall="overall" in self.access.visible_field_names,
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.access.can_see_audit:  # managers only; same answer as a page that does not exist
            self.audit(action=AuditAction.WEIGHTS_CHANGE, outcome=AuditOutcome.DENIED)
            raise Http404("Not found")
        if request.POST.get("action") == "reset":
            PartnerWeights.objects.filter(partner=self.access.partner).delete()
            self.audit(action=AuditAction.WEIGHTS_CHANGE, filters={"reset": True})
            messages.success(request, "Your own ranking was removed; lists sort by the standard overall score.")
            return redirect("methodology")
        weights_before = self.access.weights_dict
        form = PartnerWeightsForm(request.POST, access=self.access, initial_weights=weights_before)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        submitted = form.weights()
        obj, _ = PartnerWeights.objects.get_or_create(partner=self.access.partner)
        for name, value in submitted.items():
            setattr(obj, name, value)
        obj.updated_by = self.access.user
        obj.full_clean(exclude=["partner"])
        obj.save()
        self.audit(action=AuditAction.WEIGHTS_CHANGE, filters={"weights": submitted})
        messages.success(request, "Your own ranking was saved. Sort the creator list by “Our score” to use it.")
        return redirect("methodology")


class PartnerUsersView(PartnerAccessMixin, TemplateView):
    """``/partner/users/``: the partner's users and their roles (managers)."""

    template_name = "partners/users.html"
    required_capability = "audit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        members = (
            Membership.objects.filter(partner=self.access.partner)
            .select_related("user")
            .order_by("role", "user__username")
        )
        context.update(nav_section="users", members=members)
        return context


class PartnerAuditView(PartnerAccessMixin, TemplateView):
    """``/partner/audit/``: the partner's own audit trail, newest first, keyset-paged (managers)."""

    template_name = "partners/audit.html"
    required_capability = "audit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        events = AuditEvent.objects.filter(partner=self.access.partner)
        # Django's form fields clean the filters (a NUL byte or an overlong value is no filter to apply).
        filters = AuditFilterForm(self.request.GET)
        cleaned = filters.cleaned_data if filters.is_valid() else {}
        action, outcome, username = (cleaned.get(name, "") for name in ("action", "outcome", "user"))
        if action:
            events = events.filter(action=action)
        if outcome:
            events = events.filter(outcome=outcome)
        if username:
            events = events.filter(username=username)
        page = keyset_page(
            events.order_by("-created_at", "-id"),
            page_size=AUDIT_PAGE_SIZE,
            cursor=self.request.GET.get("cursor") or None,
        )
        partner_events = AuditEvent.objects.filter(partner=self.access.partner)
        context.update(
            nav_section="audit",
            page=page,
            events=page.rows,
            # The filter's choices, each action in words (as the table shows it), the stored name as its value.
            actions=[
                (action, AUDIT_ACTION_LABELS.get(action, action))
                for action in partner_events.order_by("action").values_list("action", flat=True).distinct()
            ],
            action_labels=AUDIT_ACTION_LABELS,
            outcomes=AuditOutcome.choices,
            usernames=list(
                Membership.objects.filter(partner=self.access.partner)
                .order_by("user__username")
                .values_list("user__username", flat=True)
            ),
            selected={"action": action, "outcome": outcome, "user": username},
        )
        return context
