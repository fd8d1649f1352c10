"""API of follows and alerts (DESIGN 7): ``POST, DELETE creators/<handle>/follow/`` and ``GET notifications/``.

Built on ``PartnerViewSetBase`` (analysts and managers, audited, no-store). A hidden handle is the scorecard's
audited 404; the alerts carry only lines about creators and indices the user can see now.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from creators.api_pagination import CursorLinksMixin
from creators.pagination import keyset_page
from partners import alerts
from partners.api import PartnerViewSetBase
from partners.choices import AlertAction, ItemKind

NOTIFICATIONS_PAGE_SIZE = 20
NOTIFICATIONS_MAX_PAGE_SIZE = 100
HANDLE_PARAMETER = OpenApiParameter(
    "handle", OpenApiTypes.STR, OpenApiParameter.PATH, description="The creator's handle."
)
NOT_FOUND = OpenApiResponse(description="No visible creator with this handle (unknown, or outside the grant).")


class FollowSerializer(serializers.Serializer):
    handle = serializers.CharField(help_text="The creator's handle.")
    following = serializers.BooleanField(help_text="Whether the user now follows the creator.")


class AlertLineSerializer(serializers.Serializer):
    """One line of a digest."""

    kind = serializers.ChoiceField(choices=ItemKind.choices, help_text="`move` (a followed creator's index moved "
                                   "by at least the user's threshold) or `new_match` (new to a subscribed search).")
    handle = serializers.CharField()
    display_name = serializers.CharField()
    index = serializers.CharField(allow_null=True, help_text="A move's index (`overall`, `care`...), a visible one.")
    value = serializers.FloatField(allow_null=True, help_text="The index in that run (0-100).")
    change = serializers.FloatField(allow_null=True, help_text="Its change against the compared run, in points.")
    search = serializers.CharField(allow_null=True, help_text="The saved search a new match is new to.")


class AlertSerializer(serializers.Serializer):
    """One digest: the alerts of one published run."""

    id = serializers.IntegerField()
    as_of = serializers.DateField(help_text="The as-of date of the run.")
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()
    lines = AlertLineSerializer(many=True)


class AlertPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous (newer) page, or null.")
    results = AlertSerializer(many=True)


class FollowViewSet(PartnerViewSetBase):
    """``creators/<handle>/follow/``: POST follows a visible creator, DELETE stops following it."""

    serializer_class = FollowSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    audit_action = AlertAction.FOLLOW_CHANGE

    @extend_schema(
        operation_id="creators_follow", tags=["alerts"], summary="Follow a creator",
        description="Its moves of at least the user's threshold come in the user's alerts after each run. "
        "Following a creator already followed changes nothing (200).",
        parameters=[HANDLE_PARAMETER], request=None,
        responses={201: FollowSerializer, 200: FollowSerializer, 404: NOT_FOUND},
    )
    def follow(self, request: Request, handle: str) -> Response:
        creator = self.get_creator_or_404(handle)
        self.audit_object_handle = creator.handle
        created = alerts.follow_set(access=self.access, creator=creator, following=True)
        return Response({"handle": creator.handle, "following": True}, status=201 if created else 200)

    @extend_schema(
        operation_id="creators_unfollow", tags=["alerts"], summary="Stop following a creator",
        parameters=[HANDLE_PARAMETER], responses={204: None, 404: NOT_FOUND},
    )
    def unfollow(self, request: Request, handle: str) -> Response:
        creator = self.get_creator_or_404(handle)
        self.audit_object_handle = creator.handle
        alerts.follow_set(access=self.access, creator=creator, following=False)
        return Response(status=204)


class NotificationViewSet(CursorLinksMixin, PartnerViewSetBase):
    """``GET notifications/``: the user's digests, newest first, each with the lines the user can see now."""

    default_page_size = NOTIFICATIONS_PAGE_SIZE
    max_page_size = NOTIFICATIONS_MAX_PAGE_SIZE

    serializer_class = AlertSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    audit_action = AlertAction.NOTIFICATIONS_VIEW
    KNOWN_PARAMS = frozenset({"cursor", "page_size"})

    @extend_schema(
        operation_id="notifications_list", tags=["alerts"], summary="The user's alerts",
        description="One digest per published run that had something to say: followed creators whose overall "
        "score or a visible index moved by at least the user's threshold, and creators new to a subscribed saved "
        "search. Only creators and indices the grant shows now. Paged by cursor (follow `next`).",
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The opaque cursor of a `next`/`previous` link."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description=f"Digests per page (default "
                             f"{NOTIFICATIONS_PAGE_SIZE}, at most {NOTIFICATIONS_MAX_PAGE_SIZE})."),
        ],
        responses={200: AlertPageSerializer},
    )
    def list(self, request: Request) -> Response:
        self.reject_params_except(request, self.KNOWN_PARAMS)
        page = keyset_page(
            alerts.notifications_shown(self.access),
            page_size=self.requested_page_size(request),
            cursor=request.query_params.get("cursor") or None,
        )
        digests = alerts.digests_for(access=self.access, notifications=page.rows)
        self.audit_row_count = len(digests)
        return Response({
            "next": self.cursor_link(request, page.next_cursor),
            "previous": self.cursor_link(request, page.previous_cursor),
            "results": [_digest(digest) for digest in digests],
        })



def _digest(digest: alerts.Digest) -> dict[str, Any]:
    note = digest.notification
    lines: list[dict[str, Any]] = []
    for entry in digest.moved:
        for move in entry.moves:
            lines.append({
                "kind": ItemKind.MOVE, "handle": entry.creator.handle, "display_name": entry.creator.display_name,
                "index": move.index, "value": move.value, "change": move.change, "search": None,
            })
    for news in digest.new:
        for creator in news.creators:
            lines.append({
                "kind": ItemKind.NEW_MATCH, "handle": creator.handle, "display_name": creator.display_name,
                "index": None, "value": None, "change": None, "search": news.name,
            })
    return {"id": note.pk, "as_of": note.as_of, "created_at": note.created_at, "read": note.read_at is not None,
            "lines": lines}
