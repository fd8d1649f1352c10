"""Saved searches: the one set of rules behind the ``/searches/`` pages, the API, the home page and the alerts.

A saved search is a named set of the creator list's query parameters (``SavedSearch.filters``). Everything it
selects is read through the one door: ``creator_list(access=...)`` filtered by the one ``CreatorFilterSet``, so a
search shows exactly what ``/creators/?<its filters>`` shows, for whoever asks, at the time they ask.

- ``filters_clean(raw, access=...)``: the parameters a search may keep (the filter set's names; values as the
  list takes them), or ``SavedSearchInvalid`` naming each unknown, invalid or hidden parameter.
- ``matches(search, access)``: the published run's visible scorecards the search selects (``creator_list`` rows).
- ``new_matches(search, access, since_run)``: of those, the creators that did not match in ``since_run`` (nothing
  when ``since_run`` is ``None``: a search never opened has nothing "new" to report).
- ``summaries(searches, access=...)``: what a list of searches shows (count, new since last seen, subscribed...),
  with the counts capped and cached per published run like the list page's (``creator_list_count``).

The hidden-field rule: a saved search never holds a filter the partner can no longer use. Every use of a search
first runs ``enforce``: a parameter that the filter set now refuses (a field of a tier the grant lost, a category
no longer granted, an ordering by "our score" after the weights were removed) is *dropped* from the stored
search, and recorded in ``SavedSearch.dropped_filters`` with the list's own message, which the pages and the API
show. Dropping (rather than refusing the whole search) keeps the rest of the search working; the note tells the
user the search is now wider than it was. All users of a partner share its grants, so the change is the same for
every reader of a shared search. Saving a search with a hidden filter is refused outright (``filters_clean``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode

from creators.filtersets import CreatorFilterSet
from creators.selectors import COUNT_CAP, UNSET, creator_list, creator_list_count
from partners.access import Access
from partners.models import SavedSearch, SavedSearchSeen
from scoring.catalogue import FIELDS_BY_NAME, PARTNER_SCORE
from scoring.models import Scorecard, ScoringRun
from scoring.selectors import published_run

# The parameters a saved search may hold: the filter set's own (filters and ``ordering``). Display choices of the
# HTML list (``columns``) and positions (``cursor``, ``page``) are not part of a search.
SEARCH_PARAMS: frozenset[str] = frozenset(CreatorFilterSet.base_filters)
NAME_MAX_LENGTH = SavedSearch._meta.get_field("name").max_length or 120
# Guards ``enforce`` against a filter set that keeps reporting an error it cannot be rid of (never seen; a bound).
_ENFORCE_ROUNDS = 4


class SavedSearchInvalid(Exception):
    """The name or filters of a search cannot be saved: ``errors`` maps each parameter to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items()))
        self.errors = dict(errors)


def _query_dict(filters: Mapping[str, str]) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in filters.items():
        data[name] = value
    return data


def filterset_for(
    filters: Mapping[str, str], *, access: Access, run: ScoringRun | None | Any = UNSET
) -> CreatorFilterSet:
    """The one ``CreatorFilterSet`` over ``creator_list(access, run)`` with these parameters."""
    return CreatorFilterSet(_query_dict(filters), queryset=creator_list(access=access, run=run), access=access)


def filters_clean(raw: Mapping[str, Any] | QueryDict, *, access: Access) -> dict[str, str]:
    """The parameters of ``raw`` that a search keeps, as strings, sorted by name; ``SavedSearchInvalid`` otherwise.

    ``raw`` is a ``QueryDict`` (the list page's query) or a JSON object (the API). Empty values are left out (the
    list ignores them too). An unknown name, a value that is not one value, or anything the filter set refuses
    (an invalid value, a field the partner's tiers do not show, an ordering it may not use) is an error.
    """
    errors: dict[str, list[str]] = {}
    filters: dict[str, str] = {}
    for name in sorted(raw.keys()):
        values = raw.getlist(name) if isinstance(raw, QueryDict) else [raw[name]]
        if name not in SEARCH_PARAMS:
            errors[name] = [f"Unknown parameter: {name}."]
            continue
        if len(values) != 1 or not isinstance(values[0], str | int | float) or isinstance(values[0], bool):
            errors[name] = ["Give one value (a text or a number)."]
            continue
        value = str(values[0]).strip()
        if value:
            filters[name] = value
    filterset = CreatorFilterSet(_query_dict(filters), queryset=Scorecard.objects.none(), access=access)
    if not filterset.is_valid():
        errors |= {name: [str(message) for message in messages] for name, messages in filterset.errors.items()}
    if errors:
        raise SavedSearchInvalid(errors)
    return filters


def name_clean(name: Any, *, access: Access, exclude: SavedSearch | None = None) -> str:
    """The name, stripped; ``ValidationError`` when empty, too long, or already the name of one of the user's
    searches in this partner (any case)."""
    text = str(name or "").strip()
    if not text:
        raise ValidationError("Give the search a name.", code="required")
    if len(text) > NAME_MAX_LENGTH:
        raise ValidationError(f"Keep the name to {NAME_MAX_LENGTH} characters or fewer.", code="max_length")
    if "\x00" in text:
        raise ValidationError("The name cannot contain a NUL character.", code="invalid")
    taken = SavedSearch.objects.filter(partner=access.partner, created_by=access.user, name__iexact=text)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError("You already have a saved search with this name.", code="unique")
    return text


def _save(search: SavedSearch) -> None:
    """Save, turning a name taken by a concurrent save into the same error as ``name_clean``'s."""
    try:
        with transaction.atomic():
            search.save()
    except IntegrityError as exc:
        raise SavedSearchInvalid({"name": ["You already have a saved search with this name."]}) from exc


def saved_search_create(
    *, access: Access, name: Any, filters: Mapping[str, Any] | QueryDict, shared: bool
) -> SavedSearch:
    """Save the list's parameters under a name for the access's user and partner; the user has just seen its
    results (the published run), so nothing is "new" until the next run. ``SavedSearchInvalid`` on any error."""
    errors: dict[str, list[str]] = {}
    try:
        clean_name = name_clean(name, access=access)
    except ValidationError as exc:
        errors["name"] = exc.messages
    try:
        clean_filters = filters_clean(filters, access=access)
    except SavedSearchInvalid as exc:
        errors.update(exc.errors)
    if errors:
        raise SavedSearchInvalid(errors)
    assert access.partner is not None
    search = SavedSearch(
        partner=access.partner, created_by=access.user, name=clean_name, filters=clean_filters, shared=bool(shared)
    )
    _save(search)
    mark_seen(search, user=access.user, run=published_run())
    return search


def saved_search_update(
    search: SavedSearch,
    *,
    access: Access,
    name: Any = None,
    filters: Mapping[str, Any] | QueryDict | None = None,
    shared: bool | None = None,
) -> SavedSearch:
    """Rename, re-filter or (un)share the user's own search (``None``: unchanged). New filters clear the note of
    dropped ones (the user has chosen again). ``SavedSearchInvalid`` on any error."""
    errors: dict[str, list[str]] = {}
    if name is not None:
        try:
            search.name = name_clean(name, access=access, exclude=search)
        except ValidationError as exc:
            errors["name"] = exc.messages
    if filters is not None:
        try:
            search.filters = filters_clean(filters, access=access)
            search.dropped_filters = []
        except SavedSearchInvalid as exc:
            errors.update(exc.errors)
    if errors:
        raise SavedSearchInvalid(errors)
    if shared is not None:
        search.shared = bool(shared)
    _save(search)
    return search


def is_owner(search: SavedSearch, access: Access) -> bool:
    """Only the user who saved a search may rename, re-filter, share or delete it."""
    return access.user is not None and search.created_by_id == access.user.pk


def enforce(search: SavedSearch, *, access: Access, run: ScoringRun | None | Any = UNSET) -> list[dict[str, str]]:
    """Apply the hidden-field rule to ``search`` (module docstring): drop what the filter set now refuses, store the
    result and the note, and return the entries dropped now (``{"name", "value", "reason"}``).

    Nothing is decided without a published run (the country choices come from it): the search is left as it is.
    ``run`` is the published run when the caller has read it already.
    """
    if run is UNSET:
        run = published_run()
    if not access.is_partner or not search.filters or run is None:
        return []
    filters = dict(search.filters)
    dropped: list[dict[str, str]] = []
    for _ in range(_ENFORCE_ROUNDS):
        filterset = CreatorFilterSet(_query_dict(filters), queryset=Scorecard.objects.none(), access=access)
        if filterset.is_valid():
            break
        for name, messages in filterset.errors.items():
            reason = " ".join(str(message) for message in messages)
            if name == "ordering":
                keys = [key.strip() for key in str(filters.get(name, "")).split(",") if key.strip()]
                kept = [key for key in keys if key.lstrip("-") in filterset.allowed_orderings]
                removed = [key for key in keys if key not in kept]
                if kept:
                    filters[name] = ",".join(kept)
                else:
                    filters.pop(name, None)
                dropped.append({"name": name, "value": ",".join(removed), "reason": reason})
            elif name in filters:
                dropped.append({"name": name, "value": str(filters.pop(name)), "reason": reason})
    if not dropped:
        return []
    search.filters = filters
    search.dropped_filters = [*search.dropped_filters, *dropped]
    search.updated_at = timezone.now()
    # One UPDATE of these columns only: readers of a shared search may enforce at the same time, to the same end.
    SavedSearch.objects.filter(pk=search.pk).update(
        filters=search.filters, dropped_filters=search.dropped_filters, updated_at=search.updated_at
    )
    return dropped


def search_filterset(search: SavedSearch, access: Access, *, run: ScoringRun | None | Any = UNSET) -> CreatorFilterSet:
    """The valid filter set of the search over the published run's ``creator_list``, after the hidden-field rule
    (checked only when the filter set refuses something: the usual case costs one validation)."""
    if run is UNSET:
        run = published_run()
    filterset = filterset_for(search.filters, access=access, run=run)
    if filterset.is_valid() or not enforce(search, access=access, run=run):
        return filterset
    return filterset_for(search.filters, access=access, run=run)


def matches(search: SavedSearch, access: Access, *, run: ScoringRun | None | Any = UNSET) -> QuerySet:
    """The published run's visible scorecards (``creator_list`` rows) that the search selects, in its ordering.

    Enforces the hidden-field rule first. ``run`` is the published run when the caller has read it already.
    """
    return search_filterset(search, access, run=run).qs


def new_matches(
    search: SavedSearch,
    access: Access,
    since_run: ScoringRun | None,
    *,
    run: ScoringRun | None | Any = UNSET,
    filterset: CreatorFilterSet | None = None,
) -> QuerySet:
    """The creators that match the search now and did not match it in ``since_run`` (the same filters, applied
    with today's access to that run's scorecards); nothing when ``since_run`` is ``None``.

    One anti-join (``NOT EXISTS``) on the scorecards' ``(run, creator)`` key: a capped count of it stops at the cap.
    ``filterset`` is the search's ``search_filterset`` when the caller has built it already.
    """
    filterset = filterset or search_filterset(search, access, run=run)
    now = filterset.qs
    if since_run is None:
        return now.none()
    # The same validated filters applied to the earlier run's rows (django-filter's own ``filter_queryset``).
    before = filterset.filter_queryset(creator_list(access=access, run=since_run))
    return now.filter(~Exists(before.filter(creator_id=OuterRef("creator_id"))))


def capped_count(queryset: QuerySet, *, run: ScoringRun | None) -> tuple[int, bool]:
    """``(count, more)``: the rows up to the list page's ``COUNT_CAP`` and whether there are more; cached per
    published run revision (``creator_list_count``, the list page's own mechanism)."""
    if run is None:
        return 0, False
    count = creator_list_count(queryset, cap=COUNT_CAP, run=run)
    return min(count, COUNT_CAP), count > COUNT_CAP


def mark_seen(search: SavedSearch, *, user: Any, run: ScoringRun | None) -> None:
    """Record that ``user`` has seen the search's results as of ``run`` (opening it, or saving it)."""
    SavedSearchSeen.objects.update_or_create(
        search=search, user=user, defaults={"run": run, "seen_at": timezone.now()}
    )


def subscribe(search: SavedSearch, *, user: Any, on: bool) -> None:
    """Subscribe ``user`` to the search's alerts digest, or unsubscribe it (idempotent)."""
    if on:
        search.subscribers.add(user)
    else:
        search.subscribers.remove(user)


def visible_searches(access: Access) -> QuerySet:
    """The user's own and its partner's shared searches, each annotated with ``subscribed`` (the user is a
    subscriber) and ``seen_run_id`` (the run of its last opening, or null), by name."""
    seen = SavedSearchSeen.objects.filter(search_id=OuterRef("pk"), user=access.user)
    subscribed = SavedSearch.subscribers.through.objects.filter(savedsearch_id=OuterRef("pk"), user=access.user)
    return (
        SavedSearch.objects.visible_to(access)
        .select_related("created_by")
        .annotate(subscribed=Exists(subscribed), seen_run_id=Subquery(seen.values("run_id")[:1]))
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class SearchSummary:
    """What a list of saved searches shows of one: its counts (capped, ``*_more`` past the cap), the user's
    relation to it and its parameters in words."""

    search: SavedSearch
    count: int
    count_more: bool
    new_since_seen: int
    new_more: bool
    editable: bool
    subscribed: bool
    query: str
    description: list[str] = field(default_factory=list)

    @property
    def dropped(self) -> list[dict[str, str]]:
        """The filters the hidden-field rule removed, each with the ``label`` the filter panel gives it."""
        return [{**item, "label": param_label(item.get("name", ""))} for item in self.search.dropped_filters or []]


def summaries(
    searches: Iterable[SavedSearch], *, access: Access, run: ScoringRun | None | Any = UNSET
) -> list[SearchSummary]:
    """A summary of each search (from ``visible_searches``: annotated), counted on the published run (``run``, when
    the caller has read it). Per search: one validation and two capped counts, cached per run revision."""
    if run is UNSET:
        run = published_run()
    searches = list(searches)
    seen_ids: set[int] = {getattr(search, "seen_run_id", None) or 0 for search in searches} - {0}
    seen_runs = {r.pk: r for r in ScoringRun.objects.filter(pk__in=seen_ids).only("id", "as_of")} if seen_ids else {}
    rows = []
    for search in searches:
        filterset = search_filterset(search, access, run=run)
        # Category names, from the list the filter set has read to validate the search (no query of its own).
        categories = {category.slug: category.name for category in filterset.visible_categories()}
        count, more = capped_count(filterset.qs, run=run)
        since = seen_runs.get(getattr(search, "seen_run_id", None) or 0)
        new, new_more = (
            capped_count(new_matches(search, access, since, run=run, filterset=filterset), run=run)
            if since is not None
            else (0, False)
        )
        rows.append(
            SearchSummary(
                search=search,
                count=count,
                count_more=more,
                new_since_seen=new,
                new_more=new_more,
                editable=is_owner(search, access),
                subscribed=bool(getattr(search, "subscribed", False)),
                query=query_string(search),
                description=describe(search.filters, categories=categories),
            )
        )
    return rows


def summary_for(search: SavedSearch, *, access: Access) -> SearchSummary:
    """The summary of one search (re-read with its annotations)."""
    annotated = visible_searches(access).get(pk=search.pk)
    return summaries([annotated], access=access)[0]


def query_string(search: SavedSearch) -> str:
    """The search's parameters as the list's query string (``category=beauty&ordering=-overall``)."""
    return urlencode(sorted(search.filters.items()))


def param_label(name: str) -> str:
    """The words the list's filter panel uses for a parameter (``Care at least`` for ``care_min``)."""
    spec = CreatorFilterSet.base_filters.get(name)
    return str(spec.label) if spec is not None and spec.label else name


def _field_label(name: str) -> str:
    spec = PARTNER_SCORE if name == PARTNER_SCORE.name else FIELDS_BY_NAME.get(name)
    return spec.label if spec is not None else name


# Orderings by text rather than by number.
_TEXT_ORDERINGS = frozenset({"handle", "display_name", "country"})


def _direction(key: str) -> str:
    descending = key.startswith("-")
    if key.lstrip("-") in _TEXT_ORDERINGS:
        return "Z to A" if descending else "A to Z"
    return "highest first" if descending else "lowest first"


def describe(filters: Mapping[str, str], *, categories: Mapping[str, str] | None = None) -> list[str]:
    """The parameters in words, one phrase each (``Category: Beauty``, ``Overall at least 60``, ``Sorted by
    Overall, highest first``), in the filter set's order; ``categories`` names the slugs. Only names and values the
    search holds: nothing about other fields."""
    phrases = []
    base = CreatorFilterSet.base_filters
    for name in base:
        value = filters.get(name)
        if value in (None, ""):
            continue
        if name == "ordering":
            keys = [key.strip() for key in str(value).split(",") if key.strip()]
            words = [f"{_field_label(key.lstrip('-'))}, {_direction(key)}" for key in keys]
            phrases.append("Sorted by " + "; then ".join(words))
        elif name.endswith(("_min", "_max")):
            phrases.append(f"{base[name].label} {value}")
        elif name == "q":
            phrases.append(f"Search “{value}”")
        elif name in ("category", "impact_category"):
            phrases.append(f"{base[name].label}: {(categories or {}).get(value, value)}")
        else:
            phrases.append(f"{base[name].label}: {value}")
    return phrases
