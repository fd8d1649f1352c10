"""``/api/v1/shortlists/``: the partner's shortlists and their entries (status, note, who added it and when), and
their CSV and XLSX exports (DESIGN section 7).

Built on ``partners.api.PartnerViewSetBase`` (analysts and managers, restricted, audited, no-store) and on the
same reads and writes as the pages (``partners.shortlists``): a shortlist of another partner answers 404 like one
that does not exist; entries show only the creators the partner can see now; adding a handle the partner cannot
see refuses the whole request with a 404 that does not say which handle. Every change is one ``shortlist.change``
audit event.
"""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from creators import presenters
from creators.api import CSV_OPTION_PARAMETERS, EXPORT_OPTION_PARAMETERS, ExportRenderersMixin
from creators.exports import (
    XLSX_CONTENT_TYPE,
    ExportOptionError,
    Format,
    export_options,
)
from partners import shortlists as service
from partners.api import PartnerViewSetBase
from partners.audit import audit_record
from partners.choices import ENTRY_NOTE_MAX_LENGTH, AuditAction, EntryStatus
from partners.forms_dashboard import ShortlistCreateForm
from partners.models import Shortlist

TAG = "shortlists"
NOT_FOUND = OpenApiResponse(description="No shortlist of the partner with this id (or none at all).")
ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The shortlist's id.")
HANDLE_PARAMETER = OpenApiParameter(
    "handle", OpenApiTypes.STR, OpenApiParameter.PATH, description="The creator's handle (any case)."
)
STATUS_PARAMETER = OpenApiParameter(
    "status", OpenApiTypes.STR, enum=list(EntryStatus.values), description="Only the entries with this status."
)


class ShortlistSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="Entries whose creator the partner can see now.")
    created_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ShortlistListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = ShortlistSerializer(many=True)


class ShortlistCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)


class EntrySerializer(serializers.Serializer):
    handle = serializers.CharField()
    display_name = serializers.CharField(allow_blank=True)
    followers = serializers.IntegerField(allow_null=True)
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="The visible indices (and `partner_score` with the partner's own weights), null without a "
        "scorecard in the published run.",
    )
    status = serializers.ChoiceField(choices=EntryStatus.choices)
    note = serializers.CharField(allow_blank=True)
    added_by = serializers.CharField(allow_null=True)
    added_at = serializers.DateTimeField()


class ShortlistDetailSerializer(ShortlistSerializer):
    status_counts = serializers.DictField(child=serializers.IntegerField())
    entries = EntrySerializer(many=True)


class EntriesAddSerializer(serializers.Serializer):
    handles = serializers.ListField(
        child=serializers.CharField(max_length=200), allow_empty=False, max_length=service.BULK_ADD_MAX,
        help_text=f"The creators to add (at most {service.BULK_ADD_MAX}). Any handle the partner cannot see "
        "refuses the whole request (404).",
    )
    status = serializers.ChoiceField(choices=EntryStatus.choices, default=EntryStatus.TO_CONTACT)
    note = serializers.CharField(allow_blank=True, max_length=ENTRY_NOTE_MAX_LENGTH, default="")


class EntriesAddedSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.CharField(), help_text="Handles put on the shortlist.")
    already = serializers.ListField(
        child=serializers.CharField(), help_text="Handles that were on it already (their status and note kept)."
    )
    entries = EntrySerializer(many=True)


class EntryUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=EntryStatus.choices, required=False)
    note = serializers.CharField(allow_blank=True, max_length=ENTRY_NOTE_MAX_LENGTH, required=False)


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def shortlist_item(shortlist: Shortlist) -> dict[str, Any]:
    return {
        "id": shortlist.pk,
        "name": shortlist.name,
        "size": getattr(shortlist, "size", None),
        "created_by": shortlist.created_by.get_username() if shortlist.created_by else None,
        "created_at": _iso(shortlist.created_at),
        "updated_at": _iso(shortlist.updated_at),
    }


def entry_item(item: service.Item, score_names: list[str]) -> dict[str, Any]:
    entry = item.entry
    return {
        "handle": item.handle,
        "display_name": entry.creator.display_name,
        "followers": item.followers,
        "scores": {name: (item.row.get(name) if item.row else None) for name in score_names},
        "status": entry.status,
        "note": entry.note,
        "added_by": entry.added_by.get_username() if entry.added_by else None,
        "added_at": _iso(entry.added_at),
    }


class ShortlistViewSet(ExportRenderersMixin, PartnerViewSetBase):
    """The partner's shortlists: list, create, read with entries, add entries, edit or remove one, export."""

    queryset = Shortlist.objects.all()  # restricted by the base to the partner's own (visible_to)
    pagination_class = None
    filter_backends: list[Any] = []
    serializer_class = ShortlistSerializer

    def _shortlist(self, pk: Any) -> Shortlist:
        shortlist = service.shortlist_of(self.access, pk)
        if shortlist is None:
            raise NotFound("No such shortlist.")
        return shortlist

    def _changed(self, shortlist: Shortlist, *, what: str, handles: list[str] | None = None, **details: Any) -> None:
        audit_record(
            access=self.access,
            request=self.request,
            action=AuditAction.SHORTLIST_CHANGE,
            object_handle=",".join(handles) if handles else None,
            filters={"change": what, "shortlist": shortlist.pk, "name": shortlist.name, **details},
            row_count=len(handles) if handles else None,
        )

    def _score_names(self) -> list[str]:
        return [column.name for column in presenters.index_columns(self.access)]

    @extend_schema(
        operation_id="shortlists_list", tags=[TAG], summary="The partner's shortlists",
        description="Every shortlist of the partner (shared by all its users), by name, with the number of "
        "entries whose creator the partner can see now.",
        responses={200: ShortlistListSerializer},
    )
    # Not DRF's "list" action: the answer is one object (count and results), which the schema would wrap in an array.
    def index(self, request: Request) -> Response:
        self.reject_params_except(request, ())
        self.audit_action = AuditAction.SHORTLIST_VIEW
        lists = service.sizes(self.access, self.get_queryset().select_related("created_by")).order_by("name")
        results = [shortlist_item(shortlist) for shortlist in lists]
        return Response({"count": len(results), "results": results})

    @extend_schema(
        operation_id="shortlists_create", tags=[TAG], summary="Start a shortlist",
        request=ShortlistCreateSerializer,
        responses={201: ShortlistSerializer, 400: OpenApiResponse(description="No name, or a name already used.")},
    )
    def create(self, request: Request) -> Response:
        self.reject_params_except(request, ())
        body = ShortlistCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = ShortlistCreateForm({"name": body.validated_data["name"]}, partner=self.access.partner)
        if not form.is_valid():
            raise ValidationError({"name": [str(error) for error in form.errors["name"]]})
        assert self.access.partner is not None
        shortlist = Shortlist.objects.create(
            partner=self.access.partner, name=form.cleaned_data["name"], created_by=self.access.user
        )
        self._changed(shortlist, what="create")
        shortlist.size = 0  # type: ignore[attr-defined]
        return Response(shortlist_item(shortlist), status=status.HTTP_201_CREATED)

    def _detail(self, shortlist: Shortlist, *, status_filter: str | None = None) -> dict[str, Any]:
        items = service.items(access=self.access, shortlist=shortlist, status=status_filter)
        counts = service.status_counts(self.access, shortlist)
        names = self._score_names()
        shortlist.size = sum(counts.values())  # type: ignore[attr-defined]
        return {
            **shortlist_item(shortlist),
            "status_counts": counts,
            "entries": [entry_item(item, names) for item in items],
        }

    @extend_schema(
        operation_id="shortlists_retrieve", tags=[TAG], summary="A shortlist and its entries",
        description="The shortlist with its entries, newest first: each creator's handle, followers and visible "
        "indices, its status, note, who added it and when. Creators the partner cannot see now are left out "
        "(they come back when the grant covers them again).",
        parameters=[ID_PARAMETER, STATUS_PARAMETER],
        responses={200: ShortlistDetailSerializer, 404: NOT_FOUND},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        self.reject_params_except(request, {"status"})
        self.audit_action = AuditAction.SHORTLIST_VIEW
        wanted = request.query_params.get("status") or None
        if wanted is not None and wanted not in EntryStatus.values:
            raise ValidationError({"status": [f"Choose one of {', '.join(EntryStatus.values)}."]})
        shortlist = self._shortlist(pk)
        data = self._detail(shortlist, status_filter=wanted)
        self.audit_row_count = len(data["entries"])
        return Response(data)

    @extend_schema(
        operation_id="shortlists_entries_add", tags=[TAG], summary="Add creators to a shortlist",
        description="Puts every handle on the shortlist in one request, with the status (default `to_contact`) "
        "and note given; creators already on it keep theirs. A handle the partner cannot see (hidden or unknown) "
        "refuses the whole request with 404 and adds nothing.",
        parameters=[ID_PARAMETER],
        request=EntriesAddSerializer,
        responses={201: EntriesAddedSerializer, 400: OpenApiResponse(description="Invalid body."), 404: NOT_FOUND},
    )
    def entries(self, request: Request, pk: str) -> Response:
        self.reject_params_except(request, ())
        shortlist = self._shortlist(pk)
        body = EntriesAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        handles = service.parse_handles(body.validated_data["handles"])
        try:
            creators = service.creators_resolve(access=self.access, handles=handles)
        except service.TooManyHandles as exc:
            raise ValidationError({"handles": [str(exc)]}) from exc
        except service.HandlesRefused:
            raise NotFound("Not every handle names a creator you can see.") from None
        result = service.entries_add(
            access=self.access,
            shortlist=shortlist,
            creators=creators,
            status=body.validated_data["status"],
            note=service.note_clean(body.validated_data["note"]),
        )
        self._changed(shortlist, what="add", handles=result.added, status=body.validated_data["status"])
        added = set(result.added) | set(result.already)
        names = self._score_names()
        listed = [
            entry_item(item, names)
            for item in service.items(access=self.access, shortlist=shortlist)
            if item.handle in added
        ]
        return Response(
            {"added": result.added, "already": result.already, "entries": listed}, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        operation_id="shortlists_entry_update", tags=[TAG], summary="Change an entry's status or note",
        parameters=[ID_PARAMETER, HANDLE_PARAMETER],
        request=EntryUpdateSerializer,
        responses={200: EntrySerializer, 400: OpenApiResponse(description="Invalid body."), 404: NOT_FOUND},
    )
    def entry_update(self, request: Request, pk: str, handle: str) -> Response:
        self.reject_params_except(request, ())
        shortlist = self._shortlist(pk)
        entry = service.entry_of(self.access, shortlist, handle)
        if entry is None:
            raise NotFound("This creator is not on the shortlist.")
        body = EntryUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        note = body.validated_data.get("note")
        changed = service.entry_update(
            entry=entry,
            status=body.validated_data.get("status"),
            note=service.note_clean(note) if note is not None else None,
        )
        self._changed(shortlist, what="edit", handles=[entry.creator.handle], fields=changed, status=entry.status)
        item = next(
            (i for i in service.items(access=self.access, shortlist=shortlist) if i.entry.pk == entry.pk), None
        )
        assert item is not None  # visible a moment ago, in the same request
        return Response(entry_item(item, self._score_names()))

    @extend_schema(
        operation_id="shortlists_entry_remove", tags=[TAG], summary="Take a creator off a shortlist",
        parameters=[ID_PARAMETER, HANDLE_PARAMETER],
        responses={204: None, 404: NOT_FOUND},
    )
    def entry_remove(self, request: Request, pk: str, handle: str) -> Response:
        self.reject_params_except(request, ())
        shortlist = self._shortlist(pk)
        entry = service.entry_of(self.access, shortlist, handle)
        if entry is None:
            raise NotFound("This creator is not on the shortlist.")
        entry.delete()
        self._changed(shortlist, what="remove", handles=[entry.creator.handle])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="shortlists_export", tags=[TAG], summary="Export a shortlist as CSV",
        description="The shortlist's visible creators with the creator export's columns, then each entry's "
        "status, note, who added it and when. Counts against the daily export row quota (429 beyond it).",
        parameters=[ID_PARAMETER, *CSV_OPTION_PARAMETERS],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV with a header row."),
                   404: NOT_FOUND},
    )
    def export(self, request: Request, pk: str) -> HttpResponseBase:
        return self._export(request, pk, Format.CSV)

    @extend_schema(
        operation_id="shortlists_export_xlsx", tags=[TAG], summary="Export a shortlist as an Excel workbook",
        parameters=[ID_PARAMETER, *EXPORT_OPTION_PARAMETERS],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX workbook."),
                   404: NOT_FOUND},
    )
    def export_xlsx(self, request: Request, pk: str) -> HttpResponseBase:
        return self._export(request, pk, Format.XLSX)

    def _export(self, request: Request, pk: str, fmt: Format) -> HttpResponseBase:
        self.reject_params_except(request, {"headers", "bom"})
        shortlist = self._shortlist(pk)
        try:
            options = export_options(request.query_params, default_bom=False)
        except ExportOptionError as error:
            raise ValidationError({error.field: [str(error)]}) from error
        return service.export_response(
            access=self.access, shortlist=shortlist, request=request, fmt=fmt, options=options, api=True
        )
