"""Partner dashboard pages outside the creator list: shortlists, methodology with the partner's own weights, and
the manager pages (users, audit trail).

All of them are built on ``PartnerAccessMixin``. Everything partner-owned is looked up *through the request's
partner* (``Shortlist.objects.filter(partner=self.access.partner, ...)``), so another partner's shortlist id
answers 404 exactly like one that does not exist; shortlist entries show only creators the partner can see now.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView

from creators import presenters
from creators.exports import SHORTLIST_COLUMNS, ExportOptionError, Format, creator_export_response, export_options
from creators.models import Creator
from creators.pagination import keyset_page
from creators.selectors import creator_list
from partners import alerts
from partners.access import visible_fields
from partners.choices import AuditAction, AuditOutcome
from partners.forms_dashboard import (
    AuditFilterForm,
    EntryNoteForm,
    PartnerWeightsForm,
    ShortlistAddForm,
    ShortlistCreateForm,
    posted_id,
)
from partners.models import AuditEvent, Membership, PartnerWeights, Shortlist, ShortlistEntry
from partners.views import PartnerAccessMixin
from scoring.selectors import published_run

AUDIT_PAGE_SIZE = 50


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


class ShortlistMixin(PartnerAccessMixin):
    """Shortlists of the request's partner only."""

    def shortlists(self) -> Any:
        return Shortlist.objects.filter(partner=self.access.partner)

    # The action of the denied event recorded on a GET of a shortlist that is not the partner's (a POST records
    # a denied shortlist.change).
    shortlist_action: str = AuditAction.SHORTLIST_VIEW

    def get_shortlist(self, pk: int) -> Shortlist:
        """The partner's shortlist ``pk``, else a denied event and 404.

        Another partner's id and an id that does not exist are recorded alike, with the same queries (no
        existence oracle in the trail).
        """
        shortlist = self.shortlists().filter(pk=pk).first()
        if shortlist is None:
            action = AuditAction.SHORTLIST_CHANGE if self.request.method == "POST" else self.shortlist_action
            asked = pk if isinstance(pk, int) else str(pk)[:200].replace("\x00", "")  # jsonb holds no NUL
            self.audit(action=action, filters={"shortlist": asked}, outcome=AuditOutcome.DENIED)
            raise Http404("Not found")
        return shortlist

    def changed(self, *, what: str, shortlist: Shortlist, handle: str | None = None) -> None:
        self.audit(
            action=AuditAction.SHORTLIST_CHANGE,
            object_handle=handle,
            filters={"change": what, "shortlist": shortlist.pk, "name": shortlist.name},
        )


class ShortlistListView(ShortlistMixin, TemplateView):
    """``/shortlists/``: the partner's lists (shared by all its users) and a form to start one."""

    template_name = "partners/shortlist_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        visible = Creator.objects.visible_to(self.access).values("pk")
        lists = (
            self.shortlists()
            .select_related("created_by")
            .annotate(size=Count("entries", filter=Q(entries__creator_id__in=visible)))
            .order_by("name")
        )
        context.update(
            nav_section="shortlists",
            shortlists=lists,
            form=kwargs.get("form") or ShortlistCreateForm(partner=self.access.partner),
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ShortlistCreateForm(request.POST, partner=self.access.partner)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        assert self.access.partner is not None  # dispatch refused a request without a partner
        shortlist = Shortlist.objects.create(
            partner=self.access.partner, name=form.cleaned_data["name"], created_by=self.access.user
        )
        self.changed(what="create", shortlist=shortlist)
        messages.success(request, f"Shortlist “{shortlist.name}” created.")
        return redirect("shortlists:detail", pk=shortlist.pk)


class ShortlistDetailView(ShortlistMixin, TemplateView):
    """``/shortlists/<id>/``: the entries with their scores and notes; edit notes, remove, rename, delete."""

    template_name = "partners/shortlist_detail.html"
    shortlist_action = AuditAction.SHORTLIST_VIEW

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        shortlist = self.get_shortlist(self.kwargs["pk"])
        entries = list(
            shortlist.entries.filter(creator__in=Creator.objects.visible_to(self.access).values("pk"))
            .select_related("added_by", "creator")
            .order_by("-added_at", "-pk")
        )
        rows = {
            row["creator_id"]: row
            for row in creator_list(access=self.access).filter(creator_id__in=[e.creator_id for e in entries])
        }
        following = alerts.followed_ids(access=self.access, creator_ids=[entry.creator_id for entry in entries])
        context.update(
            nav_section="shortlists",
            shortlist=shortlist,
            items=[
                {"entry": entry, "row": rows.get(entry.creator_id), "following": entry.creator_id in following}
                for entry in entries
            ],
            score_columns=presenters.index_columns(self.access),
            can_export=self.access.can_export,
            compare_handles=",".join(rows[e.creator_id]["handle"] for e in entries[:5] if e.creator_id in rows),
        )
        if self.request.method == "GET":
            # One shortlist.view per page view (a POST that re-renders the page records its change instead).
            self.audit(
                action=AuditAction.SHORTLIST_VIEW,
                filters={"shortlist": shortlist.pk, "name": shortlist.name},
                row_count=len(entries),
            )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        shortlist = self.get_shortlist(pk)
        action = request.POST.get("action")
        here = reverse("shortlists:detail", kwargs={"pk": shortlist.pk})
        if action in {"note", "remove"}:
            entry = get_object_or_404(
                shortlist.entries.filter(creator__in=Creator.objects.visible_to(self.access).values("pk")),
                pk=posted_id(request.POST.get("entry", ""), "entry"),
            )
            handle = entry.creator.handle
            if action == "remove":
                entry.delete()
                self.changed(what="remove", shortlist=shortlist, handle=handle)
                messages.success(request, f"@{handle} removed from “{shortlist.name}”.")
            else:
                note_form = EntryNoteForm(request.POST)
                if note_form.is_valid():
                    entry.note = note_form.cleaned_data["note"]
                    entry.save(update_fields=["note"])
                    self.changed(what="note", shortlist=shortlist, handle=handle)
                    messages.success(request, f"Note on @{handle} saved.")
            return HttpResponseRedirect(here)
        if action == "rename":
            form = ShortlistCreateForm({"name": request.POST.get("name", "")}, partner=self.access.partner)
            if form.is_valid():
                shortlist.name = form.cleaned_data["name"]
                shortlist.save(update_fields=["name", "updated_at"])
                self.changed(what="rename", shortlist=shortlist)
                messages.success(request, "Shortlist renamed.")
            else:
                messages.error(request, " ".join(str(error) for error in form.errors.get("name", ["Invalid name."])))
            return HttpResponseRedirect(here)
        if action == "delete":
            self.changed(what="delete", shortlist=shortlist)
            name = shortlist.name
            shortlist.delete()
            messages.success(request, f"Shortlist “{name}” deleted.")
            return redirect("shortlists:list")
        messages.error(request, "Unknown action.")
        return HttpResponseRedirect(here)


class ShortlistAddView(ShortlistMixin, TemplateView):
    """``POST /shortlists/add/``: put a visible creator on one of the partner's shortlists (or a new one)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ShortlistAddForm(request.POST, partner=self.access.partner)
        creator = self.get_creator_or_404(request.POST.get("handle", ""))
        requested = request.POST.get("shortlist", "")
        if requested and not self.shortlists().filter(pk=posted_id(requested, "shortlist")).exists():
            # Another partner's shortlist answers like one that does not exist.
            raise Http404("Not found")
        fallback = reverse("creators:detail", kwargs={"handle": creator.handle})
        if not form.is_valid():
            messages.error(request, " ".join(str(error) for error in form.non_field_errors()) or "Choose a shortlist.")
            return HttpResponseRedirect(_safe_next(request, fallback))
        with transaction.atomic():
            if form.cleaned_data.get("shortlist"):
                shortlist = self.get_shortlist(form.cleaned_data["shortlist"])
            else:
                shortlist, created = Shortlist.objects.get_or_create(
                    partner=self.access.partner,
                    name=form.cleaned_data["new_name"].strip(),
                    defaults={"created_by": self.access.user},
                )
                if created:
                    self.changed(what="create", shortlist=shortlist)
            try:
                with transaction.atomic():
                    ShortlistEntry.objects.create(
                        shortlist=shortlist, creator=creator, note=form.cleaned_data["note"], added_by=self.access.user
                    )
            except IntegrityError:
                messages.info(request, f"@{creator.handle} is already on “{shortlist.name}”.")
            else:
                self.changed(what="add", shortlist=shortlist, handle=creator.handle)
                messages.success(request, f"@{creator.handle} added to “{shortlist.name}”.")
        return HttpResponseRedirect(_safe_next(request, fallback))


class ShortlistExportView(ShortlistMixin, TemplateView):
    """``/shortlists/<id>/export.csv`` and ``.xlsx``: the shortlist's visible creators with the same columns as the
    list's export, then each entry's note, who added it and when (analysts and managers)."""

    required_capability = "export"
    shortlist_action = AuditAction.SHORTLIST_EXPORT
    fmt = Format.CSV

    # Answers with the exported file, not the template's page.
    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:  # type: ignore[override]
        shortlist = self.get_shortlist(pk)
        try:
            options = export_options(request.GET, default_bom=True)
        except ExportOptionError as error:
            return HttpResponseBadRequest(f"Invalid {error.field}: {error}", content_type="text/plain")
        entry = ShortlistEntry.objects.filter(shortlist=shortlist, creator_id=OuterRef("creator_id")).order_by()
        queryset = (
            creator_list(access=self.access)
            .filter(creator_id__in=shortlist.entries.values("creator_id"))
            .annotate(
                shortlist_note=Subquery(entry.values("note")),
                shortlist_added_by=Subquery(entry.values("added_by__username")),
                shortlist_added_on=Subquery(entry.annotate(day=TruncDate("added_at")).values("day")),
            )
            .order_by("handle", "creator_id")
        )
        run = published_run()
        as_of = run.as_of if run is not None else None
        return creator_export_response(
            access=self.access,
            queryset=queryset,
            fields=visible_fields(self.access),
            filename=f"shortlist-{shortlist.pk}",
            request=request,
            filters={"shortlist": shortlist.pk, "name": shortlist.name},
            fmt=self.fmt,
            options=options,
            as_of=as_of,
            extra=SHORTLIST_COLUMNS,
        )


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
            methodology_markdown=methodology_markdown(tiers=self.access.tiers),
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
            actions=list(partner_events.order_by("action").values_list("action", flat=True).distinct()),
            outcomes=AuditOutcome.choices,
            usernames=list(
                Membership.objects.filter(partner=self.access.partner)
                .order_by("user__username")
                .values_list("user__username", flat=True)
            ),
            selected={"action": action, "outcome": outcome, "user": username},
        )
        return context
