"""Admin of scoring runs: read-only runs with a progress bar, and a "Start scoring run" button for staff."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse

from scoring.choices import RunStatus
from scoring.models import ScoringChunk, ScoringRun


class ScoringChunkInline(admin.TabularInline[ScoringChunk, ScoringRun]):
    model = ScoringChunk
    fields = ("number", "first_creator_id", "last_creator_id", "creators_count", "is_done", "attempts", "seconds")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin[ScoringRun]):
    """Runs are written only by the scoring engine: the admin shows them and starts new ones."""

    list_display = (
        "id", "as_of", "window_days", "status", "progress_bar", "is_published", "creators_count", "triggered_by",
        "created_at", "duration",
    )
    list_filter = ("status", "is_published", "triggered_by")
    ordering = ("-id",)
    inlines = [ScoringChunkInline]
    change_list_template = "admin/scoring/scoringrun/change_list.html"
    change_form_template = "admin/scoring/scoringrun/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields] + ["progress_bar", "duration"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Viewing only; the change form renders read-only.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="progress")
    def progress_bar(self, obj: ScoringRun) -> str:
        return render_to_string("admin/scoring/scoringrun/progress.html", {"run": obj})

    @admin.display(description="duration")
    def duration(self, obj: ScoringRun) -> str:
        total = (obj.timings or {}).get("total_s")
        return "" if total is None else f"{total:.1f} s"

    def get_urls(self) -> list[URLPattern]:
        return [
            path("start/", self.admin_site.admin_view(self.start_view), name="scoring_scoringrun_start"),
            *super().get_urls(),
        ]

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.is_staff:
            return HttpResponseRedirect(reverse("admin:index"))
        # Imported on use: admin modules load at every process's start-up (autodiscovery), and scoring.services
        # brings the task queue's client (redis) and DRF, which e.g. ``manage.py import_data`` never needs.
        from scoring.services import NothingToScore, scoring_run_request

        try:
            run = scoring_run_request(triggered_by="admin", requested_by=request.user)
        except NothingToScore as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:scoring_scoringrun_changelist"))
        if run.status in (RunStatus.PENDING, RunStatus.RUNNING):
            self.message_user(request, f"Scoring run {run.pk} is {run.status}.", messages.SUCCESS)
        else:
            level = messages.SUCCESS if run.status == RunStatus.SUCCEEDED else messages.ERROR
            self.message_user(request, f"Scoring run {run.pk} {run.status}. {run.error}".strip(), level)
        return HttpResponseRedirect(reverse("admin:scoring_scoringrun_change", args=[run.pk]))

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "active_run": ScoringRun.objects.filter(is_active=True).first()}
        return super().changelist_view(request, extra_context)
