"""The one filter set of the creator list, shared by the HTML list, the API list and the CSV export.

Build it per request on the restricted queryset of ``creators.selectors.creator_list``:

    qs = creator_list(access=access)
    filterset = CreatorFilterSet(request.GET, queryset=qs, request=request)   # or access=access
    if not filterset.is_valid(): ...   # API: 400 with filterset.errors; HTML: show the messages
    rows = filterset.qs                 # always safe: invalid or forbidden parameters are never applied

As the API's ``filterset_class``, DRF's ``DjangoFilterBackend`` passes ``request`` and answers 400 on errors.

Filter names (DESIGN section 7): ``q``, ``category``, ``country``, ``followers_min``, ``followers_max``,
``<index>_min``/``<index>_max`` for overall, collaboration, care, volume, effectiveness, sales, consistency,
``<index>_change_min``/``<index>_change_max`` for their changes against the previous published run (points, -100
to 100; issue 19), ``impact_category`` with ``impact_min``, and ``ordering`` (comma-separated, ``-`` for
descending; an index or its change, e.g. ``-overall_change``).

No oracle: a filter or an ordering on a field outside the partner's tiers is removed from the set (not rendered,
never applied) and, when present in the request, reported as an error on that parameter; it never changes the
rows. ``category`` and ``country`` choices come only from what the partner can see.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import django_filters
from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from creators.fields import CountFilter
from creators.models import Category
from partners.access import Access, access_for_request
from partners.visibility import category_ids_q
from scoring.catalogue import CHANGE_FIELDS, FILTERABLE_INDICES
from scoring.models import CategoryImpact, Scorecard

# The catalogue field each access-controlled filter touches (profile filters are always allowed).
_FILTER_FIELD: dict[str, str] = {
    **{f"{name}_{bound}": name for name in FILTERABLE_INDICES for bound in ("min", "max")},
    # A change has the tier of its index (its catalogue field says so).
    **{f"{change}_{bound}": change for change in CHANGE_FIELDS.values() for bound in ("min", "max")},
    "impact_category": "impact",
    "impact_min": "impact",
}
# Orderable names besides the visible indices (profile fields, always visible).
_PROFILE_ORDERINGS = ("handle", "display_name", "country", "followers")
PARTNER_SCORE = "partner_score"
FORBIDDEN_MESSAGE = "This field is not available to your organisation."


class CreatorFilterForm(forms.Form):
    """The filter form; it reports forbidden parameters (already removed from its fields) as errors."""

    forbidden_params: tuple[str, ...] = ()
    allowed_orderings: frozenset[str] = frozenset()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for name in self.forbidden_params:
            # The field is not on the form (it must not render), so add_error() cannot be used; ``_errors`` is
            # Django's own error dict (missing from django-stubs).
            self._errors[name] = self.error_class(  # type: ignore[attr-defined]
                [ValidationError(FORBIDDEN_MESSAGE, code="forbidden")]
            )
        ordering = cleaned.get("ordering")
        if ordering:
            keys = [key.strip() for key in ordering.split(",") if key.strip()]
            unknown = [key for key in keys if key.lstrip("-") not in self.allowed_orderings]
            if unknown:
                self.add_error(
                    "ordering",
                    ValidationError(
                        "Cannot order by %(keys)s. Allowed: %(allowed)s.",
                        code="invalid_ordering",
                        params={"keys": ", ".join(unknown), "allowed": ", ".join(sorted(self.allowed_orderings))},
                    ),
                )
            else:
                cleaned["ordering"] = keys
        if cleaned.get("impact_min") is not None and not cleaned.get("impact_category"):
            self.add_error("impact_min", ValidationError("impact_min needs impact_category.", code="required"))
        return cleaned


class VisibleCategoryField(django_filters.fields.ModelChoiceField):
    """A category chosen by slug among the categories the request may see, looked up in a list read once.

    Django's ``ModelChoiceField`` runs ``queryset.get(slug=...)`` for each value, and the list page reads the same
    visible categories again for its two selects: the filter set reads them once (``visible_categories``) and
    passes the lookup here as ``categories``. Without it the field behaves as ``ModelChoiceField``.
    """

    def __init__(self, *args: Any, categories: Callable[[], dict[str, Category]] | None = None, **kwargs: Any):
        self.categories = categories
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        if self.categories is None or value in self.empty_values:
            return super().to_python(value)
        self.validate_no_null_characters(value)
        slug = value.slug if isinstance(value, Category) else str(value)
        category = self.categories().get(slug)
        if category is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return category


class VisibleCategoryFilter(django_filters.ModelChoiceFilter):
    """``ModelChoiceFilter`` over the visible categories (see ``VisibleCategoryField``)."""

    field_class = VisibleCategoryField


def _index_min(name: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(
        field_name=name, lookup_expr="gte", label=f"{name.title()} at least", min_value=0, max_value=100
    )


def _index_max(name: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(
        field_name=name, lookup_expr="lte", label=f"{name.title()} at most", min_value=0, max_value=100
    )


def _change_bound(name: str, bound: str) -> django_filters.NumberFilter:
    """``<index>_change_min`` / ``_max``: the change against the previous published run, in points (a creator
    without a change, new or without the index in either run, never matches a bound)."""
    index = name.removesuffix("_change")
    return django_filters.NumberFilter(
        field_name=name, lookup_expr="gte" if bound == "min" else "lte",
        label=f"{index.title()} change {'at least' if bound == 'min' else 'at most'} (points)",
        min_value=-100, max_value=100,
    )


# Distinct countries of a large visible set cost a scan of it (about 0.3 s at a million creators), and every list
# page renders the dropdown: cache them per grant scope for a few minutes (new countries arrive only by import).
COUNTRY_CHOICES_CACHE_SECONDS = 300


def country_choices(access: Access) -> list[tuple[str, str]]:
    """Countries of the creators ``access`` may see in the published run (the only values the ``country`` filter
    offers; the list shows nothing else)."""
    if not access.is_partner:
        return []
    scope = f"{sorted(access.category_ids)}|{sorted(access.creator_ids)}"
    key = "creators:country-choices:" + hashlib.sha256(scope.encode()).hexdigest()
    codes = cache.get(key)
    if codes is None:
        codes = list(
            Scorecard.objects.visible_to(access)
            .exclude(country="")
            .order_by("country")
            .values_list("country", flat=True)
            .distinct()
        )
        cache.set(key, codes, COUNTRY_CHOICES_CACHE_SECONDS)
    return [(code, code) for code in codes]


class CreatorFilterSet(django_filters.FilterSet):
    """Filters and ordering of ``creator_list`` rows, restricted per request to what the access may see."""

    q = django_filters.CharFilter(method="filter_q", label="Search handle or name", max_length=100)
    category = VisibleCategoryFilter(
        queryset=Category.objects.none(), to_field_name="slug", method="filter_category", label="Category"
    )
    country = django_filters.ChoiceFilter(field_name="country", choices=(), label="Country")
    # Counts as people type them: 250k, 1.5M, 1,000,000 (creators.fields.CountField).
    followers_min = CountFilter(field_name="followers", lookup_expr="gte", min_value=0, label="Followers at least")
    followers_max = CountFilter(field_name="followers", lookup_expr="lte", min_value=0, label="Followers at most")
    overall_min = _index_min("overall")
    overall_max = _index_max("overall")
    collaboration_min = _index_min("collaboration")
    collaboration_max = _index_max("collaboration")
    care_min = _index_min("care")
    care_max = _index_max("care")
    volume_min = _index_min("volume")
    volume_max = _index_max("volume")
    effectiveness_min = _index_min("effectiveness")
    effectiveness_max = _index_max("effectiveness")
    sales_min = _index_min("sales")
    sales_max = _index_max("sales")
    consistency_min = _index_min("consistency")
    consistency_max = _index_max("consistency")
    overall_change_min = _change_bound("overall_change", "min")
    overall_change_max = _change_bound("overall_change", "max")
    collaboration_change_min = _change_bound("collaboration_change", "min")
    collaboration_change_max = _change_bound("collaboration_change", "max")
    care_change_min = _change_bound("care_change", "min")
    care_change_max = _change_bound("care_change", "max")
    volume_change_min = _change_bound("volume_change", "min")
    volume_change_max = _change_bound("volume_change", "max")
    effectiveness_change_min = _change_bound("effectiveness_change", "min")
    effectiveness_change_max = _change_bound("effectiveness_change", "max")
    sales_change_min = _change_bound("sales_change", "min")
    sales_change_max = _change_bound("sales_change", "max")
    consistency_change_min = _change_bound("consistency_change", "min")
    consistency_change_max = _change_bound("consistency_change", "max")
    impact_category = VisibleCategoryFilter(
        queryset=Category.objects.none(), to_field_name="slug", method="filter_noop", label="Impact category"
    )
    impact_min = django_filters.NumberFilter(method="filter_noop", label="Impact at least", min_value=0, max_value=100)
    ordering = django_filters.CharFilter(method="filter_noop", label="Order by", max_length=200)

    class Meta:
        model = Scorecard
        fields: list[str] = []
        form = CreatorFilterForm

    def __init__(
        self,
        data: Any = None,
        queryset: models.QuerySet | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
        access: Access | None = None,
    ) -> None:
        super().__init__(data=data, queryset=queryset, request=request, prefix=prefix)
        # The partner always comes from the logged-in user (or an Access built from it), never from parameters.
        self.access = access if access is not None else access_for_request(request)
        visible = self.access.visible_field_names
        hidden = [name for name, field in _FILTER_FIELD.items() if field not in visible]
        for name in hidden:
            del self.filters[name]
        present = set(data.keys()) if data is not None else set()
        self.forbidden_params = tuple(name for name in hidden if name in present)

        self.categories = Category.objects.visible_to(self.access)
        self._visible_categories: list[Category] | None = None

        self.allowed_orderings = frozenset(
            [*_PROFILE_ORDERINGS, *self.access.visible_indices]
            + [CHANGE_FIELDS[name] for name in self.access.visible_indices if CHANGE_FIELDS[name] in visible]
            + ([PARTNER_SCORE] if self.access.weights is not None else [])
        )

    def visible_categories(self) -> list[Category]:
        """The categories the access may see (``id``, ``slug``, ``name``; by name): one query per filter set,
        shared by the validation of ``category`` and ``impact_category`` and by the page's selects."""
        if self._visible_categories is None:
            self._visible_categories = list(self.categories.only("id", "slug", "name"))
        return self._visible_categories

    def _visible_categories_by_slug(self) -> dict[str, Category]:
        return {category.slug: category for category in self.visible_categories()}

    @property
    def form(self) -> CreatorFilterForm:
        if not hasattr(self, "_form"):
            form = super().form
            form.forbidden_params = self.forbidden_params
            form.allowed_orderings = self.allowed_orderings
            # What depends on the access is set on this request's own form fields (a form deep-copies its fields),
            # as a ModelForm's __init__ narrows a queryset: never on the filters, whose fields may have been built
            # once on the class (schema generation does) and would carry the empty, access-free choices.
            for name in ("category", "impact_category"):
                if name in form.fields:
                    form.fields[name].queryset = self.categories
                    form.fields[name].categories = self._visible_categories_by_slug
            access = self.access
            form.fields["country"].choices = lambda: country_choices(access)
        return self._form

    def default_ordering(self) -> list[str]:
        return ["-overall"] if "overall" in self.allowed_orderings else ["handle"]

    def filter_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        cleaned = self.form.cleaned_data
        for name, value in cleaned.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        impact_category = cleaned.get("impact_category") if "impact_category" in self.filters else None
        if impact_category is not None:
            impacts = CategoryImpact.objects.filter(
                run_id=models.OuterRef("run_id"), creator_id=models.OuterRef("creator_id"), category=impact_category
            )
            if cleaned.get("impact_min") is not None:
                impacts = impacts.filter(impact__gte=cleaned["impact_min"])
            queryset = queryset.filter(models.Exists(impacts))
        ordering = cleaned.get("ordering") or self.default_ordering()
        return queryset.order_by(*order_expressions(ordering))

    def filter_noop(self, queryset: models.QuerySet, name: str, value: Any) -> models.QuerySet:
        """Applied together in ``filter_queryset`` (impact pair, ordering)."""
        return queryset

    def filter_q(self, queryset: models.QuerySet, name: str, value: str) -> models.QuerySet:
        term = value.strip().lstrip("@")
        if not term:
            return queryset
        return queryset.filter(Q(creator__handle__icontains=term) | Q(creator__display_name__icontains=term))

    def filter_category(self, queryset: models.QuerySet, name: str, value: Category) -> models.QuerySet:
        # Primary or any category, from the scorecard's copy of the creator's categories (one table, by index).
        return queryset.filter(category_ids_q([value.pk]))


def order_expressions(keys: list[str]) -> list[models.OrderBy]:
    """Order-by expressions for validated keys, plus the unique tie-breaker ``creator_id``.

    Nulls count as the lowest value (last when descending, first when ascending), so one index
    ``(run, <index> DESC NULLS LAST, creator DESC)`` serves both directions. The tie-breaker takes the direction
    of the first key, which keeps keyset pagination a single row-value comparison.
    """
    expressions = []
    for key in keys:
        descending = key.startswith("-")
        name = key.lstrip("-")
        expressions.append(F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_first=True))
    first_descending = keys[0].startswith("-")
    expressions.append(F("creator_id").desc() if first_descending else F("creator_id").asc())
    return expressions
