"""The shortlist pages: ``/shortlists/`` (the partner's lists), ``/shortlists/<id>/`` (entries with status and note,
sorted and filtered, edited in place), ``POST /shortlists/add/`` (one creator from a scorecard, or many ticked in
the list or on the compare page) and the exports.

Every shortlist is looked up through the request's partner, so another partner's id answers 404 exactly like one
that does not exist; entries show only the creators the partner can see now (``partners.shortlists``). Every
change is one ``shortlist.change`` audit event. Every role keeps shortlists (DESIGN section 1); the exports are
for the roles that export (analysts, managers), as the creator list's.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from creators import presenters
from creators.exports import ExportOptionError, Format, export_options
from partners import alerts
from partners import shortlists as service
from partners.choices import AuditAction, AuditOutcome, EntryStatus
from partners.forms_dashboard import (
    EntryEditForm,
    EntryListForm,
    ShortlistAddForm,
    ShortlistCreateForm,
    posted_id,
)
from partners.models import Shortlist
from partners.views import PartnerAccessMixin, safe_next
from scoring.selectors import published_run


class ShortlistMixin(PartnerAccessMixin):
    """Shortlists of the request's partner only."""

    # The action of the denied event recorded on a GET of a shortlist that is not the partner's (a POST records
    # a denied shortlist.change).
    shortlist_action: str = AuditAction.SHORTLIST_VIEW

    def shortlists(self) -> Any:
        return Shortlist.objects.visible_to(self.access)

    def get_shortlist(self, pk: Any) -> Shortlist:
        """The partner's shortlist ``pk``, else a denied event and 404.

        Another partner's id and an id that does not exist are recorded alike, with the same queries (no
        existence oracle in the trail).
        """
        shortlist = service.shortlist_of(self.access, pk)
        if shortlist is None:
            action = AuditAction.SHORTLIST_CHANGE if self.request.method == "POST" else self.shortlist_action
            asked = pk if isinstance(pk, int) else str(pk)[:200].replace("\x00", "")  # jsonb holds no NUL
            self.audit(action=action, filters={"shortlist": asked}, outcome=AuditOutcome.DENIED)
            raise Http404("Not found")
        return shortlist

    def changed(
        self, *, what: str, shortlist: Shortlist, handles: list[str] | None = None, **details: Any
    ) -> None:
        """One ``shortlist.change`` event: what changed, on which shortlist, for which creators."""
        self.audit(
            action=AuditAction.SHORTLIST_CHANGE,
            object_handle=",".join(handles) if handles else None,
            filters={"change": what, "shortlist": shortlist.pk, "name": shortlist.name, **details},
            row_count=len(handles) if handles else None,
        )


class ShortlistListView(ShortlistMixin, TemplateView):
    """``/shortlists/``: the partner's lists (shared by all its users) and a form to start one."""

    template_name = "partners/shortlist_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        lists = service.sizes(self.access, self.shortlists().select_related("created_by")).order_by("name")
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
    """``/shortlists/<id>/``: the entries with followers, the visible indices, status and note; sort, filter by
    status, edit a status or note in place (one plain form per row), remove, rename, delete."""

    template_name = "partners/shortlist_detail.html"
    shortlist_action = AuditAction.SHORTLIST_VIEW

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        shortlist = self.get_shortlist(self.kwargs["pk"])
        score_columns = presenters.index_columns(self.access)
        keys = service.sort_keys(column.name for column in score_columns)
        form = EntryListForm(self.request.GET, sort_keys=keys)
        valid = form.is_valid()
        status: str = (form.cleaned_data.get("status") or "") if valid else ""
        ordering: str = (form.cleaned_data.get("ordering") or "") if valid else ""
        # Read once: the "Data as of" banner above the scores and the rows themselves.
        run = published_run()
        items = service.items(
            access=self.access, shortlist=shortlist, status=status or None, ordering=ordering, run=run
        )
        counts = service.status_counts(self.access, shortlist)
        first = ordering.lstrip("-") if ordering else "added"
        descending = ordering.startswith("-") or not ordering
        context.update(
            nav_section="shortlists",
            run=run,
            shortlist=shortlist,
            items=items,
            # The creators of these entries the user follows (each row's follow control).
            following=alerts.followed_ids(access=self.access, creator_ids=[item.entry.creator_id for item in items]),
            total=sum(counts.values()),
            status_tabs=[
                {"value": value, "label": label, "count": counts[value], "current": status == value}
                for value, label in EntryStatus.choices
            ],
            status=status,
            statuses=EntryStatus.choices,
            list_errors=form.errors if not valid else {},
            # Column heads: what a click asks for (the reverse of the current sort, numbers largest first).
            sort_links={
                key: {
                    "ordering": (key if descending else f"-{key}")
                    if key == first
                    else (key if key == "handle" else f"-{key}"),
                    "aria_sort": ("descending" if descending else "ascending") if key == first else None,
                }
                for key in keys
            },
            score_columns=score_columns,
            can_export=self.access.can_export,
            compare_handles=",".join(item.handle for item in items[:5] if item.row),
        )
        if self.request.method == "GET":
            # One shortlist.view per page view (a POST that re-renders the page records its change instead).
            self.audit(
                action=AuditAction.SHORTLIST_VIEW,
                filters={
                    "shortlist": shortlist.pk,
                    "name": shortlist.name,
                    **({"status": status} if status else {}),
                    **({"ordering": ordering} if ordering else {}),
                },
                row_count=len(items),
            )
        return context

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        if context.get("list_errors"):
            response_kwargs.setdefault("status", 400)
        return super().render_to_response(context, **response_kwargs)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        shortlist = self.get_shortlist(pk)
        action = request.POST.get("action")
        here = reverse("shortlists:detail", kwargs={"pk": shortlist.pk})
        if action in {"edit", "note", "remove"}:
            entry = get_object_or_404(
                service.entries(self.access, shortlist).select_related("creator"),
                pk=posted_id(request.POST.get("entry", ""), "entry"),
            )
            handle = entry.creator.handle
            if action == "remove":
                entry.delete()
                self.changed(what="remove", shortlist=shortlist, handles=[handle])
                messages.success(request, f"@{handle} removed from “{shortlist.name}”.")
                return HttpResponseRedirect(safe_next(request, here))
            edit = EntryEditForm(request.POST)
            if not edit.is_valid():
                messages.error(request, " ".join(str(error) for errors in edit.errors.values() for error in errors))
            else:
                changed = service.entry_update(
                    entry=entry,
                    status=edit.cleaned_data["status"] if "status" in request.POST else None,
                    note=edit.cleaned_data["note"] if "note" in request.POST else None,
                )
                if changed:
                    self.changed(
                        what="edit", shortlist=shortlist, handles=[handle], fields=changed, status=entry.status
                    )
                    messages.success(request, _edited_message(handle, entry.get_status_display(), changed))
                else:
                    messages.info(request, f"Nothing changed on @{handle}.")
            target = safe_next(request, here)
            return HttpResponseRedirect(target if "#" in target else f"{target}#entry-{entry.pk}")
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
    """``POST /shortlists/add/``: put visible creators (``handles``, or one ``handle`` from a scorecard) on one of
    the partner's shortlists or on a new one, in one request and a fixed number of queries.

    A handle the partner cannot see (hidden or unknown, alike) refuses the whole request with the 404 page and
    adds nothing, without saying which handle it was.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        handles = service.parse_handles([*request.POST.getlist("handles"), *request.POST.getlist("handle")])
        fallback = reverse("creators:list")
        if not handles:
            messages.error(request, "Tick at least one creator to add.")
            return HttpResponseRedirect(safe_next(request, fallback))
        requested = request.POST.get("shortlist", "")
        chosen = self.get_shortlist(posted_id(requested, "shortlist")) if requested else None
        try:
            creators = service.creators_resolve(access=self.access, handles=handles)
        except service.TooManyHandles as exc:
            raise BadRequest(str(exc)) from exc
        except service.HandlesRefused:
            self.audit(
                action=AuditAction.SHORTLIST_CHANGE,
                filters={"change": "add", "handles": [handle[:64].replace("\x00", "") for handle in handles]},
                outcome=AuditOutcome.DENIED,
            )
            raise Http404("Not found") from None
        if len(creators) == 1:
            fallback = reverse("creators:detail", kwargs={"handle": creators[0].handle})
        add_form = ShortlistAddForm(request.POST, partner=self.access.partner)
        if not add_form.is_valid():
            messages.error(
                request,
                " ".join(str(e) for errors in add_form.errors.values() for e in errors) or "Choose a shortlist.",
            )
            return HttpResponseRedirect(safe_next(request, fallback))
        with transaction.atomic():
            # A new name typed wins over the select, which starts on the user's last shortlist.
            new_name = add_form.cleaned_data["new_name"].strip()
            shortlist = self._named(new_name) if new_name or chosen is None else chosen
            result = service.entries_add(
                access=self.access,
                shortlist=shortlist,
                creators=creators,
                status=add_form.cleaned_data["status"] or EntryStatus.TO_CONTACT,
                note=add_form.cleaned_data["note"],
            )
            if result.added:
                self.changed(what="add", shortlist=shortlist, handles=result.added)
        messages.success(request, _added_message(result, shortlist))
        return HttpResponseRedirect(safe_next(request, fallback))

    def _named(self, name: str) -> Shortlist:
        """The partner's shortlist of that name (any case), created (and audited) when there is none."""
        existing = self.shortlists().filter(name__iexact=name).first()
        if existing is not None:
            return existing
        assert self.access.partner is not None
        shortlist = Shortlist.objects.create(partner=self.access.partner, name=name, created_by=self.access.user)
        self.changed(what="create", shortlist=shortlist)
        return shortlist


def _edited_message(handle: str, status_label: str, changed: list[str]) -> str:
    if changed == ["note"]:
        return f"Note on @{handle} saved."
    status = f"@{handle} is now “{status_label}”"
    return f"{status}; note saved." if "note" in changed else f"{status}."


def _added_message(result: service.AddResult, shortlist: Shortlist) -> str:
    def who(handles: list[str]) -> str:
        return f"@{handles[0]}" if len(handles) == 1 else f"{len(handles)} creators"

    parts = []
    if result.added:
        parts.append(f"{who(result.added)} added to “{shortlist.name}”.")
    if result.already:
        verb = "was" if len(result.already) == 1 else "were"
        parts.append(f"{who(result.already)} {verb} already on “{shortlist.name}”.")
    return " ".join(parts)


class ShortlistExportView(ShortlistMixin, TemplateView):
    """``/shortlists/<id>/export.csv`` and ``.xlsx``: the shortlist's visible creators with the same columns as the
    list's export, then each entry's status, note, who added it and when (analysts and managers)."""

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
        return service.export_response(
            access=self.access, shortlist=shortlist, request=request, fmt=self.fmt, options=options, api=False
        )
