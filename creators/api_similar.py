"""``GET /api/v1/creators/<handle>/similar/``: the visible creators closest to one creator (issue 20 item 1).

Built on ``partners.api.PartnerViewSetBase`` like every partner endpoint (API roles only, audited, no-store); a
handle the partner may not see answers the scorecard's own audited 404 (``partners.views.creator_visible_or_404``).
The creators and their reasons come from ``creators.similar.similar_creators``: visible creators and visible
indices only.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from creators.api import NOT_FOUND
from creators.models import Creator
from creators.serializers import ScoresSerializer
from creators.similar import SimilarCreator, similar_creators
from partners.api import PartnerViewSetBase
from partners.choices import AuditAction
from scoring.selectors import published_run


class SimilarCreatorSerializer(serializers.Serializer):
    """One similar creator (documents the shape; an index of a hidden tier is absent from ``scores``)."""

    handle = serializers.CharField(help_text="The creator's handle, without '@'.")
    display_name = serializers.CharField(help_text="Display name.")
    categories = serializers.ListField(child=serializers.CharField(), help_text="Category slugs, primary first.")
    followers = serializers.IntegerField(allow_null=True, help_text="Latest follower count.")
    scores = ScoresSerializer(help_text="The visible indices, 0-100, or null.")
    shared_categories = serializers.ListField(
        child=serializers.CharField(), help_text="The category slugs it shares with the creator asked about."
    )
    close_on = serializers.ListField(
        child=serializers.CharField(), help_text="The visible indices it is closest on, closest first."
    )
    reason = serializers.CharField(help_text='Why it is listed, e.g. "same category beauty; close on care and sales".')


class SimilarPageSerializer(serializers.Serializer):
    compared_on = serializers.ListField(
        child=serializers.CharField(), help_text="The visible indices the distance is computed over."
    )
    results = SimilarCreatorSerializer(many=True, help_text="Nearest first.")
    empty_reason = serializers.CharField(
        allow_null=True, help_text="Why `results` is empty (null when it is not): "
        "`needs_overall`, `no_overall`, `no_scorecard` or `no_candidates`."
    )


def similar_item(item: SimilarCreator, indices: tuple[str, ...]) -> dict[str, Any]:
    """One result: the profile, the visible indices, the shared categories and the reason."""
    row = item.row
    return {
        "handle": row["handle"],
        "display_name": row["display_name"],
        "categories": list(row["categories"]),
        "followers": row["followers"],
        "scores": {name: row[name] for name in indices},
        "shared_categories": list(item.shared_categories),
        "close_on": list(item.close_on),
        "reason": item.reason,
    }


class CreatorSimilarViewSet(PartnerViewSetBase):
    """The similar creators of a visible creator (404 and a denied event for any other handle)."""

    queryset = Creator.objects.all()
    serializer_class = SimilarCreatorSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    lookup_field = "handle"
    KNOWN_PARAMS: frozenset[str] = frozenset()  # no query parameter of its own

    @extend_schema(
        operation_id="creators_similar",
        tags=["creators"],
        summary="Similar creators",
        description="The visible creators that share a category with this one and are closest to it on the "
        "visible indices (a hidden index never takes part, not even in the order), nearest first, each with a "
        "short reason. Needs the overall index (`performance` tier).",
        parameters=[
            OpenApiParameter("handle", OpenApiTypes.STR, OpenApiParameter.PATH, description="The creator's handle."),
        ],
        responses={200: SimilarPageSerializer, 404: NOT_FOUND},
    )
    def similar(self, request: Request, handle: str) -> Response:
        self.audit_action = AuditAction.CREATOR_SIMILAR
        self.reject_params_except(request, self.KNOWN_PARAMS)
        creator = self.get_creator_or_404(handle)
        self.audit_object_handle = creator.handle
        result = similar_creators(access=self.access, creator=creator, run=published_run())
        self.audit_row_count = len(result.items)
        indices = self.access.visible_indices
        return Response({
            "compared_on": list(result.compared_on),
            "results": [similar_item(item, indices) for item in result.items],
            "empty_reason": None if result.items else result.empty,
        })
