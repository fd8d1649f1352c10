"""Staff endpoints for scoring runs: start one, follow it.

Starting goes through ``scoring.services.scoring_run_request``, the same entry point as the command line, the
admin button and the nightly beat task: a request while a run is pending or running joins that run (answering
its id) instead of starting a second one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import RetrieveAPIView
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.rest import NoStoreMixin
from scoring.models import ScoringRun
from scoring.services import NothingToScore, scoring_run_request


class ScoringRunSerializer(serializers.ModelSerializer[ScoringRun]):
    """A scoring run as staff follow it."""

    requested_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ScoringRun
        fields = [
            "id",
            "status",
            "is_published",
            "as_of",
            "window_days",
            "progress",
            "chunks_total",
            "chunks_done",
            "creators_count",
            "videos_count",
            "triggered_by",
            "requested_by",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "published_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": "pending → running → succeeded (and published) or failed."},
            "progress": {"help_text": "0-100."},
            "is_published": {"help_text": "Whether partners currently see this run's scores."},
            "as_of": {"help_text": "Last day of the window (inclusive)."},
            "error": {"help_text": "Why the run failed; empty otherwise."},
        }


class ScoringRunRequestSerializer(serializers.Serializer[Any]):
    """Parameters of a new run; both optional."""

    as_of = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Last day of the window (YYYY-MM-DD). Default: the date of the newest imported video.",
    )
    window_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=7,
        max_value=730,
        help_text=f"Window length in days (default {settings.SCORING_WINDOW_DAYS}).",
    )


class ScoringRunCreateView(NoStoreMixin, APIView):
    """Start a scoring run (or join the one in progress)."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="scoring_runs_create",
        tags=["staff"],
        request=ScoringRunRequestSerializer,
        responses={
            202: ScoringRunSerializer,
            409: OpenApiResponse(description="No video has been imported yet: nothing to score, no run started."),
        },
        summary="Start a scoring run",
        description="Staff only. Answers 202 with the run; follow it at `GET /api/v1/scoring-runs/{id}/`. When a "
        "run is already pending or running, that run is answered instead of starting a second one. Before any video "
        "has been imported, 409 with a `detail` message and no run.",
        examples=[OpenApiExample("Defaults", value={}, request_only=True),
                  OpenApiExample("As of a date", value={"as_of": "2020-11-07", "window_days": 90},
                                 request_only=True)],
    )
    def post(self, request: Request) -> Response:
        params = ScoringRunRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            run = scoring_run_request(
                triggered_by="api",
                requested_by=request.user,
                as_of=params.validated_data.get("as_of"),
                window_days=params.validated_data.get("window_days"),
            )
        except NothingToScore as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        run.refresh_from_db()  # in the embedded (eager) set-up the run has already finished: show how it ended
        headers = {"Location": reverse("api:scoring-run-detail", kwargs={"pk": run.pk})}
        return Response(ScoringRunSerializer(run).data, status=status.HTTP_202_ACCEPTED, headers=headers)


class ScoringRunDetailView(NoStoreMixin, RetrieveAPIView[ScoringRun]):
    """A scoring run's status and progress."""

    permission_classes = [IsAdminUser]
    serializer_class = ScoringRunSerializer
    queryset = ScoringRun.objects.select_related("requested_by")

    @extend_schema(operation_id="scoring_runs_retrieve", tags=["staff"], summary="Follow a scoring run",
                   description="Staff only. Poll until `status` is `succeeded` or `failed`.")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
