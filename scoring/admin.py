"""Admin of scoring runs: read-only runs with a progress bar, and a "Start scoring run" button for staff."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse

from scoring.choices import INDEX_NAMES, RunStatus
from scoring.models import ScoringChunk, ScoringRun


def medians_context(medians: dict[str, Any]) -> dict[str, Any]:
    """The run's ``medians`` JSON as rows for the medians template, indices in their usual order.

    ``groups``: per index, the reference groups of "why this score"; ``indices``: the population medians of the
    radar; ``pooled``: the pooled rates; ``categories``: the median impact per category.
    """
    order = [*INDEX_NAMES, "impact", "overall"]

    def rank(name: str) -> tuple[int, str]:
        return (order.index(name) if name in order else len(order), name)

    groups = medians.get("groups", {})
    population = medians.get("indices", {})
    return {
        "groups": [
            {"index": name, **group}
            for name in sorted(groups, key=rank)
            for _, group in sorted(groups[name].items())
        ],
        "population": [{"index": name, **population[name]} for name in sorted(population, key=rank)],
        "pooled": [{"name": name.replace("_", " "), "value": value}
                   for name, value in medians.get("pooled", {}).items()],
        "categories": [{"slug": slug, **row} for slug, row in sorted(medians.get("categories", {}).items())],
    }


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

    # Seven narrow columns, so the list reads at 1440 px beside its filter sidebar: the window (nearly always
    # 90 days) and the trigger are on the run's page and in the filters; the progress bar shows only while active.
    list_display = ("run", "as_of", "state", "published", "creators", "created_at", "duration")
    list_display_links = ("run",)
    list_filter = ("status", "is_published", "triggered_by", "window_days")
    date_hierarchy = "as_of"
    ordering = ("-id",)
    inlines = [ScoringChunkInline]
    change_list_template = "admin/scoring/scoringrun/change_list.html"
    change_form_template = "admin/scoring/scoringrun/change_form.html"

    # One field per line; the medians as tables (``medians_table``) instead of their JSON.
    fieldsets = [
        (None, {"fields": ["as_of", "window_days", "status", "progress_bar", "is_published", "triggered_by",
                           "requested_by", "compared_run", "error"]}),
        ("Counts", {"fields": ["creators_count", "videos_count", "chunks_total", "chunks_done"]}),
        ("Times", {"fields": ["created_at", "started_at", "progress_at", "finished_at", "published_at", "duration"]}),
        ("Reference medians", {"fields": ["medians_table"]}),
        ("Internals", {"classes": ["collapse"], "fields": ["is_active", "revision", "timings_table"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        shown = ["progress_bar", "duration", "medians_table", "timings_table"]
        return [f.name for f in self.model._meta.fields] + shown

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

    @admin.display(description="run", ordering="id")
    def run(self, obj: ScoringRun) -> str:
        return f"Run {obj.pk}"

    @admin.display(description="published", boolean=True, ordering="is_published")
    def published(self, obj: ScoringRun) -> bool:
        return obj.is_published

    @admin.display(description="creators", ordering="creators_count")
    def creators(self, obj: ScoringRun) -> str:
        return f"{obj.creators_count:,}"

    @admin.display(description="status", ordering="status")
    def state(self, obj: ScoringRun) -> str:
        if obj.is_active:
            return self.progress_bar(obj)
        return obj.get_status_display()

    @admin.display(description="medians")
    def medians_table(self, obj: ScoringRun) -> str:
        return render_to_string("admin/scoring/scoringrun/medians.html", medians_context(obj.medians or {}))

    @admin.display(description="timings")
    def timings_table(self, obj: ScoringRun) -> str:
        steps = [{"name": name.removesuffix("_s").replace("_", " "), "seconds": seconds}
                 for name, seconds in (obj.timings or {}).items()]
        return render_to_string("admin/scoring/scoringrun/timings.html", {"steps": steps})

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
