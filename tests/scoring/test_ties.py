"""Ties are ties on every database (DESIGN 5): equal inputs give equal indices whatever the order of the rows.

Each case is a small hand-made table where some creators have the same videos in a different order (inserted in
a different order too, so that a scan meets them differently), beside creators that differ so that the group has
a signal. Run on SQLite by default and on PostgreSQL with ``DATABASE_URL``: the assertions are the same.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from scoring import definitions as d
from scoring.models import CategoryImpact
from tests.scoring.builders import AS_OF, at, days_before, make_creator, make_video

pytestmark = pytest.mark.django_db


def _impacts(run) -> dict[str, float]:
    return {row.creator.handle: row.impact for row in CategoryImpact.objects.filter(run=run).select_related("creator")}


def test_the_same_gmv_summed_in_another_order_is_a_tie(run_scoring, cards):
    # 0.10 + 0.20 + 0.30 is 0.6000000000000001 in doubles, 0.30 + 0.20 + 0.10 is 0.6: cents are exact.
    orders = {"abc": ("0.10", "0.20", "0.30"), "cba": ("0.30", "0.20", "0.10"), "one": ("0.60", "0.00", "0.00")}
    for handle, amounts in orders.items():
        creator = make_creator(handle)
        for day, amount in enumerate(amounts, start=1):
            make_video(creator, days_before(day), views=1000, shoppable=True, gmv=amount, orders=1)
    low, high = make_creator("low"), make_creator("high")
    for day in (1, 2, 3):
        make_video(low, days_before(day), views=1000, shoppable=True, gmv="0.05", orders=1)
        make_video(high, days_before(day), views=1000, shoppable=True, gmv="3.00", orders=1)

    run = run_scoring()
    sc = cards(run)
    tied = [sc[handle] for handle in orders]
    assert {card.gmv for card in tied} == {Decimal("0.60")}
    assert len({card.gpm for card in tied}) == 1
    assert tied[0].gpm == pytest.approx(0.2)
    # Ranked second of five: 100 × 1 / 4, the same for the three.
    assert [card.sales for card in tied] == [25.0, 25.0, 25.0]
    impacts = _impacts(run)
    # Views are equal for all five (pct 0); GMV in the category ranks the three second: 0.5 × 0 + 0.5 × 25.
    assert [impacts[handle] for handle in orders] == [12.5, 12.5, 12.5]
    assert (impacts["low"], impacts["high"]) == (0.0, 50.0)
    assert len({card.overall for card in tied}) == 1


# Gaps with odd seconds, where SQLite's julianday errs in the last digits (gap_cv about 0.24).
GAPS_S = (40_001, 50_003, 60_007, 70_001, 80_009)


def _post_after_gaps(handle: str, gaps: tuple[int, ...]) -> None:
    """Videos from T-5 00:00 at the given gaps (all in week 0: they span under five days), inserted newest first."""
    creator = make_creator(handle)
    moment = at(AS_OF - timedelta(days=5), 0)
    moments = [moment]
    for gap in gaps:
        moment += timedelta(seconds=gap)
        moments.append(moment)
    for posted_at in reversed(moments):
        make_video(creator, posted_at)


def test_the_same_gaps_in_another_order_are_a_tie(run_scoring, cards):
    orders = {
        "g1": GAPS_S,
        "g2": tuple(reversed(GAPS_S)),
        "g3": (GAPS_S[2], GAPS_S[0], GAPS_S[4], GAPS_S[1], GAPS_S[3]),
        "g4": (GAPS_S[4], GAPS_S[3], GAPS_S[0], GAPS_S[2], GAPS_S[1]),
    }
    for handle, gaps in orders.items():
        _post_after_gaps(handle, gaps)
    _post_after_gaps("even", (60_000,) * 5)  # regular: gap_cv 0
    _post_after_gaps("bursty", (60, 60, 60, 60, 299_781))

    sc = cards(run_scoring())
    tied = [sc[handle] for handle in orders]
    assert len({card.gap_cv for card in tied}) == 1
    hours = [g / 3600 for g in GAPS_S]
    mean = sum(hours) / len(hours)
    cv = (sum((h - mean) ** 2 for h in hours) / len(hours)) ** 0.5 / mean
    assert tied[0].gap_cv == pytest.approx(cv, rel=1e-12)
    assert {card.active_weeks for card in tied} == {1}
    assert len({card.consistency_raw for card in tied}) == 1
    # Between "bursty" (lowest) and "even" (highest): rank 2 of 6, 100 × 1 / 5, the same for the four.
    assert [card.consistency for card in tied] == [20.0, 20.0, 20.0, 20.0]
    assert sc["even"].gap_cv == 0.0
    assert (sc["bursty"].consistency, sc["even"].consistency) == (0.0, 100.0)


def test_every_gap_zero_gives_no_gap_cv_and_a_regularity_term_of_zero(run_scoring, cards):
    same_instant = make_creator("instant")
    for _ in range(3):
        make_video(same_instant, days_before(3, hour=9))
    # gaps 0 and 100 h: mean 50, std 50, gap_cv exactly 1, so its term is 0 too (all within week 0).
    one = make_creator("cv_one")
    start = at(AS_OF - timedelta(days=6), 0)
    for posted_at in (start, start, start + timedelta(hours=100)):
        make_video(one, posted_at)
    steady = make_creator("steady")
    for day in (1, 2, 3):
        make_video(steady, days_before(day))

    sc = cards(run_scoring())
    assert sc["instant"].gap_cv is None
    assert sc["cv_one"].gap_cv == pytest.approx(1.0)
    weight = d.CONSISTENCY_WEIGHTS["active_weeks"]
    assert sc["instant"].consistency_raw == pytest.approx(weight * 1 / d.WEEKS)
    assert sc["instant"].consistency_raw == sc["cv_one"].consistency_raw
    assert sc["instant"].consistency == sc["cv_one"].consistency == 0.0
    assert sc["steady"].consistency == 100.0
