"""``/searches/``: the user's and its partner's saved searches (issue 19 part 2).

Built on ``PartnerAccessMixin`` like every partner page; every rule (names, filters, the hidden-field rule,
counts, "new since last seen") is ``partners.saved_searches``'. A search is looked up among those the user may
see (``SavedSearch.objects.visible_to``): another partner's, or a colleague's private one, answers 404 exactly
like one that does not exist. A colleague's shared search is read-only: open and subscribe, not rename or delete.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from partners import saved_searches
from partners.choices import AuditAction, AuditOutcome
from partners.models import SavedSearch
from partners.views import PartnerAccessMixin
from scoring.selectors import published_run

# Longest list query string the save form carries (the list's own parameters are far shorter).
QUERY_MAX_LENGTH = 4000
# Parameters of the list page that say where and how it shows its rows, not which rows: never saved.
LIST_POSITION_PARAMS = ("cursor", "page", "columns")


def _error_text(errors: dict[str, list[str]]) -> str:
    """Errors as one sentence, each under the words the list's filter panel uses ("Care at least", not
    ``care_min``)."""
    parts = []
    for name, messages_ in errors.items():
        label = "Name" if name == "name" else saved_searches.param_label(name)
        parts.append(f"{label}: {' '.join(messages_)}")
    return " ".join(parts)


class SavedSearchMixin(PartnerAccessMixin):
    """Saved searches the request's user may see, and the audit of their changes."""

    def get_search(self, pk: Any) -> SavedSearch:
        """The search ``pk`` among those the user may see, else a denied event and 404 (no existence oracle)."""
        # An id beyond a bigint names no row (and is not sent to the database).
        in_range = isinstance(pk, int) and 0 < pk < 2**63
        visible = SavedSearch.objects.visible_to(self.access).select_related("created_by")
        search = visible.filter(pk=pk).first() if in_range else None
        if search is None:
            action = AuditAction.SAVED_SEARCH_CHANGE if self.request.method == "POST" else AuditAction.SAVED_SEARCH_OPEN
            asked = pk if in_range else str(pk)[:200]
            self.audit(action=action, filters={"saved_search": asked}, outcome=AuditOutcome.DENIED)
            raise Http404("Not found")
        return search

    def changed(self, *, what: str, search: SavedSearch, **extra: Any) -> None:
        self.audit(
            action=AuditAction.SAVED_SEARCH_CHANGE,
            filters={"change": what, "saved_search": search.pk, "name": search.name, **extra},
        )


class SavedSearchListView(SavedSearchMixin, TemplateView):
    """``GET /searches/``: the searches with their counts; ``POST``: save the list's current parameters (the form
    on ``/creators/``: ``name``, ``shared``, ``query``)."""

    template_name = "partners/saved_searches.html"
    audit_action = AuditAction.SAVED_SEARCH_LIST

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = published_run()
        rows = saved_searches.summaries(saved_searches.visible_searches(self.access), access=self.access, run=run)
        self.audit_row_count = len(rows)
        context.update(
            nav_section="searches",
            run=run,
            own=[row for row in rows if row.editable],
            shared=[row for row in rows if not row.editable],
            name_max_length=saved_searches.NAME_MAX_LENGTH,
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        query = request.POST.get("query", "")[:QUERY_MAX_LENGTH].lstrip("?")
        back = f"{reverse('creators:list')}?{query}" if query else reverse("creators:list")
        # The list's position and display choices travel in its query but are not part of a search.
        params = QueryDict(query, mutable=True)
        for name in LIST_POSITION_PARAMS:
            params.pop(name, None)
        try:
            search = saved_searches.saved_search_create(
                access=self.access,
                name=request.POST.get("name", ""),
                filters=params,
                shared=request.POST.get("shared") in ("on", "1", "true"),
            )
        except saved_searches.SavedSearchInvalid as exc:
            self.audit(action=AuditAction.SAVED_SEARCH_CHANGE, filters={"change": "create"}, outcome=AuditOutcome.ERROR)
            messages.error(request, f"The search was not saved. {_error_text(exc.errors)}")
            return HttpResponseRedirect(back)
        self.changed(what="create", search=search, shared=search.shared)
        summary = saved_searches.summary_for(search, access=self.access)
        count = f"{summary.count:,}{'+' if summary.count_more else ''}"
        messages.success(
            request,
            f"Saved “{search.name}”{' and shared with your organisation' if search.shared else ''}: "
            f"{count} creator{'' if summary.count == 1 and not summary.count_more else 's'} match now.",
        )
        return redirect(f"{reverse('searches:list')}#search-{search.pk}")


class SavedSearchDetailView(SavedSearchMixin, TemplateView):
    """``/searches/<id>/``: ``POST`` ``action`` = ``update`` (name, shared), ``delete`` (own searches only),
    ``subscribe`` or ``unsubscribe`` (any visible search). ``GET`` goes to the search on the list."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        search = self.get_search(pk)
        return redirect(f"{reverse('searches:list')}#search-{search.pk}")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        search = self.get_search(pk)
        here = f"{reverse('searches:list')}#search-{search.pk}"
        action = request.POST.get("action")
        if action in ("subscribe", "unsubscribe"):
            saved_searches.subscribe(search, user=self.access.user, on=action == "subscribe")
            self.changed(what=action, search=search)
            messages.success(
                request,
                f"You will get an email when new creators match “{search.name}”."
                if action == "subscribe"
                else f"No more emails about “{search.name}”.",
            )
            return HttpResponseRedirect(here)
        if action not in ("update", "delete"):
            messages.error(request, "Unknown action.")
            return HttpResponseRedirect(here)
        if not saved_searches.is_owner(search, self.access):
            # Visible (shared by a colleague) but not theirs: refused with the reason, on the same page.
            self.audit(
                action=AuditAction.SAVED_SEARCH_CHANGE, filters={"change": action, "saved_search": search.pk},
                outcome=AuditOutcome.DENIED,
            )
            messages.error(request, "Only the person who saved this search can change or delete it.")
            return HttpResponseRedirect(here)
        if action == "delete":
            self.changed(what="delete", search=search)
            name = search.name
            search.delete()
            messages.success(request, f"Saved search “{name}” deleted.")
            return redirect("searches:list")
        try:
            saved_searches.saved_search_update(
                search,
                access=self.access,
                name=request.POST.get("name", ""),
                shared=request.POST.get("shared") in ("on", "1", "true"),
            )
        except (saved_searches.SavedSearchInvalid, ValidationError) as exc:
            errors = exc.errors if isinstance(exc, saved_searches.SavedSearchInvalid) else {"name": exc.messages}
            messages.error(request, f"Not changed. {_error_text(errors)}")
            return HttpResponseRedirect(here)
        self.changed(what="update", search=search, shared=search.shared)
        messages.success(request, f"Saved search “{search.name}” updated.")
        return HttpResponseRedirect(here)


class SavedSearchOpenView(SavedSearchMixin, TemplateView):
    """``POST /searches/<id>/open/``: mark the search seen (as of the published run) and go to its list. ``GET``
    (a bookmarked or typed address) goes to the search on ``/searches/`` and marks nothing."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        search = self.get_search(pk)
        return redirect(f"{reverse('searches:list')}#search-{search.pk}")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        search = self.get_search(pk)
        saved_searches.enforce(search, access=self.access)
        saved_searches.mark_seen(search, user=self.access.user, run=published_run())
        self.audit(
            action=AuditAction.SAVED_SEARCH_OPEN, filters={"saved_search": search.pk, "name": search.name}
        )
        query = saved_searches.query_string(search)
        return redirect(f"{reverse('creators:list')}{'?' + query if query else ''}")
