"""The partner dashboard's creator pages: list, scorecard, compare and the CSV export.

Every view is built on ``partners.views.PartnerAccessMixin`` (login, ``self.access``, 404 without access, audit,
``Cache-Control: no-store``) and reads through ``creators.selectors.creator_list`` filtered by the shared
``CreatorFilterSet``; columns, chart traces and CSV columns all come from ``visible_fields(access)``.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.http import urlencode
from django.views import View
from django.views.generic import TemplateView

from creators import charts, formatting, list_page, presenters
from creators.exports import ExportOptionError, Format, creator_export_response, export_options
from creators.filtersets import CreatorFilterSet
from creators.models import HANDLE_PATTERN, Creator
from creators.models import parse_handles as handles_parse
from creators.pagination import keyset_page
from creators.selectors import (
    COUNT_CAP,
    VIDEO_PAGE_SIZE,
    creator_list,
    creator_list_count,
    recent_videos,
    video_columns,
)
from creators.similar import similar_creators
from partners import alerts
from partners import shortlists as shortlist_service
from partners.access import visible_fields
from partners.choices import AuditAction, AuditOutcome
from partners.models import Shortlist, ShortlistEntry
from partners.services import export_quota_check
from partners.views import PartnerAccessMixin
from scoring.catalogue import CHANGE_FIELDS, FIELDS_BY_NAME, FILTERABLE_INDICES, PROFILE_FIELDS
from scoring.choices import NullReason
from scoring.definitions import NULL_REASON_TEXT, null_reasons
from scoring.models import ScoringRun
from scoring.selectors import published_run, scorecard_detail

PAGE_SIZE = 50
COMPARE_MAX = 5
HANDLE_RE = re.compile(HANDLE_PATTERN)


def creator_filterset(request: HttpRequest, access: Any, run: ScoringRun | None) -> CreatorFilterSet:
    """The shared ``CreatorFilterSet`` over ``creator_list``, built for this request."""
    return CreatorFilterSet(request.GET, queryset=creator_list(access=access, run=run), access=access)


def _ordering_keys(filterset: CreatorFilterSet) -> list[str]:
    cleaned = getattr(filterset.form, "cleaned_data", {}) or {}
    return list(cleaned.get("ordering") or filterset.default_ordering())


class CreatorListView(PartnerAccessMixin, TemplateView):
    """``/creators/``: filter panel, sortable table, keyset pages, data-as-of banner."""

    template_name = "creators/list.html"
    audit_action = AuditAction.CREATOR_LIST

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        access = self.access
        run = published_run()
        filterset = creator_filterset(self.request, access, run)
        rows = filterset.qs
        score_columns = presenters.index_columns(access)
        # Only what the table shows (the profile and the visible indices, every possible sort key among them, as
        # the keyset cursor reads its values from the rows) and each index's raw score (which tells "no signal"
        # from "insufficient data" in a null cell), not the other raw metrics: a smaller statement to build and
        # fewer values to fetch and convert.
        visible = presenters.visible_names(access)
        raws = [f"{column.name}_raw" for column in score_columns if f"{column.name}_raw" in visible]
        # Each visible index's change (the arrow in its cell, and a sort key the cursor may need).
        changes = list_page.change_names(score_columns, visible)
        shown = rows.values(
            "creator_id", *PROFILE_FIELDS, *(column.name for column in score_columns), *raws, *changes
        )
        total, more = self.count(rows, run=run)
        cursor = self.request.GET.get("cursor") or None
        numbers = list_page.page_numbers(
            self.request.GET.get("page"), total=total, known=not more, page_size=PAGE_SIZE
        )
        jump = numbers is not None and not numbers.error and numbers.number is not None and not cursor
        page = keyset_page(
            shown, page_size=PAGE_SIZE, cursor=cursor, offset=numbers.offset_rows if jump and numbers else 0
        )
        self.audit_row_count = len(page.rows)
        followed = alerts.followed_ids(access=access, creator_ids=[row["creator_id"] for row in page.rows])

        ordering = _ordering_keys(filterset)
        form = filterset.form
        active_filters = [
            name for name in form.fields if name not in {"ordering"} and self.request.GET.get(name, "") != ""
        ]
        # One category list for both category selects (the filter set has read it to validate them).
        category_options = [(category.slug, category.name) for category in filterset.visible_categories()]
        # Countries by name, with the code ("United States (US)"); without the field's own empty choice.
        # A ChoiceField, whose choices Django has normalized to a list of pairs (django-stubs types any Field).
        country_choices: list[tuple[str, str]] = form.fields["country"].choices  # type: ignore[attr-defined]
        country_options = sorted(
            ((code, formatting.country(code)) for code, _ in country_choices if code != ""),
            key=lambda option: option[1],
        )
        selects = {
            "category": list_page.select_field(
                "category", category_options, form["category"].value(), empty_label="Any category"
            ),
            "country": list_page.select_field(
                "country", country_options, form["country"].value(), empty_label="Any country"
            ),
        }
        selects["ordering"] = list_page.sort_field(ordering, score_columns, visible)
        # The table's caption names the order in the select's words ("Overall: biggest rise").
        ordering_label = next(
            (option.label for option in selects["ordering"].options if option.selected), "the default order"
        )
        if "impact_category" in form.fields:
            selects["impact_category"] = list_page.select_field(
                "impact_category", category_options, form["impact_category"].value(), empty_label="Choose a category"
            )
        columns = list_page.table_columns(
            requested=list_page.requested_columns(self.request.GET), score_columns=score_columns, ordering=ordering
        )
        # The query a "Save this search" keeps: the accepted filters and the ordering in force (not the page, the
        # cursor or the columns: a search is what is listed, not where or how).
        kept_params = [
            (name, value)
            for name in form.fields
            if name != "ordering" and name not in form.errors
            for value in self.request.GET.getlist(name)
            if value != ""
        ] + [("ordering", ",".join(ordering))]
        context.update(
            nav_section="creators",
            run=run,
            form=form,
            selects=selects,
            # Each error under the words the panel uses for its field ("Followers (at least)", not "followers_min").
            filter_errors={
                str(form.fields[name].label or name) if name in form.fields else name: errors
                for name, errors in (form.errors if form.is_bound else {}).items()
            },
            # The visible indices that have min/max filters (not "our score").
            index_ranges=list_page.range_filters(
                self.request.GET, [column for column in score_columns if f"{column.name}_min" in form.fields]
            ),
            change_ranges=list_page.change_ranges(self.request.GET, score_columns, visible),
            active_filters=active_filters,
            rows=list_page.creator_rows(page.rows, columns.scores, columns.card),
            columns=columns,
            # The column chooser's form carries the rest of the query as hidden fields: the filters the form has
            # and accepted (a forbidden or invalid parameter is not sent again), and the ordering in force.
            kept_params=kept_params,
            save_query=urlencode(kept_params),
            page=page,
            page_numbers=numbers,
            page_error=numbers.error if numbers else "",
            # The page's own number: asked for, carried by the Previous/Next link, or 1 on the first page.
            page_number=(numbers.number or (None if cursor else 1)) if numbers and not numbers.error else None,
            total=total,
            total_more=more,
            profile_headers=list_page.header_cells(columns.profile, ordering),
            score_headers=list_page.header_cells(columns.scores, ordering),
            ordering=",".join(ordering),
            ordering_label=ordering_label,
            can_export=access.can_export,
            # The rows left today beside the Export button (one aggregate over today's export events).
            export_quota=export_quota_check(access, 0) if access.can_export else None,
            compare_max=COMPARE_MAX,
            # The bulk bar's "Add to" (starts on the user's last shortlist).
            picker=shortlist_service.picker(access),
            following={row["handle"] for row in page.rows if row["creator_id"] in followed},
        )
        return context

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        # A malformed or out-of-range filter or page number is an error on that parameter: 400, with the page
        # showing the message beside the field (and the list without that filter).
        if context.get("page_error") or context.get("filter_errors"):
            response_kwargs.setdefault("status", 400)
        return super().render_to_response(context, **response_kwargs)

    def count(self, rows: Any, *, run: ScoringRun | None) -> tuple[int, bool]:
        """``(count, more)``: the exact count of the filtered rows up to ``COUNT_CAP``, and whether there are more
        (the API's cached ``creator_list_count``, capped: the page shows "10,000+")."""
        if run is None:
            return 0, False
        count = creator_list_count(rows, cap=COUNT_CAP, run=run)
        return min(count, COUNT_CAP), count > COUNT_CAP


class CreatorDetailView(PartnerAccessMixin, TemplateView):
    """``/creators/<handle>/``: the scorecard, with the "why" of each index and four charts."""

    template_name = "creators/detail.html"
    audit_action = AuditAction.CREATOR_VIEW

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        access = self.access
        creator = self.get_creator_or_404(self.kwargs["handle"])
        self.audit_object_handle = creator.handle
        run = published_run(with_medians=True)
        row = creator_list(access=access, run=run).filter(creator_id=creator.pk).first() if run else None
        following = creator.pk in alerts.followed_ids(access=access, creator_ids=[creator.pk])
        context.update(nav_section="creators", run=run, creator=creator, row=row, following=following)
        if run is None or row is None:
            # Known creator, no scorecard yet (imported after the published run): the profile only.
            context["profile"] = {"handle": creator.handle, "display_name": creator.display_name}
            return context

        # Only the impacts in the partner's categories are read (one query less than filtering them afterwards).
        impact_categories = presenters.impact_categories(access)
        detail = scorecard_detail(creator_id=creator.pk, run=run, impact_categories=impact_categories)
        names = presenters.visible_names(access)
        # Reduce everything to the visible fields before it reaches the page or a chart.
        values = {name: value for name, value in detail.values.items() if name in names}
        cards = presenters.index_cards(access=access, values=values, references=detail.references)
        radar_axes = presenters.radar_indices(access)
        medians = presenters.category_medians(access=access, run=run, category_id=creator.primary_category_id)
        impacts = presenters.visible_impacts(
            access=access, impacts=detail.category_impacts, read_through=impact_categories
        )
        history = presenters.visible_history(access=access, history=detail.history)
        trend_axes = [(n, FIELDS_BY_NAME[n].label) for n in presenters.CARD_INDICES if n in names]
        figures: dict[str, Any] = {}
        if radar_axes:
            figures["radar"] = charts.radar_figure(
                indices=radar_axes,
                values=values,
                reference=medians,
                name=f"@{creator.handle}",
                reference_name=f"Median in {creator.primary_category.name}",
            )
        if trend_axes and history:
            figures["trend"] = charts.trend_figure(indices=trend_axes, history=history)
        if impacts:
            figures["impact"] = charts.impact_bars_figure(impacts=impacts)
        if "overall" in names:
            figures["distribution"] = charts.distribution_figure(
                histogram=presenters.overall_histogram(access=access, run=run), marker=values.get("overall")
            )
        # The partner's shortlists, each with whether this creator is on it: one query.
        shortlists = list(
            Shortlist.objects.filter(partner=access.partner)
            .annotate(has_creator=Exists(ShortlistEntry.objects.filter(shortlist=OuterRef("pk"), creator=creator)))
            .order_by("name")
            .values("id", "name", "has_creator")
        )
        # Recent content: one page of the window's videos, newest first; "More" seeks on (posted_at, id).
        videos = keyset_page(
            recent_videos(access=access, creator=creator, run=run),
            page_size=VIDEO_PAGE_SIZE,
            cursor=self.request.GET.get("videos") or None,
        )
        # Similar creators: the visible creators closest on the visible indices (creators.similar).
        similar = similar_creators(access=access, creator=creator, run=run)
        context.update(
            similar=similar,
            similar_labels=[FIELDS_BY_NAME[name].label.lower() for name in similar.compared_on],
            videos=videos,
            video_columns=video_columns(access),
            values=values,
            cards=cards,
            figures=figures,
            impacts=impacts,
            overall=values.get("overall"),
            overall_change=values.get("overall_change"),
            growth=presenters.growth_rows(values=values),
            partner_score=row.get("partner_score"),
            has_partner_score="partner_score" in row,
            confidence=values.get("confidence"),
            shortlists=shortlists,
            on_shortlists={item["id"] for item in shortlists if item["has_creator"]},
            # "Add to" starts on the shortlist the user last added to (no query: it came with the membership).
            last_shortlist_id=shortlist_service.last_shortlist_id(access),
        )
        return context


def parse_handles(request: HttpRequest) -> list[str]:
    """``?handles=a,b,c`` (or repeated ``handles=``) as distinct handles in the order given."""
    return handles_parse(request.GET.getlist("handles"))


class CreatorCompareView(PartnerAccessMixin, TemplateView):
    """``/creators/compare/?handles=a,b,c``: up to five creators side by side and one shared radar."""

    template_name = "creators/compare.html"
    audit_action = AuditAction.CREATOR_COMPARE

    def post(self, request: HttpRequest) -> HttpResponse:
        """The list's "Compare selected" (its tick boxes are a POST form, for the bulk actions): the same compare,
        as the page's own address (``?handles=a,b,c``), which can be bookmarked and shared."""
        handles = handles_parse(request.POST.getlist("handles"))
        target = reverse("creators:compare")
        if handles:
            target += "?" + urlencode({"handles": ",".join(handles)})
        response = HttpResponseRedirect(target)
        response.status_code = 303  # See Other: the browser GETs the compare page
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        access = self.access
        requested = parse_handles(self.request)
        too_many = len(requested) > COMPARE_MAX
        requested = requested[:COMPARE_MAX]
        lowered = [handle.lower() for handle in requested if HANDLE_RE.fullmatch(handle)]
        visible = Creator.objects.visible_to(access).alias(handle_lower=Lower("handle"))
        found = (
            {c.handle.lower(): c for c in visible.filter(handle_lower__in=lowered).only("id", "handle")}
            if lowered
            else {}
        )
        # Unknown and invisible handles are reported alike ("not found"): no oracle.
        missing = [handle for handle in requested if handle.lower() not in found]
        creators = [found[handle] for handle in lowered if handle in found]
        rows_by_id = {
            row["creator_id"]: row
            for row in creator_list(access=access).filter(creator_id__in=[creator.pk for creator in creators])
        }
        rows = [rows_by_id[creator.pk] for creator in creators if creator.pk in rows_by_id]
        for row in rows:
            # The visible indices that are null for want of signal in the run (shown as such, not as a dash).
            row["no_signal"] = [
                name for name, reason in null_reasons(row, FILTERABLE_INDICES).items() if reason == NullReason.NO_SIGNAL
            ]
        self.audit_object_handle = ",".join(row["handle"] for row in rows)
        self.audit_row_count = len(rows)
        if missing:
            # A handle that is not visible (hidden or unknown, alike) was asked for: the request is recorded as
            # denied, with the handles asked for in its filters.
            self.audit_outcome = AuditOutcome.DENIED
        axes = presenters.radar_indices(access)
        radars = (
            charts.compare_radar_figures(indices=axes, creators=[(row["handle"], row) for row in rows])
            if rows and axes
            else []
        )
        names = presenters.visible_names(access)
        # (field, label, its change field when visible, else "": the arrow under the value).
        compare_fields = [
            (column.name, column.label, CHANGE_FIELDS[column.name] if CHANGE_FIELDS.get(column.name) in names else "")
            for column in presenters.index_columns(access)
        ] + [(name, FIELDS_BY_NAME[name].label, "") for name in ("confidence",) if name in names]
        context.update(
            nav_section="compare",
            run=published_run(),
            rows=rows,
            missing=missing,
            too_many=too_many,
            compare_max=COMPARE_MAX,
            handles=",".join(row["handle"] for row in rows),
            compare_fields=compare_fields,
            no_signal_text=NULL_REASON_TEXT[NullReason.NO_SIGNAL],
            # One small radar per creator ("fig-compare-0"...), in the order of the table's columns.
            radars=[(f"compare-{position}", row["handle"]) for position, row in enumerate(rows[: len(radars)])],
            figures={f"compare-{position}": figure for position, figure in enumerate(radars)},
            picker=shortlist_service.picker(access),
        )
        return context


class CreatorExportView(PartnerAccessMixin, View):
    """``/creators/export.csv?<filters>`` and ``/creators/export.xlsx?<filters>``: analysts and managers only
    (others get 404 from the mixin). The CSV starts with a byte-order mark unless ``?bom=0``: people open it in
    Excel, which reads UTF-8 without one as a legacy code page."""

    required_capability = "export"
    fmt = Format.CSV

    def get(self, request: HttpRequest) -> HttpResponseBase:
        run = published_run()
        filterset = creator_filterset(request, self.access, run)
        try:
            options = export_options(request.GET, default_bom=True)
        except ExportOptionError as error:
            return HttpResponseBadRequest(f"Invalid {error.field}: {error}", content_type="text/plain")
        if not filterset.is_valid():
            messages = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items())
            return HttpResponseBadRequest(f"Invalid filters: {messages}", content_type="text/plain")
        return creator_export_response(
            access=self.access,
            queryset=filterset.qs,
            fields=visible_fields(self.access),
            filename="creators",
            request=request,
            fmt=self.fmt,
            options=options,
            as_of=run.as_of if run is not None else None,
        )
