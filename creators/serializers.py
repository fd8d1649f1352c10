"""Serializers of the partner API: results built from ``.values()`` rows, fields from ``visible_fields(access)``.

The list endpoint serializes up to 200 rows per request at a few hundred requests per second, so the rows are
plain dicts from ``creator_list(...).values(...)`` and each result is built by one small function
(:func:`creator_list_item`), not by a ``ModelSerializer`` walking model instances (which costs about 40% of the
throughput; see docs/performance.md). The ``Serializer`` classes below describe the same shapes for the OpenAPI
document; every value a partner may not see is absent (not null) from the JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from scoring.catalogue import (
    CHANGE_FIELDS,
    FIELDS,
    FIELDS_BY_NAME,
    FILTERABLE_INDICES,
    PROFILE_FIELDS,
    FieldSpec,
    Kind,
    Tier,
)
from scoring.choices import Confidence, NullReason
from scoring.definitions import GROWTH, growth, null_reasons


def _tier_note(spec: FieldSpec) -> str:
    if spec.tier == Tier.PROFILE:
        return ""
    return f" Present only when the partner's grant includes the `{spec.tier}` tier."


def _help(name: str) -> str:
    spec = FIELDS_BY_NAME[name]
    return f"{spec.help}{_tier_note(spec)}"


# --- the fast path --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListShape:
    """Which keys a list result has for one access: computed once per request, applied to every row."""

    profile: tuple[str, ...]
    indices: tuple[str, ...]
    partner_score: bool
    # The raw scores of the visible indices (same tier as their index): read only to give a null index its reason.
    raws: tuple[str, ...] = ()
    # The visible indices whose change is shown (a change has its index's tier: the same as ``indices``).
    changes: tuple[str, ...] = ()

    @classmethod
    def for_fields(cls, names: Iterable[str], *, partner_score: bool) -> ListShape:
        visible = set(names)
        indices = tuple(name for name in FILTERABLE_INDICES if name in visible)
        return cls(
            profile=tuple(name for name in PROFILE_FIELDS if name in visible),
            indices=indices,
            partner_score=partner_score,
            raws=tuple(f"{name}_raw" for name in indices if f"{name}_raw" in visible),
            changes=tuple(name for name in indices if CHANGE_FIELDS[name] in visible),
        )

    @property
    def value_names(self) -> tuple[str, ...]:
        """The names to ask ``.values()`` for."""
        changes = tuple(CHANGE_FIELDS[name] for name in self.changes)
        return self.profile + self.indices + self.raws + changes + (("partner_score",) if self.partner_score else ())


def _categories(value: Any) -> list[str]:
    # The selector may aggregate the slugs as an array (PostgreSQL) or as a comma-joined string (SQLite).
    if value is None:
        return []
    if isinstance(value, str):
        return [slug for slug in value.split(",") if slug]
    return list(value)


def creator_list_item(row: Mapping[str, Any], shape: ListShape) -> dict[str, Any]:
    """One result of ``GET /api/v1/creators/`` from one ``.values()`` row; only the keys of ``shape``."""
    item = {name: row[name] for name in shape.profile}
    if "categories" in item:
        item["categories"] = _categories(item["categories"])
    item["scores"] = {name: row[name] for name in shape.indices}
    item["reasons"] = null_reasons(row, shape.indices)
    item["changes"] = {name: row[CHANGE_FIELDS[name]] for name in shape.changes}
    if shape.partner_score:
        item["partner_score"] = row["partner_score"]
    return item


# --- the documented shapes ------------------------------------------------------------------------------------

_SCORE_EXAMPLE = {"overall": 71.3, "volume": 64.0, "effectiveness": 80.2, "consistency": 55.9, "collaboration": 77.1,
                  "care": 40.0, "sales": None}


def _per_index(name: str, doc: str, help_for: Any) -> type[serializers.Serializer]:
    """A serializer with one nullable float per index of ``FILTERABLE_INDICES`` (the schema's documented shape; the
    views put only the visible ones in), each documented by ``help_for(index)``."""
    fields = {
        index: serializers.FloatField(allow_null=True, required=False, help_text=help_for(index))
        for index in FILTERABLE_INDICES
    }
    return type(name, (serializers.Serializer,), {"__doc__": doc, "__module__": __name__, **fields})


ScoresSerializer = _per_index(
    "ScoresSerializer",
    "The creator's indices, 0-100 (unrounded), or null: insufficient data or no signal (see `reasons`).",
    _help,
)
ChangesSerializer = _per_index(
    "ChangesSerializer",
    "Each visible index's change against the previous published run with the same window, in points (this run "
    "minus that one), or null: no previous run, the index null in either run, or the creator new since then.",
    lambda index: _help(f"{index}_change"),
)


_CHANGES_HELP = (
    "Only the indices the partner may see are present. Sort with `ordering=-overall_change` (biggest rise first), "
    "filter with `<index>_change_min` / `<index>_change_max`."
)


_REASON_HELP = (
    "Why each null index of `scores` is null, by index name (indices with a value are absent): "
    "`insufficient_data` (too little data for this creator) or `no_signal` (every creator of the reference group "
    "has the same raw score in this run, so a rank would say nothing)."
)


def _reasons_field() -> serializers.Field:
    return serializers.DictField(child=serializers.ChoiceField(choices=NullReason.choices), help_text=_REASON_HELP)


class CreatorListItemSerializer(serializers.Serializer):
    """One creator in a list: profile, visible indices and, with the partner's own weights, its own score."""

    handle = serializers.CharField(help_text=_help("handle"))
    display_name = serializers.CharField(help_text=_help("display_name"))
    country = serializers.CharField(help_text=_help("country"))
    categories = serializers.ListField(child=serializers.CharField(), help_text=_help("categories"))
    followers = serializers.IntegerField(allow_null=True, help_text=_help("followers"))
    scores = ScoresSerializer(help_text="Only the indices the partner may see are present.")
    reasons = _reasons_field()
    changes = ChangesSerializer(help_text=_CHANGES_HELP)
    partner_score = serializers.FloatField(
        allow_null=True,
        required=False,
        help_text="The partner's own ranking: its weighted mean of the visible indices (null when fewer than three "
        "are present). Present only when the partner has set its weights; sort with `ordering=-partner_score`.",
    )


class CategorySerializer(serializers.Serializer):
    """A category the partner may see and filter on."""

    slug = serializers.SlugField(help_text="Use it in `category=` and `impact_category=`.")
    name = serializers.CharField()


def _metric_field(spec: FieldSpec) -> serializers.Field:
    if spec.name in ("confidence", "collaboration_confidence"):
        return serializers.ChoiceField(choices=Confidence.choices, required=False, help_text=_help(spec.name))
    if spec.name in ("videos", "views", "engagements", "active_weeks", "follower_tier", "invitations", "accepted",
                     "responded", "due", "on_time", "orders"):
        return serializers.IntegerField(allow_null=True, required=False, help_text=_help(spec.name))
    return serializers.FloatField(allow_null=True, required=False, help_text=_help(spec.name))


MetricsSerializer = type(
    "MetricsSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The raw metrics behind the indices, over the run's window (DESIGN section 5).",
        **{spec.name: _metric_field(spec) for spec in FIELDS if spec.kind == Kind.METRIC},
    },
)


class IndexReferenceSerializer(serializers.Serializer):
    """Why an index has its value: the reference group it was ranked in, that group's median, the raw score."""

    group = serializers.CharField(help_text="The reference group, e.g. `all creators` or a follower tier.")
    group_size = serializers.IntegerField(help_text="Creators in the reference group that have this raw score.")
    median = serializers.FloatField(allow_null=True, help_text="The group's median raw score.")
    raw = serializers.FloatField(allow_null=True, help_text="This creator's raw score (before the percentile).")
    metrics = serializers.DictField(
        child=serializers.JSONField(),
        help_text="The raw metrics this index is computed from, by name (see `metrics`): numbers, null, or a "
        "confidence band.",
    )


class CategoryImpactSerializer(serializers.Serializer):
    """The creator's impact in one visible category."""

    category = serializers.SlugField(help_text="Category slug.")
    name = serializers.CharField()
    impact = serializers.FloatField(required=False, help_text=_help("impact"))
    impact_views = serializers.IntegerField(required=False, help_text=_help("impact_views"))
    impact_videos = serializers.IntegerField(required=False, help_text=_help("impact_videos"))
    impact_gmv = serializers.FloatField(allow_null=True, required=False, help_text=_help("impact_gmv"))
    median_impact = serializers.FloatField(
        allow_null=True, required=False, help_text="Median impact of the creators active in this category."
    )


class HistoryPointSerializer(serializers.Serializer):
    """The creator's visible indices in one earlier (kept, succeeded) run."""

    run_id = serializers.IntegerField()
    as_of = serializers.DateField()
    scores = ScoresSerializer()


class GrowthFigureSerializer(serializers.Serializer):
    """A raw figure now and before (see the methodology), its change and the change in percent."""

    value = serializers.FloatField(allow_null=True, help_text="Now (the published run).")
    previous = serializers.FloatField(allow_null=True, help_text="Before: the base of the comparison.")
    change = serializers.FloatField(allow_null=True, help_text="value - previous; null when either is unknown.")
    percent = serializers.FloatField(allow_null=True, help_text="change / previous in percent; null from 0.")


class GrowthSerializer(serializers.Serializer):
    """Growth of the raw data: followers against the previous published run (followers have no history), videos
    and views of the window against the window of the same length before it."""

    followers = GrowthFigureSerializer(required=False, help_text="Always present (profile).")
    videos = GrowthFigureSerializer(required=False, help_text="With the `performance` tier.")
    views = GrowthFigureSerializer(required=False, help_text="With the `performance` tier.")


class ScorecardSerializer(serializers.Serializer):
    """The full scorecard of one creator in the published run, limited to the partner's visible fields."""

    handle = serializers.CharField(help_text=_help("handle"))
    display_name = serializers.CharField(help_text=_help("display_name"))
    country = serializers.CharField(help_text=_help("country"))
    categories = serializers.ListField(child=serializers.CharField(), help_text=_help("categories"))
    followers = serializers.IntegerField(allow_null=True, help_text=_help("followers"))
    as_of = serializers.DateField(allow_null=True, help_text="As-of date of the published scoring run.")
    window_days = serializers.IntegerField(allow_null=True, help_text="Window of the published run, in days.")
    scores = ScoresSerializer()
    reasons = _reasons_field()
    changes = ChangesSerializer(help_text=_CHANGES_HELP)
    growth = GrowthSerializer()
    metrics = MetricsSerializer()
    references = serializers.DictField(
        child=IndexReferenceSerializer(), help_text="Per visible index: its reference group and median."
    )
    category_impacts = CategoryImpactSerializer(many=True, required=False)
    history = HistoryPointSerializer(many=True, required=False, help_text="Earlier runs, oldest first.")



# --- the scorecard --------------------------------------------------------------------------------------------

METRIC_FIELDS: tuple[str, ...] = tuple(spec.name for spec in FIELDS if spec.kind == Kind.METRIC)
_IMPACT_KEYS: tuple[str, ...] = ("impact", "impact_views", "impact_videos", "impact_gmv")


def _number(value: Any) -> Any:
    # GMV is a Decimal in the database; JSON clients get a number, like every other metric.
    if isinstance(value, Decimal):
        return float(value)
    return value


def scorecard_representation(*, creator: Any, run: Any, detail: Any, visible: frozenset[str]) -> dict[str, Any]:
    """The scorecard JSON of one creator, holding only the names in ``visible`` (catalogue field names).

    ``detail`` is ``scoring.selectors.scorecard_detail(...)`` for the published ``run``, or None when there is
    no published run or the creator has no scorecard in it (imported since): the profile with empty scores.
    """
    values: dict[str, Any] = detail.values if detail is not None else {}
    indices = [name for name in FILTERABLE_INDICES if name in visible]
    body: dict[str, Any] = {
        "handle": creator.handle,
        "display_name": creator.display_name,
        "country": creator.country,
        "categories": _creator_categories(creator),
        "followers": creator.followers,
        "as_of": run.as_of if run is not None else None,
        "window_days": run.window_days if run is not None else None,
        "scores": {name: values.get(name) for name in indices},
        # Empty without a scorecard (no published run, or imported since): its scores are then absent data.
        "reasons": null_reasons(values, indices),
        "changes": {name: values.get(CHANGE_FIELDS[name]) for name in indices if CHANGE_FIELDS[name] in visible},
        "growth": growth_representation(values, visible),
        "metrics": {name: _number(values.get(name)) for name in METRIC_FIELDS if name in visible},
        "references": {
            name: {
                "group": ref.get("label") or ref.get("key") or "",
                "group_size": ref.get("n") or 0,
                "median": _number(ref.get("median")),
                "raw": _number(ref.get("raw")),
                # A metric of a visible index is visible in practice; checking keeps it so if the catalogue moves.
                "metrics": {k: _number(v) for k, v in (ref.get("metrics") or {}).items() if k in visible},
            }
            for name, ref in (detail.references if detail is not None else {}).items()
            if name in indices
        },
    }
    impact_keys = [key for key in _IMPACT_KEYS if key in visible]
    if impact_keys:
        with_median = ("median_impact",) if "impact" in visible else ()
        body["category_impacts"] = [
            {
                "category": row["category"],
                "name": row["name"],
                **{key: _number(row.get(key)) for key in (*impact_keys, *with_median)},
            }
            for row in (detail.category_impacts if detail is not None else [])
        ]
    if indices:
        body["history"] = [
            {"run_id": point["run_id"], "as_of": point["as_of"], "scores": {name: point.get(name) for name in indices}}
            for point in (detail.history if detail is not None else [])
        ]
    return body


def growth_representation(values: Mapping[str, Any], visible: frozenset[str]) -> dict[str, dict[str, Any]]:
    """The visible growth figures of a scorecard's ``values`` (``scoring.definitions.GROWTH``; a figure takes the
    tier of its base field, which is its value's own)."""
    body = {}
    for spec in GROWTH:
        if spec.previous not in visible or spec.name not in visible:
            continue
        value, previous = values.get(spec.name), values.get(spec.previous)
        change, percent = growth(value, previous)
        body[spec.name] = {"value": value, "previous": previous, "change": change, "percent": percent}
    return body


def _creator_categories(creator: Any) -> list[str]:
    """Slugs, primary first then alphabetical (the same order as the list's ``categories``)."""
    primary = creator.primary_category.slug
    others = sorted(slug for slug in creator.categories.values_list("slug", flat=True) if slug != primary)
    return [primary, *others]
