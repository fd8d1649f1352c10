"""Similar creators (issue 20 item 1): the distance between two scorecards and the reason shown for a match.

Pure maths on plain mappings (index name to value or ``None``), no database: the caller passes only the indices
the partner may see (``partners.access.Access.visible_indices``), so that a hidden index can neither move a
creator up the list nor appear in its reason (a similarity over a hidden index would be an oracle on it).

The distance of a candidate from the target is the root mean square of the gaps, in index points (0-100), over
the dimensions: the visible indices the target has a value for. A candidate without a value where the target has
one counts ``MISSING_GAP`` on that index (unknown is neither close nor the farthest possible). Ties are broken by
creator id, so the order is the same on every run of the query and on every database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from scoring.catalogue import FIELDS_BY_NAME

Scores = Mapping[str, float | None]

# The gap counted on an index the candidate lacks and the target has, in index points.
MISSING_GAP = 50.0
# An index is named in the reason ("close on care and sales") when the two values are at most this far apart;
# at most CLOSE_NAMED of them, the closest first. With none that close, the single closest one is named.
CLOSE_POINTS = 10.0
CLOSE_NAMED = 2


@dataclass(frozen=True)
class Match:
    """One candidate ranked against the target: its distance and the indices it is closest on."""

    creator_id: int
    distance: float
    close_on: tuple[str, ...]
    # False when no index is within CLOSE_POINTS and ``close_on`` names only the closest one.
    is_close: bool = True


def dimensions(target: Scores, visible: Sequence[str]) -> tuple[str, ...]:
    """The indices two creators are compared on: the visible ones the target has a value for, in given order."""
    return tuple(name for name in visible if target.get(name) is not None)


def gap(target: Scores, candidate: Scores, name: str) -> float:
    """The distance of the two values of index ``name`` (``MISSING_GAP`` when the candidate has none)."""
    mine, theirs = target[name], candidate.get(name)
    if mine is None:
        raise ValueError(f"the target has no {name}: it is not a dimension")
    return MISSING_GAP if theirs is None else abs(float(theirs) - float(mine))


def distance(target: Scores, candidate: Scores, dims: Sequence[str]) -> float:
    """Root mean square of the gaps over ``dims`` (index points); ``inf`` without dimensions."""
    if not dims:
        return math.inf
    return math.sqrt(sum(gap(target, candidate, name) ** 2 for name in dims) / len(dims))


def close_on(target: Scores, candidate: Scores, dims: Sequence[str]) -> tuple[tuple[str, ...], bool]:
    """The indices named in the reason and whether they are close: those within ``CLOSE_POINTS`` (at most
    ``CLOSE_NAMED``, closest first, ties in ``dims`` order), else the single closest index the candidate has
    (``False``); nothing when it has none of ``dims``."""
    known = [name for name in dims if candidate.get(name) is not None]
    ranked = sorted(known, key=lambda name: (gap(target, candidate, name), dims.index(name)))
    close = [name for name in ranked if gap(target, candidate, name) <= CLOSE_POINTS][:CLOSE_NAMED]
    if close:
        return tuple(close), True
    return tuple(ranked[:1]), False


def nearest(
    target: Scores, candidates: Iterable[tuple[int, Scores]], dims: Sequence[str], *, limit: int
) -> list[Match]:
    """The ``limit`` candidates ``(creator_id, scores)`` closest to ``target`` over ``dims``, nearest first."""
    if not dims or limit <= 0:
        return []
    scored = sorted(
        ((distance(target, scores, dims), creator_id, scores) for creator_id, scores in candidates),
        key=lambda item: (item[0], item[1]),
    )
    matches = []
    for dist, creator_id, scores in scored[:limit]:
        names, is_close = close_on(target, scores, dims)
        matches.append(Match(creator_id=creator_id, distance=dist, close_on=names, is_close=is_close))
    return matches


def _words(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def reason(*, shared_categories: Sequence[str], close: Sequence[str], is_close: bool = True) -> str:
    """The short text shown with a match: ``"same category beauty; close on care and sales"``.

    ``shared_categories`` are the slugs the two creators share, ``close`` and ``is_close`` what :func:`close_on`
    found (indices named by their catalogue labels in lower case; "nearest on" when none is within
    ``CLOSE_POINTS``).
    """
    parts = []
    if shared_categories:
        noun = "category" if len(shared_categories) == 1 else "categories"
        parts.append(f"same {noun} {_words(list(shared_categories))}")
    if close:
        labels = [FIELDS_BY_NAME[name].label.lower() for name in close]
        parts.append(f"{'close' if is_close else 'nearest'} on {_words(labels)}")
    return "; ".join(parts)
