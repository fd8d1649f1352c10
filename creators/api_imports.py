"""Staff endpoints for imports: upload a file of a kind, then follow the job to its end.

The upload becomes an ``ImportJob`` through ``creators.services.import_job_create``, which stores the file and
queues ``creators.tasks.import_job_run`` when the job is committed: the same importers as ``import_data`` run in a
Celery worker (in-process in the embedded set-up). The admin's upload page (``creators.admin_imports``) creates the
same jobs and follows them through ``GET /api/v1/imports/<id>/``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import RetrieveAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.rest import NoStoreMixin
from creators.choices import ImportJobStatus
from creators.models import ImportJob
from creators.services import IMPORT_KINDS, import_job_create, import_job_progress

# Bytes read from the start of a file to estimate its number of rows (for a running job's percentage).
_SAMPLE_BYTES = 64 * 1024


def estimated_rows(job: ImportJob) -> int | None:
    """About how many data rows the job's file has, from the average line length of its first 64 KB."""
    try:
        size = job.file.size
        with job.file.open("rb") as handle:
            sample = handle.read(_SAMPLE_BYTES)
    except (OSError, ValueError):
        return None
    lines = sample.count(b"\n")
    if not sample or lines == 0:
        return None
    if len(sample) >= size:
        return max(0, lines - 1)  # the whole file: exact (minus the header)
    return max(1, round(size / (len(sample) / lines)) - 1)


def progress_percent(job: ImportJob) -> int:
    """0-100 for a progress bar: exact once the job has finished, estimated while it validates rows."""
    if job.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED):
        return 100
    done = import_job_progress(job)
    if job.status == ImportJobStatus.PENDING or not done:
        return 0
    total = estimated_rows(job)
    if not total:
        return 0
    # Never 100 before the end: validation is followed by the upsert, which takes its own time.
    return min(99, int(100 * done / total))


class ImportErrorSerializer(serializers.Serializer):
    """One problem in the file; the file is rejected as a whole when there is any."""

    line = serializers.IntegerField(help_text="Line of the file (1 is the header).")
    column = serializers.CharField(help_text="Column name, or `*` for the whole line or file.")
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    """An import job as staff follow it."""

    file_name = serializers.SerializerMethodField(help_text="Name of the uploaded file.")
    progress = serializers.SerializerMethodField(help_text="Rows validated so far.")
    progress_percent = serializers.SerializerMethodField(
        help_text="0-100, for a progress bar: estimated from the rows validated so far while running."
    )
    # The job's errors; the name shadows ``Serializer.errors``, harmless on a read-only serializer.
    errors = ImportErrorSerializer(  # type: ignore[assignment]
        many=True, read_only=True, help_text="The first 1,000 problems found."
    )
    requested_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "file_name",
            "dry_run",
            "status",
            "progress",
            "progress_percent",
            "rows",
            "created",
            "updated",
            "unchanged",
            "error_count",
            "errors",
            "error",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": "pending → running → succeeded, or failed (see `error` and `errors`)."},
            "rows": {"help_text": "Data rows in the file (when finished)."},
            "created": {"help_text": "Rows that created a record."},
            "updated": {"help_text": "Rows that changed a record."},
            "unchanged": {"help_text": "Rows identical to what was stored (importing a file twice changes nothing)."},
            "error_count": {"help_text": "Problems found in the file (all of them; `errors` lists the first)."},
            "error": {"help_text": "Why the job failed, in one sentence; empty otherwise."},
        }

    def get_file_name(self, job: ImportJob) -> str:
        return (job.file.name or "").rsplit("/", 1)[-1]

    def get_progress(self, job: ImportJob) -> int:
        return import_job_progress(job)

    def get_progress_percent(self, job: ImportJob) -> int:
        return progress_percent(job)


class ImportUploadSerializer(serializers.Serializer):
    """A file to import, and its kind (docs/import-formats.md)."""

    kind = serializers.ChoiceField(choices=list(IMPORT_KINDS), help_text="What the file holds.")
    file = serializers.FileField(help_text="UTF-8 CSV with a header row.")
    dry_run = serializers.BooleanField(
        default=False, help_text="Validate and count only; nothing is written."
    )

    def validate_file(self, value: Any) -> Any:
        if value.size > settings.IMPORT_MAX_BYTES:
            raise serializers.ValidationError(
                f"The file has {value.size:,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,}."
            )
        return value


class ImportCreateView(NoStoreMixin, APIView):
    """Upload a file to import."""

    permission_classes = [IsAdminUser]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="imports_create",
        tags=["staff"],
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportJobSerializer},
        summary="Upload a file to import",
        description="Staff only. Answers 202 with the job; follow it at `GET /api/v1/imports/{id}/`. The whole file "
        "is validated first: any invalid row rejects it (status `failed`, every problem in `errors`) and nothing is "
        "written. A successful import that changed something queues a scoring run.",
        examples=[OpenApiExample("Videos", value={"kind": "videos", "file": "videos.csv"}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        job = import_job_create(
            kind=upload.validated_data["kind"],
            file=upload.validated_data["file"],
            dry_run=upload.validated_data["dry_run"],
            requested_by=request.user,
        )
        job.refresh_from_db()  # in the embedded (eager) set-up the job has already run
        headers = {"Location": reverse("api:import-detail", kwargs={"pk": job.pk})}
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED, headers=headers)


class ImportDetailView(NoStoreMixin, RetrieveAPIView):
    """An import job's status, progress, counts and row errors."""

    permission_classes = [IsAdminUser]
    serializer_class = ImportJobSerializer
    queryset = ImportJob.objects.select_related("requested_by")

    @extend_schema(operation_id="imports_retrieve", tags=["staff"], summary="Follow an import",
                   description="Staff only. Poll until `status` is `succeeded` or `failed`.")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
