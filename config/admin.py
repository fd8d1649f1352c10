"""The project's admin site: Django's, with autocomplete results a model admin may describe in words.

Django's autocomplete answers ``str(obj)`` for every result; a staff member picking a creator among thousands
needs more than the handle. A model admin that defines ``autocomplete_text(obj)`` (e.g. ``CreatorAdmin``:
handle, display name and followers) has its results described by it; every other model keeps ``str(obj)``.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.http import HttpRequest, HttpResponse


class DescribedAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete, with the result text from ``model_admin.autocomplete_text`` when it has one."""

    def serialize_result(self, obj: Any, to_field_name: str) -> dict[str, str]:
        result = super().serialize_result(obj, to_field_name)
        describe = getattr(self.model_admin, "autocomplete_text", None)
        if describe is not None:
            result["text"] = describe(obj)
        return result


class ProjectAdminSite(admin.AdminSite):
    """``admin.site`` (installed through ``config.apps.ProjectAdminConfig``)."""

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        # A JsonResponse, as Django's own; ``as_view`` is typed with the base class.
        return cast(HttpResponse, DescribedAutocompleteJsonView.as_view(admin_site=self)(request))
