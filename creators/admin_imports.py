"""The admin's import page: staff upload a file, then watch its job run with a live progress bar and its row errors.

"Add import job" is an upload form (kind, file, dry run) that creates the job through
``creators.services.import_job_create``, exactly as ``POST /api/v1/imports/`` does. The job's page shows its
outcome and, while it is pending or running, polls ``GET /api/v1/imports/<id>/`` (the staff session authenticates
it) to move the progress bar, then reloads to show the counts and every row error. Jobs are a record: they cannot
be edited, and deleting one only removes the record (imports are never undone).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse

from creators.choices import ImportJobStatus
from creators.models import ImportJob
from creators.services import IMPORT_KINDS, import_job_create


class ImportUploadForm(forms.Form):
    """The upload form of the admin page."""

    kind = forms.ChoiceField(choices=[(kind, kind) for kind in IMPORT_KINDS], help_text="What the file holds.")
    file = forms.FileField(help_text="UTF-8 CSV with a header row (see docs/import-formats.md).")
    dry_run = forms.BooleanField(required=False, help_text="Validate and count only; write nothing.")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "file_name", "status", "progress_bar", "rows", "created", "updated", "unchanged",
                    "error_count", "requested_by", "created_at"]
    list_filter = ["status", "kind", "dry_run"]
    list_select_related = ["requested_by"]
    ordering = ["-id"]
    show_full_result_count = False
    add_form_template = "admin/creators/importjob/upload.html"
    change_form_template = "admin/creators/importjob/job.html"

    # --- list ---------------------------------------------------------------------------------------------------

    @admin.display(description="file")
    def file_name(self, job: ImportJob) -> str:
        return (job.file.name or "").rsplit("/", 1)[-1]

    @admin.display(description="progress")
    def progress_bar(self, job: ImportJob) -> str:
        from creators.api_imports import progress_percent  # see change_view

        return render_to_string("admin/creators/importjob/progress.html", {"percent": progress_percent(job)})

    # --- permissions: a record, not an editable object --------------------------------------------------------

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Viewing is allowed (the job page); saving is not.
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("requested_by")

    # --- upload -------------------------------------------------------------------------------------------------

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        if not self.has_add_permission(request):
            return self._denied(request)
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = import_job_create(
                kind=form.cleaned_data["kind"],
                file=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
                requested_by=request.user,
            )
            messages.info(request, f"Import {job.pk} of {job.kind} queued.")
            return HttpResponseRedirect(reverse("admin:creators_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a file",
            "form": form,
            "opts": self.model._meta,
            "has_view_permission": True,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.add_form_template, context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        job = self.get_object(request, object_id)
        if job is None or not self.has_view_permission(request, job):
            # The admin's own "does not exist" redirect (private, so missing from django-stubs).
            return self._get_obj_does_not_exist_redirect(  # type: ignore[attr-defined]
                request, self.model._meta, object_id
            )
        # Imported when a page is shown: the API module brings DRF and the schema generator, which every process
        # would otherwise load at start-up through the admin's autodiscovery (``import_data`` included).
        from creators.api_imports import ImportJobSerializer

        data = ImportJobSerializer(job).data
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import {job.pk}: {job.kind}",
            "job": job,
            "data": data,
            "finished": job.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED),
            "status_url": reverse("api:import-detail", kwargs={"pk": job.pk}),
            "opts": self.model._meta,
            "original": job,
            "has_view_permission": True,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_form_template, context)

    def _denied(self, request: HttpRequest) -> HttpResponse:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
