"""Admin for the raw catalogue: categories and creators, searchable so grant pickers can autocomplete.

Creators number in the millions: the change list never counts the whole table, and pickers elsewhere use
``autocomplete_fields`` against the search defined here (handle prefix or exact external id).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from creators import admin_imports  # noqa: F401 - registers the import job admin: upload page, live progress
from creators.models import Category, Creator
from scoring.services import scorecards_access_sync


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]
    ordering = ["slug"]


@admin.register(Creator)
class CreatorAdmin(admin.ModelAdmin):
    list_display = ["handle", "display_name", "country", "primary_category", "followers", "data_updated_at"]
    list_filter = ["primary_category", "source"]
    list_select_related = ["primary_category"]
    # Prefix search on the handle and exact external id: what staff type, and cheap on a large table.
    search_fields = ["^handle", "=external_id", "^display_name"]
    search_help_text = "Handle (prefix), display name (prefix) or exact external id."
    autocomplete_fields = ["primary_category", "categories"]
    readonly_fields = ["created_at", "data_updated_at", "source"]
    ordering = ["handle"]
    # Counting a million rows on every page is what makes a large admin slow.
    show_full_result_count = False
    list_per_page = 50

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Keep the invariant the access layer relies on: the primary category is one of the categories.
        form.instance.categories.add(form.instance.primary_category)
        # The published run's copies of the categories and country, in this transaction (the admin wraps it).
        scorecards_access_sync(creator_ids=[form.instance.pk])
